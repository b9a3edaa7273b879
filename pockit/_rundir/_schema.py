"""SAMPLE_SCHEMA, the Arrow schema of a sample batch (imports pyarrow: loaded on first use, never
inside Locust, whose processes write the compact batch of :mod:`pockit._contract` instead)."""

from __future__ import annotations

import pyarrow as pa

#: One row per request. ``latency_ms`` is never rounded; ``t_intended`` is null in closed-model runs;
#: ``retry`` is the locustfile's ``context={"retry": n}`` (n >= 1: a retry), null when not given.
#: Directories written before ``retry`` existed still read (scans insert it as null).
SAMPLE_SCHEMA = pa.schema(
    [
        ("t_start", pa.timestamp("ns", tz="UTC")),
        ("latency_ms", pa.float64()),
        ("name", pa.dictionary(pa.int32(), pa.string())),
        ("method", pa.dictionary(pa.int32(), pa.string())),
        ("status", pa.int16()),
        ("ok", pa.bool_()),
        ("bytes", pa.int64()),
        ("error", pa.dictionary(pa.int32(), pa.string())),
        ("worker", pa.int16()),
        ("t_intended", pa.timestamp("ns", tz="UTC")),
        ("retry", pa.int16()),
    ]
)
SAMPLE_COLUMNS = tuple(SAMPLE_SCHEMA.names)
