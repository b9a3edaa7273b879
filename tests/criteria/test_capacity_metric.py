"""``capacity_rps``: the last step a capacity ramp held, bracketed by its first failing step; INCONCLUSIVE
when no step passed or no run was a capacity run."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import polars as pl

from pockit._contract import RunMeta
from pockit.analysis import RunInfo
from pockit.criteria import CandidateData, MetricInput, Rule, lookup


def run(rid: str, capacity: dict[str, Any] | None) -> RunInfo:
    raw: dict[str, Any] = {
        "id": rid,
        "candidate": "a",
        "start": "2026-01-05T10:00:00Z",
        "end": "2026-01-05T10:00:30Z",
        "status": "completed",
    }
    if capacity is not None:
        raw["capacity"] = capacity
    meta = RunMeta.from_dict(raw)
    return RunInfo(rid, "a", meta.start, meta.end, "completed", 0, Path(rid), (), meta)


def judged(threshold: float, *infos: RunInfo) -> Any:
    rule = Rule(metric="capacity_rps", op=">=", threshold=threshold)
    data = CandidateData(
        name="a", frame=pl.DataFrame(), infos=list(infos), durations={}, unit="pooled"
    )
    metric = lookup("capacity_rps")
    assert metric is not None
    return metric.compute(MetricInput(rule=rule, data=data, frame=pl.DataFrame()))


def ramp(last_pass: float | None, first_fail: float | None) -> dict[str, Any]:
    return {"last_pass": last_pass, "first_fail": first_fail, "steps": [{}, {}, {}]}


def test_the_bracket_is_the_interval_and_decides() -> None:
    j = judged(25, run("r1", ramp(30, 35)))
    assert (j.outcome, j.estimate, j.ci_low, j.ci_high) == ("PASS", 30, 30, 35)
    assert "[30, 35]" in j.reason and "first failing" in j.method
    assert judged(40, run("r1", ramp(30, 35))).outcome == "FAIL"  # the knee is below 35
    assert judged(32, run("r1", ramp(30, 35))).outcome == "INCONCLUSIVE"  # inside the bracket


def test_no_failing_step_means_at_least_the_ceiling() -> None:
    j = judged(40, run("r1", ramp(50, None)))
    assert j.outcome == "PASS" and math.isinf(j.ci_high) and "up to the ceiling" in j.reason


def test_several_runs_take_the_lowest() -> None:
    j = judged(25, run("r1", ramp(35, 40)), run("r2", ramp(30, 35)))
    assert (j.estimate, j.ci_high) == (30, 35)


def test_missing_data_is_inconclusive() -> None:
    none = judged(25, run("r1", None))
    assert none.outcome == "INCONCLUSIVE" and "was a capacity run" in none.reason
    below = judged(25, run("r1", ramp(None, 15)))
    assert below.outcome == "INCONCLUSIVE" and "below the first step" in below.reason
