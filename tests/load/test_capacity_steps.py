"""The capacity ramp's step judging on synthetic samples: each step on its own requests, requests
not back yet counted as unknown, the first failing step stopping the ramp, run.json's record."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pockit._contract import EventKind, RunField, parse_iso
from pockit._rundir import SAMPLE_SCHEMA, RunDir
from pockit.load._capacity import CapacityRamp, judge_step, knee_rates
from pockit.spec import Criterion

P95 = Criterion(metric="latency_p95_ms", op="<", threshold=150)
ERRORS = Criterion(metric="error_rate", op="<", threshold=0.05)


def frame(latency: list[float], ok: list[bool] | None = None) -> pl.DataFrame:
    n = len(latency)
    return pl.DataFrame(
        {
            "latency_ms": latency,
            "ok": ok if ok is not None else [True] * n,
            "status": [200] * n,
            "error": [None] * n,
        },
        schema_overrides={"error": pl.String},
    )


def test_a_fast_step_passes_and_a_slow_one_fails() -> None:
    fast = judge_step(frame([60.0] * 120), [P95], index=0, rate=30, step_s=4)
    assert fast.outcome == "PASS" and fast.n == 120 and fast.missing == 0
    assert fast.p50_ms == 60.0 and fast.error_rate == 0.0
    slow = judge_step(frame([60.0] * 60 + [400.0] * 60), [P95], index=1, rate=30, step_s=4)
    assert slow.outcome == "FAIL" and slow.p95_ms == 400.0
    assert slow.criteria[0]["hi"] < 0.95  # the share under 150 ms, bounded below p0


def test_requests_not_back_yet_keep_a_step_from_passing() -> None:
    # 120 offered, 80 back, all fast: the 40 out may all be slow, so the step cannot pass
    out = judge_step(frame([60.0] * 80), [P95], index=0, rate=30, step_s=4)
    assert out.missing == 39 and out.outcome == "INCONCLUSIVE"


def test_every_knee_criterion_must_pass_and_a_fail_of_any_fails_the_step() -> None:
    failing = [True] * 100 + [False] * 20
    out = judge_step(frame([60.0] * 120, failing), [P95, ERRORS], index=0, rate=30, step_s=4)
    assert [c["outcome"] for c in out.criteria] == ["FAIL", "FAIL"]  # failures are never "under"
    assert out.outcome == "FAIL" and abs(out.error_rate - 20 / 120) < 1e-12


def test_a_step_too_short_for_its_percentile_cannot_pass() -> None:
    # 40 requests all fast: the share under 150 ms is bounded below only at 0.05 ** (1 / 40) < 0.95
    out = judge_step(frame([60.0] * 40), [P95], index=0, rate=10, step_s=4)
    assert out.outcome == "INCONCLUSIVE"


def test_an_empty_step_is_inconclusive() -> None:
    out = judge_step(frame([]), [P95], index=0, rate=30, step_s=4)
    assert out.outcome == "INCONCLUSIVE" and out.missing == 119


def test_the_bracket_is_the_last_pass_below_the_first_fail() -> None:
    steps = [
        {"step": 0, "rate": 10, "outcome": "PASS"},
        {"step": 1, "rate": 20, "outcome": "PASS"},
        {"step": 2, "rate": 30, "outcome": "INCONCLUSIVE"},
        {"step": 3, "rate": 40, "outcome": "FAIL"},
        {"step": 4, "rate": 50, "outcome": "PASS"},  # noise after the knee does not count
    ]
    assert knee_rates(steps) == (20.0, 40.0)
    assert knee_rates(steps[:2]) == (20.0, None)
    assert knee_rates([{"step": 0, "rate": 10, "outcome": "FAIL"}]) == (None, 10.0)


def _write(run: RunDir, name: str, t0: datetime, offsets: np.ndarray, latency: np.ndarray) -> None:
    n = offsets.size
    base = np.datetime64(t0.replace(tzinfo=None), "ns")
    intended = base + (offsets * 1e9).astype("timedelta64[ns]")
    table = pa.table(
        {
            "t_start": pa.array(intended, pa.timestamp("ns", tz="UTC")),
            "latency_ms": pa.array(latency, pa.float64()),
            "name": pa.array(["/api/items"] * n).dictionary_encode(),
            "method": pa.array(["GET"] * n).dictionary_encode(),
            "status": pa.array(np.full(n, 200, np.int16)),
            "ok": pa.array(np.ones(n, bool)),
            "bytes": pa.array(np.zeros(n, dtype=np.int64)),
            "error": pa.nulls(n, pa.string()).dictionary_encode(),
            "worker": pa.array(np.zeros(n, dtype=np.int16)),
            "t_intended": pa.array(intended, pa.timestamp("ns", tz="UTC")),
            "retry": pa.nulls(n, pa.int16()),
        }
    ).cast(SAMPLE_SCHEMA)
    pq.write_table(table, run.samples_dir / name)


def test_the_ramp_judges_settled_steps_by_intended_time_and_records_them(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path, {"candidate": "c"})
    run.add_event(EventKind.LOAD_START)
    t0 = run.events()[0]["ts"]
    start = parse_iso(str(t0))
    ramp = CapacityRamp(run, (20.0, 20.0, 30.0), 4.0, [P95])
    # step 0 and 1: 80 fast requests each; step 2: 120, half slow
    _write(run, "w000-1-000000.parquet", start, np.arange(80) / 20, np.full(80, 50.0))
    _write(run, "w000-1-000001.parquet", start, 4 + np.arange(80) / 20, np.full(80, 50.0))
    slow = np.where(np.arange(120) % 2 == 0, 50.0, 500.0)
    _write(run, "w000-1-000002.parquet", start, 8 + np.arange(120) / 30, slow)

    assert ramp.poll(start + timedelta(seconds=4 + 1)) is None and ramp.steps == []  # not settled
    assert ramp.poll(start + timedelta(seconds=8 + 3.5)) is None
    assert [s.outcome for s in ramp.steps] == ["PASS", "PASS"]
    assert [s.n for s in ramp.steps] == [80, 80]
    failed = ramp.poll(start + timedelta(seconds=12 + 3.5))
    assert failed is not None and failed.rate == 30.0 and failed.outcome == "FAIL"
    record = RunDir.open(run.path).meta[RunField.CAPACITY]
    assert (record["last_pass"], record["first_fail"]) == (20.0, 30.0)
    assert [s["outcome"] for s in record["steps"]] == ["PASS", "PASS", "FAIL"]
    assert record["criteria"] == [P95.label]
