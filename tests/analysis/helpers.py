"""Build real run directories (contract 1) from arrays, for analysis and decision tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pockit._rundir import SAMPLE_SCHEMA, RunDir, iso

T0 = datetime(2026, 11, 26, 6, 0, 0, tzinfo=UTC)


def make_run(
    runs_dir: Path,
    candidate: str,
    latency_ms: Sequence[float] | np.ndarray,
    *,
    ok: Sequence[bool] | np.ndarray | None = None,
    names: Sequence[str] | np.ndarray | None = None,
    duration_s: float = 60.0,
    start: datetime = T0,
    t_start: np.ndarray | None = None,
    t_intended: np.ndarray | None = None,
    repeat: int | None = None,
    events: Sequence[dict[str, Any]] = (),
    files: int = 1,
    status: Sequence[int | None] | np.ndarray | None = None,
    retry: Sequence[int | None] | None = None,
    without: Sequence[str] = (),
) -> RunDir:
    """A completed run whose requests are spread evenly over ``duration_s`` unless told otherwise.

    ``status`` defaults to 200 / 500 by ``ok``; ``retry`` to null; ``without`` drops sample columns
    (a run directory another tool, or an older pockit, wrote)."""
    lat = np.asarray(latency_ms, dtype=np.float64)
    n = lat.size
    okv = np.ones(n, dtype=bool) if ok is None else np.asarray(ok, dtype=bool)
    namev = np.array(["/api/items"] * n) if names is None else np.asarray(names)
    if t_start is None:
        offs = np.linspace(0, duration_s, n, endpoint=False) if n else np.array([])
        t_start = np.datetime64(start.replace(tzinfo=None), "ns") + (offs * 1e9).astype(
            "timedelta64[ns]"
        )
    meta: dict[str, Any] = {
        "candidate": candidate,
        "start": iso(start),
        "end": iso(start + timedelta(seconds=duration_s)),
        "status": "completed",
    }
    if repeat is not None:
        meta["repeat"] = repeat
    run = RunDir.create(runs_dir, meta)
    run.update_meta(status="completed")
    ti = (
        pa.nulls(n, pa.timestamp("ns", tz="UTC"))
        if t_intended is None
        else pa.array(t_intended.astype("datetime64[ns]"), pa.timestamp("ns", tz="UTC"))
    )
    table = pa.table(
        {
            "t_start": pa.array(
                np.asarray(t_start).astype("datetime64[ns]"), pa.timestamp("ns", tz="UTC")
            ),
            "latency_ms": pa.array(lat, pa.float64()),
            "name": pa.array(namev.astype(str)).dictionary_encode(),
            "method": pa.array(["GET"] * n).dictionary_encode(),
            "status": pa.array(
                np.where(okv, 200, 500) if status is None else list(status), pa.int16()
            ),
            "ok": pa.array(okv),
            "bytes": pa.array(np.full(n, 100, dtype=np.int64)),
            "error": pa.array(
                [None if o else "HTTP 500" for o in okv], pa.string()
            ).dictionary_encode(),
            "worker": pa.array(np.zeros(n, dtype=np.int16)),
            "t_intended": ti,
            "retry": pa.nulls(n, pa.int16()) if retry is None else pa.array(retry, pa.int16()),
        }
    ).cast(SAMPLE_SCHEMA)
    if without:
        table = table.drop_columns(list(without))
    bounds = np.linspace(0, n, files + 1).astype(int)
    for i in range(files):
        pq.write_table(
            table.slice(bounds[i], bounds[i + 1] - bounds[i]),
            run.samples_dir / f"batch-{i:05d}.parquet",
        )
    for ev in events:
        ev = dict(ev)
        ts = ev.pop("ts")
        kind = ev.pop("kind")
        run.add_event(kind, ts=ts, **ev)
    return run


def make_spec(folder: Path, text: str) -> Any:
    """Parse a spec whose locustfile (``l.py``) exists in ``folder``."""
    from pockit.spec import parse_spec

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "l.py").write_text("# not run by these tests\n")
    return parse_spec(text, path=folder / "poc.yaml")
