"""Load shapes: stages, spike, idle gaps and the open-model arrival rate with t_intended."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pockit import RunDir
from pockit._rundir import parse_iso
from pockit.demo._service import DemoService
from pockit.load import make_plan, run_candidate
from pockit.load._shape_plan import plan_tick
from pockit.spec import load_spec
from tests._typed import moment, number
from tests.contract.checks import follows_contract

from .conftest import set_fault

CONF = {"kind": "constant", "users": 4, "spawn_rate": 2, "duration_s": 10, "gaps": []}


def _tick(conf: dict[str, Any], t: float) -> tuple[int, float, str]:
    """``plan_tick`` at a time the run is still going: a None (run over) fails the test."""
    tick = plan_tick(conf, t)
    assert tick is not None, f"the plan ended before {t} s"
    return tick


def test_plan_tick_constant_stages_spike_gaps() -> None:
    assert plan_tick(CONF, 0) == (4, 2.0, "steady")
    assert plan_tick(CONF, 10) is None
    stages = {
        **CONF,
        "kind": "stages",
        "stages": [{"duration_s": 2, "users": 1}, {"duration_s": 3, "users": 8, "spawn_rate": 8}],
    }
    assert _tick(stages, 1.9)[:2] == (1, 2.0)
    assert plan_tick(stages, 2.0) == (8, 8.0, "stage1")
    spike = {**CONF, "kind": "spike", "spike_users": 20, "spike_at_s": 3, "spike_s": 2}
    assert _tick(spike, 2.9)[0] == 4 and _tick(spike, 3.5)[0] == 20 and _tick(spike, 5.1)[0] == 4
    gaps = {**CONF, "gaps": [{"at_s": 4, "pause_s": 2, "probe": 5}]}
    assert plan_tick(gaps, 4.5) == (0, 1000.0, "gap0") and _tick(gaps, 6.0)[0] == 4


def test_plan_from_spec_and_caps(make_spec: Callable[..., Path]) -> None:
    spec = load_spec(
        make_spec(
            {"a": "http://127.0.0.1:9"},
            load={
                "duration": "5s",
                "shape": {
                    "kind": "arrival_rate",
                    "stages": [{"duration": "2s", "rate": 10}, {"duration": "3s", "rate": 40}],
                },
            },
        )
    )
    plan = make_plan(spec)
    assert plan.duration_s == 5 and plan.arrival == {
        "segments": [[2.0, 10.0], [5.0, 40.0]],
        "gaps": [],
    }
    assert plan.peak_rate == 40 and plan.shape is not None and plan.shape["kind"] == "arrival_rate"
    assert make_plan(spec, workers=-1).workers >= 1


def test_plan_refuses_what_validation_would_have(make_spec: Callable[..., Path]) -> None:
    """A Spec can be built without the loader (dataclasses.replace, the API): the plan still
    refuses a NaN duration (it passed every cap's `>`) and user classes that would become options."""
    import dataclasses
    import math

    from pockit._errors import UsageError

    spec = load_spec(make_spec({"a": "http://127.0.0.1:9"}, load={"duration": "5s"}))
    with pytest.raises(UsageError, match="finite"):
        make_plan(spec, duration_s=math.nan)
    assert spec.load is not None
    smuggled = dataclasses.replace(
        spec, load=dataclasses.replace(spec.load, user_classes=("Web", "-u", "20"))
    )
    with pytest.raises(UsageError, match="identifiers"):
        make_plan(smuggled)


@pytest.mark.slow
def test_stages_and_idle_gap(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = make_spec(
        {"async": service.url("async")},
        load={
            "duration": "7s",
            "shape": {
                "kind": "stages",
                "stages": [
                    {"duration": "2s", "users": 1},
                    {"duration": "5s", "users": 5, "spawn_rate": 50},
                ],
            },
            "idle_gaps": [{"at": "4s", "pause": "1s", "probe": 5}],
        },
    )
    [path] = run_candidate(spec, "async", runs_dir=tmp_path, progress=False)
    run = RunDir.open(path)
    assert run.meta["status"] == "completed" and run.meta["load"]["shape"] == "stages"
    follows_contract(run)
    events = run.events()
    phases = [e["phase"] for e in events if e["kind"] == "phase"]
    assert phases[:2] == ["stage0", "stage1"]
    start = parse_iso(next(e["ts"] for e in events if e["kind"] == "idle_gap_start"))
    end = parse_iso(next(e["ts"] for e in events if e["kind"] == "idle_gap_end"))
    assert 0.9 < (end - start).total_seconds() < 2.6  # shapes tick once a second
    df = run.read_samples()
    inside = df.filter(
        (pl.col("t_start") > start + timedelta(seconds=0.3)) & (pl.col("t_start") < end)
    )
    assert inside.height == 0  # no load during the pause
    assert df.filter(pl.col("t_start") > end).height >= 5  # ... and load again after it
    stage0_end = parse_iso(next(e["ts"] for e in events if e.get("phase") == "stage1"))
    first = moment(df["t_start"].min())
    rate0 = df.filter(pl.col("t_start") < stage0_end).height / (stage0_end - first).total_seconds()
    rate1 = (
        df.filter((pl.col("t_start") > stage0_end) & (pl.col("t_start") < start)).height
        / (start - stage0_end).total_seconds()
    )
    assert rate1 > 2.5 * rate0  # 5 users against 1


@pytest.mark.slow
def test_arrival_rate_records_intended_times(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = make_spec(
        {"async": service.url("async")},
        load={"users": 5, "duration": "4s", "shape": {"kind": "arrival_rate", "rate": 25}},
    )
    [path] = run_candidate(spec, "async", runs_dir=tmp_path, progress=False)
    df = RunDir.open(path).read_samples().sort("t_intended")
    assert df["t_intended"].null_count() == 0
    gaps_ms = df["t_intended"].diff().dt.total_microseconds().drop_nulls() / 1000
    assert 36 < number(gaps_ms.median()) < 44  # 25 req/s -> one arrival every 40 ms
    assert 60 < df.height < 110  # ~4 s minus start-up at 25 req/s, not the closed-model ~200
    lag_ms = (df["t_start"] - df["t_intended"]).dt.total_microseconds() / 1000
    assert number(lag_ms.quantile(0.5)) < 50  # a fast target keeps up with the schedule


@pytest.mark.slow
def test_arrival_rate_exposes_coordinated_omission(
    make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    with DemoService(variants=("async",)) as svc:
        set_fault(svc.url("async"), latency_ms=250)  # 3 users x ~4 req/s each < 30 req/s asked
        spec = make_spec(
            {"async": svc.url("async")},
            load={"users": 3, "duration": "4s", "shape": {"kind": "arrival_rate", "rate": 30}},
        )
        [path] = run_candidate(spec, "async", runs_dir=tmp_path, progress=False)
    df = RunDir.open(path).read_samples()
    from_intended = (df["t_start"] - df["t_intended"]).dt.total_microseconds() / 1000 + df[
        "latency_ms"
    ]
    # measured from the schedule, latency keeps growing as the queue builds; the plain one does not
    assert number(from_intended.quantile(0.95)) > 3 * number(df["latency_ms"].quantile(0.95))
