"""headroom:NAME on synthetic utilisation points: the P95 peak, its order-statistic bounds, the band."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pockit.analysis import FrameRequests, RunInfo
from pockit.criteria import CandidateData, MetricInput, Rule, lookup
from pockit.criteria._headroom import headroom_of

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def data_with(values: list[float], *, metric: str = "util", seconds: int = 600) -> CandidateData:
    ts = [T0 + timedelta(seconds=i) for i in range(len(values))]
    frame = pl.DataFrame({"ts": ts, "metric": [metric] * len(values), "value": values})
    info = RunInfo(
        id="r1",
        candidate="a",
        start=T0,
        end=T0 + timedelta(seconds=seconds),
        status="completed",
        repeat=None,
        path=Path("."),
    )
    return CandidateData(
        name="a",
        requests=FrameRequests(pl.DataFrame()),
        infos=[info],
        durations={},
        unit="pooled",
        metrics=frame,
    )


def judged(data: CandidateData, op: str, threshold: float, metric: str = "headroom:util"):  # type: ignore[no-untyped-def]
    rule = Rule(metric=metric, op=op, threshold=threshold)
    found = lookup(metric)
    assert found is not None
    return found.compute(MetricInput(rule=rule, data=data, requests=data.requests))


def test_peak_is_the_p95_and_bounds_bracket_it() -> None:
    values = list(np.linspace(0.0, 0.99, 100))  # sorted: the P95 (rank 95) is values[94]
    est, lo, hi, n = headroom_of(values)
    assert n == 100
    assert est == pytest.approx(1 - values[94])
    assert lo <= est <= hi
    assert lo >= 0.0 and hi <= 1.0


def test_too_few_points_gives_a_bound_at_the_support() -> None:
    est, lo, hi, n = headroom_of([0.5] * 20)  # fewer than 59: no finite upper bound on the P95
    assert est == pytest.approx(0.5) and n == 20
    assert lo == 0.0  # utilisation bounded only by 1
    assert math.isnan(headroom_of([])[0])


def test_band_as_two_criteria() -> None:
    rng = np.random.default_rng(1)
    data = data_with(list(rng.uniform(0.55, 0.70, 300)))  # peak ≈ 0.69: headroom ≈ 31%
    low, high = judged(data, ">=", 0.2), judged(data, "<=", 0.4)
    assert low.outcome == "PASS" and high.outcome == "PASS"
    assert 0.29 < low.estimate < 0.33
    assert "peak (P95) utilisation" in low.reason
    busy = data_with(list(rng.uniform(0.85, 0.95, 300)))  # headroom ≈ 5%: below the band
    assert judged(busy, ">=", 0.2).outcome == "FAIL"
    idle = data_with(list(rng.uniform(0.0, 0.1, 300)))  # ≈ 90% left: above the band
    assert judged(idle, "<=", 0.4).outcome == "FAIL"


def test_short_run_is_inconclusive_and_says_why() -> None:
    got = judged(data_with([0.6] * 30), ">=", 0.2)
    assert got.outcome == "INCONCLUSIVE"
    assert "needs ≥ 59" in got.reason


def test_missing_and_not_a_utilisation() -> None:
    absent = judged(data_with([0.5] * 100, metric="other"), ">=", 0.2)
    assert absent.outcome == "INCONCLUSIVE" and "other" in absent.reason
    percent = judged(data_with([55.0] * 100), ">=", 0.2)  # a percentage, not a share
    assert percent.outcome == "INCONCLUSIVE" and "outside [0, 1]" in percent.reason
    with_nan = judged(data_with([0.5] * 100 + [math.nan] * 3), ">=", 0.2)
    assert with_nan.outcome == "PASS" and "3 NaN point(s)" in with_nan.reason


def test_points_outside_the_load_window_do_not_count() -> None:
    # 100 calm points inside the run, then a burst after it ended
    data = data_with([0.3] * 100 + [1.0] * 100, seconds=99)
    got = judged(data, ">=", 0.2)
    assert got.n == 100 and got.estimate == pytest.approx(0.7)
