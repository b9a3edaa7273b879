"""``StopWhenDecided``: the watcher that says when a run's criteria are decided by anytime bounds.

One test runs real Locust against the demo service through the real capture plugin and polls the
run directory while the load goes; the others write Parquet batches in SAMPLE_SCHEMA by hand.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pockit._rundir import RUN_JSON, SAMPLE_SCHEMA, RunDir, utcnow
from pockit.decision import decide
from pockit.demo._service import DemoService
from pockit.load import run_candidate
from pockit.load._stop_when import StopWhenDecided
from pockit.spec import Criterion, load_spec

P95_OK = Criterion(metric="latency_p95_ms", op="<", threshold=300, key=True)
SUCCESS = Criterion(metric="success_rate", op=">=", threshold=0.9)
COST = Criterion(metric="cost_per_1k_usd", op="<=", threshold=0.05)


def _batch(run: RunDir, name: str, latency: np.ndarray, ok: np.ndarray) -> None:
    n = latency.size
    now = np.datetime64(utcnow().replace(tzinfo=None), "ns")
    table = pa.table(
        {
            "t_start": pa.array(np.full(n, now), pa.timestamp("ns", tz="UTC")),
            "latency_ms": pa.array(latency, pa.float64()),
            "name": pa.array(["/api/items"] * n).dictionary_encode(),
            "method": pa.array(["GET"] * n).dictionary_encode(),
            "status": pa.array(np.where(ok, 200, 500).astype(np.int16)),
            "ok": pa.array(ok),
            "bytes": pa.array(np.zeros(n, dtype=np.int64)),
            "error": pa.array(
                [None if o else "HTTP 500" for o in ok], pa.string()
            ).dictionary_encode(),
            "worker": pa.array(np.zeros(n, dtype=np.int16)),
            "t_intended": pa.nulls(n, pa.timestamp("ns", tz="UTC")),
            "retry": pa.nulls(n, pa.int16()),
        }
    ).cast(SAMPLE_SCHEMA)
    pq.write_table(table, run.samples_dir / name)


class Clock:
    """A settable clock, so the minimum duration is tested without sleeping."""

    def __init__(self, run: RunDir) -> None:
        self.now = run.start

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


def test_counts_accumulate_batch_by_batch_and_min_duration_holds(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path, {"candidate": "c"})
    clock = Clock(run)
    watcher = StopWhenDecided(run, [P95_OK, SUCCESS, COST], min_duration_s=30, clock=clock)
    assert watcher.unwatched == (COST.label,)
    first = watcher.poll()
    assert not first.stop and first.results[0].n == 0

    _batch(run, "w000-1-000000.parquet", np.full(50, 20.0), np.ones(50, bool))
    clock.now += timedelta(seconds=10)
    early = watcher.poll()
    assert not early.stop and "not decided" in early.reason and early.results[0].n == 50

    # a batch still being written (dot-name) is not read; complete ones are, each once
    _batch(run, ".w000-1-000001.parquet", np.full(5000, 9999.0), np.zeros(5000, bool))
    _batch(run, "w000-1-000001.parquet", np.full(250, 20.0), np.ones(250, bool))
    clock.now += timedelta(seconds=5)
    decided = watcher.poll()
    assert [r.outcome for r in decided.results] == ["PASS", "PASS"]
    assert decided.results[0].n == 300 and not decided.stop
    assert "minimum duration" in decided.reason
    clock.now += timedelta(seconds=20)
    done = watcher.poll()
    assert done.stop and "decided after 35 s" in done.reason and COST.label in done.reason
    assert done.results[0].n == 300  # nothing counted twice
    assert len(watcher.history) == 4
    assert done.to_dict()["criteria"][0]["outcome"] == "PASS"


def test_key_only_and_failures_count_as_slow(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path, {"candidate": "c"})
    clock = Clock(run)
    clock.now += timedelta(seconds=60)
    # 20% of requests fail fast: a P95 criterion must count them as not under the threshold
    ok = np.arange(400) % 5 != 0
    _batch(run, "w000-1-000000.parquet", np.full(400, 5.0), ok)
    both = StopWhenDecided(run, [P95_OK, SUCCESS], min_duration_s=0, clock=clock).poll()
    assert [r.outcome for r in both.results] == ["FAIL", "FAIL"] and both.stop
    key_only = StopWhenDecided(
        run,
        [P95_OK, Criterion(metric="success_rate", op=">=", threshold=0.79)],
        min_duration_s=0,
        require="key",
        clock=clock,
    )
    assert [c.metric for c in key_only.watched] == ["latency_p95_ms"]


@pytest.mark.slow
def test_real_run_is_decided_before_it_ends(tmp_path: Path, make_spec: Callable[..., Path]) -> None:
    """Real Locust, real capture: the watcher reads batches as they land and decides early,
    with the same outcomes the fixed-length decision gives the whole run afterwards."""
    duration = 8.0
    with DemoService(variants=("async",)) as svc:
        spec_path = make_spec(
            {"async": svc.url("async")},
            load={"users": 8, "duration": f"{duration:g}s"},
            criteria=[
                {"metric": "latency_p95_ms", "op": "<", "threshold": 300},
                {"metric": "latency_p50_ms", "op": "<", "threshold": 5},  # the variant sleeps 8+ ms
                {"metric": "success_rate", "op": ">=", "threshold": 0.9},
            ],
        )
        spec = load_spec(spec_path)
        runs_dir = tmp_path / "runs"
        out: list[Path] = []
        worker = threading.Thread(
            target=lambda: out.extend(
                run_candidate(spec, "async", runs_dir=runs_dir, progress=False)
            )
        )
        worker.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(runs_dir.glob(f"*/{RUN_JSON}")):
            time.sleep(0.1)
        [path] = [p.parent for p in runs_dir.glob(f"*/{RUN_JSON}")]
        watcher = StopWhenDecided(RunDir.open(path), spec.criteria, min_duration_s=2)
        stopped = None
        while worker.is_alive() and time.monotonic() < deadline:
            check = watcher.poll()
            if check.stop and stopped is None:
                stopped = check
            time.sleep(0.5)
        worker.join(timeout=60)
    assert stopped is not None, watcher.history[-1]
    assert stopped.elapsed_s < duration - 1, stopped.reason
    assert [r.outcome for r in stopped.results] == ["PASS", "FAIL", "PASS"]
    full = decide(spec, out)
    assert [c.outcome for c in full.criteria] == ["PASS", "FAIL", "PASS"]
    # the anytime bounds at the stop are never tighter than the fixed-length ones at the end
    assert stopped.results[0].n < full.criteria[0].n
