"""The latency distribution chart's data: exact order statistics from a streaming group-by."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import polars as pl

from pockit._rundir import RunDir
from pockit.analysis import curve_from_values, latency_curve
from pockit.report import plots


def test_each_point_is_the_sorted_samples_value_at_its_rank(
    run_factory: Callable[..., RunDir],
) -> None:
    runs = [
        run_factory("baseline", n=3000, seed=1),
        run_factory("baseline", n=2000, seed=2, start=datetime(2026, 1, 5, 11, tzinfo=UTC)),
        run_factory("async", n=1500, median_ms=20.0, seed=3),
    ]
    curves = latency_curve(runs)
    assert list(curves) == ["baseline", "async"]
    for cand, curve in curves.items():
        lat = np.sort(
            pl.concat(
                [
                    r.scan_samples().filter(pl.col("ok")).collect()
                    for r in runs
                    if r.candidate == cand
                ]
            )["latency_ms"].to_numpy()
        )
        assert curve.n == len(lat)
        ranks = np.round(np.asarray(curve.q) * curve.n + 0.5).astype(int)
        assert ranks[-1] == curve.n and np.all(np.diff(ranks) > 0)
        assert np.array_equal(np.asarray(curve.latency_ms), lat[ranks - 1])
        assert 100 < len(curve.q) < 1000  # one point per occupied bin, not per request
        in_memory = curve_from_values(cand, lat)
        assert in_memory.n == curve.n and in_memory.latency_ms[-1] == curve.latency_ms[-1]


def test_ties_zero_and_failed_requests() -> None:
    curve = curve_from_values("a", [0.0, 0.0, 2.0, 2.0, 2.0, float("nan"), 8.0])
    assert curve.n == 6
    assert curve.latency_ms == (0.0, 2.0, 8.0)
    assert curve.q == ((2 - 0.5) / 6, (5 - 0.5) / 6, (6 - 0.5) / 6)


def test_the_chart_draws_curves_and_arrays_alike(run_factory: Callable[..., RunDir]) -> None:
    run = run_factory("baseline", n=800)
    from_curve = plots.latency_distribution(latency_curve([run]))
    lat = run.scan_samples().filter(pl.col("ok")).collect()["latency_ms"].to_numpy()
    from_array = plots.latency_distribution({"baseline": lat})
    a, b = from_curve.axes[0].lines[0], from_array.axes[0].lines[0]
    assert np.array_equal(a.get_xdata(), b.get_xdata())
    assert np.array_equal(a.get_ydata(), b.get_ydata())
    assert "n=" in str(a.get_label())
