"""``capacity_rps``: the last step a capacity ramp held, bracketed by its first failing step; INCONCLUSIVE
when no step passed or no run was a capacity run."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl

from pockit._contract import RunMeta
from pockit.analysis import FrameRequests, RunInfo
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
        name="a",
        requests=FrameRequests(pl.DataFrame()),
        infos=list(infos),
        durations={},
        unit="pooled",
    )
    metric = lookup("capacity_rps")
    assert metric is not None
    return metric.compute(MetricInput(rule=rule, data=data, requests=data.requests))


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


def test_the_knee_criterion_is_judged_on_the_steps_the_ramp_held(tmp_path: Path) -> None:
    """A real run directory, the ramp's real watcher writing its record, and the real decide: 3 steps of 10 s; the first two answer in 20 ms,
    the third (failing) in 400 ms. Over the whole run P95 < 100 ms fails by construction; judged
    on the held steps it passes, and the reason says which requests counted."""
    import numpy as np
    import yaml

    from pockit import decide, load_spec
    from pockit._contract import EventKind
    from pockit.load._capacity import CapacityRule
    from tests.analysis.helpers import T0, make_run

    lat = np.r_[np.full(1000, 20.0), np.full(1000, 20.0), np.full(1000, 400.0)]
    offs = np.r_[np.linspace(0, 10, 1000, endpoint=False), np.linspace(10, 20, 1000, endpoint=False),
                 np.linspace(20, 30, 1000, endpoint=False)]  # fmt: skip
    stamps = np.datetime64(T0.replace(tzinfo=None), "ns") + (offs * 1e9).astype("timedelta64[ns]")
    run = make_run(
        tmp_path / "runs", "a", lat, duration_s=30, t_start=stamps, t_intended=stamps,
        events=[{"kind": EventKind.LOAD_START, "ts": T0}],
    )  # fmt: skip
    spec_path = tmp_path / "poc.yaml"
    spec_path.write_text(
        yaml.safe_dump(
            {
                "name": "ramp",
                "hypothesis": "holds",
                "candidates": [{"name": "a", "host": "http://127.0.0.1:9"}],
                "load": {
                    "locustfile": "lf.py",
                    "users": 5,
                    "shape": {
                        "kind": "capacity",
                        "rate": 10,
                        "step_rate": 10,
                        "step_duration": "10s",
                        "max_rate": 30,
                        "knee": ["latency_p95_ms"],
                    },
                },
                "criteria": [
                    {"metric": "latency_p95_ms", "op": "<", "threshold": 100},
                    {"metric": "latency_p99_ms", "op": "<", "threshold": 100},
                    {"metric": "capacity_rps", "op": ">=", "threshold": 15},
                ],
            }
        )  # fmt: skip
    )
    (tmp_path / "lf.py").write_text("# locustfile\n")
    spec = load_spec(spec_path)
    # the real writer: the ramp's watcher judges each step on these samples and saves its record
    rule = CapacityRule.from_spec(spec)
    assert rule is not None
    failed = rule.watch(run).poll(T0 + timedelta(seconds=60), final=True)
    assert failed is not None and failed.rate == 30
    record = run.meta["capacity"]
    assert record["last_pass"] == 20 and record["held_until"] == "2026-11-26T06:00:20.000000Z"
    p95, p99, cap = decide(spec, [run.path]).criteria
    assert p95.outcome == "PASS" and p95.n == 2000 and "capacity steps held (up to 20" in p95.reason
    assert p99.outcome == "FAIL" and p99.n == 3000  # not in the knee: the whole run, as always
    assert cap.outcome == "PASS" and (cap.ci_low, cap.ci_high) == (20, 30)
