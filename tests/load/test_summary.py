"""The end-of-run summary uses the same percentile definition as `pockit stats`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pockit._rundir import SAMPLE_SCHEMA, RunDir, iso
from pockit.analysis import run_stats
from pockit.load import summarize


def test_summary_matches_stats(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 997
    latencies = rng.lognormal(3.0, 0.5, n)
    ok = rng.random(n) > 0.05
    latencies[~ok] = 1.0  # fast failures must not pull the percentiles down
    now = datetime.now(UTC)
    run = RunDir.create(
        tmp_path, {"candidate": "c", "start": iso(now), "end": iso(now), "status": "completed"}
    )
    table = pa.table(
        {
            "t_start": pa.array([now] * n, pa.timestamp("ns", tz="UTC")),
            "latency_ms": latencies,
            "name": pa.array(["/x"] * n).dictionary_encode(),
            "method": pa.array(["GET"] * n).dictionary_encode(),
            "status": pa.array(np.where(ok, 200, 500), pa.int16()),
            "ok": ok,
            "bytes": pa.array([10] * n, pa.int64()),
            "error": pa.array([None if o else "500" for o in ok]).dictionary_encode(),
            "worker": pa.array([0] * n, pa.int16()),
            "t_intended": pa.array([None] * n, pa.timestamp("ns", tz="UTC")),
            "retry": pa.nulls(n, pa.int16()),
        }
    ).cast(SAMPLE_SCHEMA)
    pq.write_table(table, run.samples_dir / "batch.parquet")

    summary = summarize(run.path)
    stats = run_stats([run.path]).to_dict()
    assert summary["requests"] == n
    assert summary["error_rate"] == (~ok).sum() / n
    for key in ("p50", "p95", "p99"):
        assert summary[f"{key}_ms"] == stats["latency_ms"][key]["value"]
    assert summary["p50_ms"] > 1.0
