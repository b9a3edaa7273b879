"""The batch comparison's judging logic: where each candidate passes along a numeric grid key."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from pockit._errors import InputError
from pockit.analysis import Estimate, GroupStats
from pockit.report import batch_view, plots
from pockit.report.batch_view import last_passing, numeric_key, pass_sentence
from pockit.report.grid import GridPoint, PointCriterion


def test_last_passing_up_to_and_with_a_gap() -> None:
    ranges = last_passing(
        {
            "async": {5: "GO", 20: "GO"},
            "baseline": {5: "GO", 20: "NO-GO"},
            "flaky": {20: "GO", 5: "NO-GO"},  # fails at 5, passes at 20: no "up to"
            "slow": {5: "NO-GO", 20: None},  # 20 did not run
        }
    )
    assert ranges["async"].last == 20 and ranges["async"].contiguous
    assert ranges["baseline"].last == 5 and ranges["baseline"].contiguous
    assert ranges["flaky"].last == 20 and not ranges["flaky"].contiguous
    assert ranges["slow"].last is None
    text = pass_sentence("users", ranges)
    assert "async passes up to 20 users (every value tried)" in text
    assert "baseline passes up to 5 users, not at 20 (NO-GO)" in text
    assert "flaky passes at 20 users, not at 5 (NO-GO)" in text
    assert "up to 20 users, not at 5" not in text
    assert "slow passes at none of 5 and 20 users" in text and "not run" in text


def test_gaps_in_the_middle_and_other_units() -> None:
    r = last_passing({"a": {1: "GO", 2: "INCONCLUSIVE", 3: "GO", 4: "NO-GO"}})
    assert r["a"].last == 3 and not r["a"].contiguous
    assert pass_sentence("users", r) == (
        "a passes at 1 and 3 users, not at 2 (INCONCLUSIVE), 4 (NO-GO)."
    )
    one = last_passing({"a": {1: "GO", 30.0: "NO-GO"}})
    assert pass_sentence("users", one) == "a passes up to 1 user, not at 30 (NO-GO)."
    assert pass_sentence("duration_s", one) == "a passes up to 1 s, not at 30 (NO-GO)."


def _est(value: float, low: float | None, high: float | None) -> Estimate:
    inf = float("inf")
    return Estimate(value, -inf if low is None else low, inf if high is None else high, 100)


def _point(users: Any, cand: str, verdict: str | None, p95: float) -> GridPoint:
    stats = GroupStats(
        n=100,
        n_ok=99,
        duration_s=10.0,
        success_rate=_est(0.995, 0.98, None),
        error_rate=_est(0.005, 0.001, 0.02),
        throughput_rps=_est(10.0 * users if isinstance(users, int) else 5.0, None, None),
        latency_ms={
            k: _est(p95 * f, p95 * f * 0.9, None if k == "p99" else p95 * f * 1.1)
            for k, f in (("p50", 0.5), ("p95", 1.0), ("p99", 1.5))
        },
    )
    crits: list[dict[str, Any]] = [
        {"metric": "latency_p95_ms", "label": "latency_p95_ms < 100", "outcome": "PASS" if verdict == "GO" else "FAIL",
         "estimate": p95, "ci_low": p95 * 0.9, "ci_high": p95 * 1.1},
        {"metric": "success_rate", "label": "success_rate >= 0.99", "outcome": "PASS",
         "estimate": 0.995, "ci_low": 0.991, "ci_high": None},
    ] if verdict else []  # fmt: skip
    return GridPoint(
        params={"users": users, "candidate": cand},
        name=f"users={users}-candidate={cand}",
        status="ok" if verdict else "failed",
        stats=stats if verdict else None,
        judged=True,
        verdict=verdict,
        candidates={cand: verdict} if verdict else {},
        criteria=tuple(PointCriterion.of(c) for c in crits),
    )


def test_view_of_a_numeric_grid() -> None:
    points = [
        _point(5, "async", "GO", 20.0),
        _point(20, "async", "GO", 40.0),
        _point(5, "base$line", "GO", 50.0),
        _point(20, "base$line", "NO-GO", 400.0),
    ]
    assert numeric_key(points) == "users"
    assert batch_view.along(points) == {
        "key": "users",
        "last_passing": {"async": 20.0, "base$line": 5.0},
        "sentence": "async passes up to 20 users (every value tried); "
        "base$line passes up to 5 users, not at 20 (NO-GO).",
    }
    table = batch_view.verdict_table(points)
    assert table.count("<tr>") == 5  # header + one row per point
    assert "latency_p95_ms &lt; 100" in table and "success_rate &gt;= 0.99" in table
    assert table.count('class="outcome FAIL"') == 1 and table.count('class="outcome PASS"') == 7
    assert "99.50 %" in table  # a success rate as a percentage, with its unit
    rows = batch_view.rows(points)
    assert rows[0]["success rate"] == "99.50 %"
    assert rows[0]["p95 95% interval"] == "[18.0 ms, 22.0 ms]"
    assert batch_view.rows_note(points) == ""
    stats = points[0].stats
    assert stats is not None
    no_high = {**stats.latency_ms, "p95": _est(20.0, 18.0, None)}
    points[0] = replace(points[0], stats=replace(stats, latency_ms=no_high))
    assert batch_view.rows(points)[0]["p95 95% interval"] == "[18.0 ms, —†]"
    assert "no upper bound" in batch_view.rows_note(points)
    fig = batch_view.grid_figure(points)
    assert len(fig.axes) == 3  # latency, throughput, error rate: curves, not bars
    assert getattr(fig, "pockit_message", None) is None
    assert len(plots.figure_png(fig)) > 1000  # renders, the "$" in a name included
    box = fig.axes[1].get_legend()
    assert box is not None  # the throughput axis names each candidate
    legend = [t.get_text() for t in box.get_texts()]
    assert r"base\$line: last pass 5" in legend and "async: last pass 20" in legend


def test_non_numeric_grid_keeps_the_bars_and_a_failed_point_is_not_run() -> None:
    points = [_point("a", "async", "GO", 20.0), _point("b", "async", None, 0.0)]
    points = [
        replace(points[0], params={"candidate": "a"}),
        replace(points[1], params={"candidate": "b"}),
    ]
    assert numeric_key(points) is None and batch_view.along(points) is None
    assert batch_view.along_html(points) == ""
    assert len(batch_view.grid_figure(points).axes) == 2  # the bars
    assert "not run" in batch_view.verdict_table(points)


def test_a_point_round_trips_through_its_file_shape_and_bad_fields_are_named() -> None:
    point = _point(5, "async", "GO", 20.0)
    back = GridPoint.from_dict(point.to_dict())
    assert back == replace(point, stats=None)  # stats are computed when read, not stored
    unjudged = GridPoint(params={"users": 5}, name="users=5", status="failed", error="boom")
    assert "verdict" not in unjudged.to_dict()
    assert not GridPoint.from_dict(unjudged.to_dict()).judged
    for bad, field in (
        ({**point.to_dict(), "run_dirs": "runs/a"}, "'run_dirs'"),
        ({**point.to_dict(), "status": "done"}, "'status'"),
        ({**point.to_dict(), "params": [1]}, "'params'"),
        ([1, 2], "expected an object"),
    ):
        with pytest.raises(InputError, match=field) as err:
            GridPoint.from_dict(bad, "grid_results.json: points[3]")
        assert "grid_results.json: points[3]" in str(err.value)
