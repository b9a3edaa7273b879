"""Fixtures for report tests: real run directories on disk, written through pockit's RunDir."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pockit._contract import EventKind
from pockit._rundir import SAMPLE_SCHEMA, RunDir, iso

EVIL = "<script>alert(1)</script>"

SPEC_TEXT = """\
name: report-test
hypothesis: "The async variant holds P95 < 300 ms & beats <b>baseline</b>."
candidates:
  - name: baseline
    host: http://127.0.0.1:9
    tags: {{poc: rt-baseline}}
  - name: async
    host: http://127.0.0.1:9
    tags: {{poc: rt-async}}
load:
  locustfile: {locustfile}
  users: 5
  duration: 10s
criteria:
  - {{metric: latency_p95_ms, op: "<", threshold: 300, key: true}}
  - {{metric: success_rate, op: ">=", threshold: 0.95}}
notes:
  - "Production needs a warm pool; cold starts were not measured."
"""


def make_run(
    runs_dir: Path,
    candidate: str,
    *,
    n: int = 600,
    seconds: int = 10,
    median_ms: float = 40.0,
    error_share: float = 0.01,
    endpoint: str = "/checkout",
    start: datetime | None = None,
    seed: int = 0,
    fault_at_s: float | None = 5.0,
    status: str = "completed",
) -> RunDir:
    """A completed run directory with ``n`` lognormal samples over ``seconds`` and a fault event."""
    rng = np.random.default_rng(seed)
    t0 = start or datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    run = RunDir.create(
        runs_dir,
        {
            "candidate": candidate,
            "start": iso(t0),
            "spec": {"name": "report-test"},
            "versions": {"pockit": "0.1.0", "locust": "2.47", "python": "3.11"},
            "workers": 1,
            "repeat": 0,
        },
    )
    offsets = np.sort(rng.uniform(0, seconds, n))
    lat = rng.lognormal(np.log(median_ms), 0.5, n)
    ok = rng.uniform(0, 1, n) >= error_share
    names = [endpoint if i % 3 else EVIL for i in range(n)]
    t_start = [t0 + timedelta(seconds=float(o)) for o in offsets]
    table = pa.table(
        {
            "t_start": pa.array(t_start, pa.timestamp("ns", tz="UTC")),
            "latency_ms": pa.array(lat, pa.float64()),
            "name": pa.array(names)
            .dictionary_encode()
            .cast(pa.dictionary(pa.int32(), pa.string())),
            "method": pa.array(["GET"] * n)
            .dictionary_encode()
            .cast(pa.dictionary(pa.int32(), pa.string())),
            "status": pa.array([200 if o else 500 for o in ok], pa.int16()),
            "ok": pa.array(ok, pa.bool_()),
            "bytes": pa.array([512] * n, pa.int64()),
            "error": pa.array([None if o else f"HTTP 500 {EVIL}" for o in ok], pa.string())
            .dictionary_encode()
            .cast(pa.dictionary(pa.int32(), pa.string())),
            "worker": pa.array([0] * n, pa.int16()),
            "t_intended": pa.array([None] * n, pa.timestamp("ns", tz="UTC")),
            "retry": pa.nulls(n, pa.int16()),
        },
        schema=SAMPLE_SCHEMA,
    )
    pq.write_table(table, run.samples_dir / "part-00000.parquet")
    run.add_event(EventKind.PHASE, ts=t0, phase="steady", users=1, offset_s=0.0)
    if fault_at_s is not None:
        fault = {"fault": 0, "fault_kind": "latency", "value": 200, "target": "http://127.0.0.1"}
        at = t0 + timedelta(seconds=fault_at_s)
        run.add_event(EventKind.FAULT_START, ts=at, duration_s=2.0, command=None, **fault)
        run.add_event(EventKind.FAULT_END, ts=at + timedelta(seconds=2), restored={}, **fault)
    run.update_meta(status=status, end=iso(t0 + timedelta(seconds=seconds)))
    return run


@pytest.fixture
def run_factory(tmp_path: Path) -> Callable[..., RunDir]:
    runs_dir = tmp_path / "runs"

    def factory(candidate: str, **kw: Any) -> RunDir:
        return make_run(runs_dir, candidate, **kw)

    return factory


@pytest.fixture
def spec_path(tmp_path: Path) -> Path:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text("from locust import HttpUser\n")
    path = tmp_path / "poc.yaml"
    path.write_text(SPEC_TEXT.format(locustfile=locustfile))
    return path


@pytest.fixture
def two_runs(run_factory: Callable[..., RunDir]) -> list[RunDir]:
    return [
        run_factory("baseline", median_ms=60.0, seed=1),
        run_factory("async", median_ms=30.0, seed=2, start=datetime(2026, 1, 5, 10, 1, tzinfo=UTC)),
    ]


#: Debian's Chromium, which every real-browser test launches (make test installs it).
CHROMIUM = "/usr/bin/chromium"
#: Its flags for a headless run in a container with nothing fetched from outside.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
