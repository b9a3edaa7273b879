"""Faults from the spec at offsets into the run: latency, error rate, kill + restart, a command."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pockit import RunDir
from pockit._rundir import parse_iso
from pockit.demo._service import DemoService
from pockit.load import run_candidate
from tests._typed import number
from tests.contract.checks import follows_contract, risk_items

pytestmark = pytest.mark.slow


def _window(events: list[dict[str, Any]], index: int) -> tuple[datetime, datetime, dict[str, Any]]:
    start = next(e for e in events if e["kind"] == "fault_start" and e["fault"] == index)
    end = next(e for e in events if e["kind"] == "fault_end" and e["fault"] == index)
    return parse_iso(start["ts"]), parse_iso(end["ts"]), end


def test_faults_are_injected_and_recorded(make_spec: Callable[..., Path], tmp_path: Path) -> None:
    marker = tmp_path / "command-ran"
    with DemoService(variants=("async",)) as svc:
        spec = make_spec(
            {"async": svc.url("async")},
            load={"users": 4, "duration": "8s"},
            faults=[
                {"kind": "latency", "at": "1s", "duration": "1.5s", "value": 150},
                {"kind": "error_rate", "at": "3s", "duration": "1s", "value": 0.5},
                {"kind": "kill", "at": "5s", "duration": "1s"},
                {
                    "kind": "command",
                    "at": "1s",
                    "command": [sys.executable, "-c", f"open({str(marker)!r}, 'w')"],
                },
            ],
        )
        [path] = run_candidate(spec, "async", runs_dir=tmp_path / "runs", progress=False)
        assert len(svc.exits) == 1  # the kill was a real process death, and it came back
        assert svc.pid("async") is not None
    run = RunDir.open(path)
    assert run.meta["status"] == "completed"
    events = run.events()
    df = run.read_samples()
    follows_contract(run)  # every fault kind's start and end carry their declared fields

    lat_start, lat_end, lat_ev = _window(events, 0)
    assert lat_ev["restored"] == {"latency_ms": 0.0}
    during = df.filter(
        pl.col("t_start").is_between(lat_start, lat_end) & (pl.col("name") == "/api/items")
    )
    before = df.filter((pl.col("t_start") < lat_start) & (pl.col("name") == "/api/items"))
    # the knob turns between two requests, and a scheduler hiccup can slow one: judge the bulk
    assert number((during["latency_ms"] > 150).mean()) > 0.9
    assert number((before["latency_ms"] < 150).mean()) > 0.95

    err_start, err_end, _ = _window(events, 1)
    errs = df.filter(pl.col("t_start").is_between(err_start, err_end))
    assert 0.15 < number((errs["status"] == 500).mean()) < 0.85
    # a request sent just before the knob turned may be answered after it: leave it a second
    assert df.filter(pl.col("t_start") < err_start - timedelta(seconds=1))["ok"].all()

    kill_start, kill_end, kill_ev = _window(events, 2)
    assert kill_ev["recovered"] is True and 0.9 < (kill_end - kill_start).total_seconds() < 4
    down = df.filter(pl.col("t_start").is_between(kill_start, kill_end))
    assert (down["status"] == 0).sum() > 0  # connections refused while it was down
    after = df.filter(pl.col("t_start") > kill_end)
    assert (
        after.height > 10 and number(after["ok"].mean()) > 0.95
    )  # ... and served again after the restart

    _, _, cmd_ev = _window(events, 3)
    assert cmd_ev["returncode"] == 0 and marker.exists()


def test_fault_on_a_target_without_the_knob_is_recorded_not_fatal(
    make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    with DemoService(variants=("async",)) as svc:
        spec = make_spec(
            {"async": svc.url("async") + "/nowhere"},
            load={"duration": "3s"},
            faults=[{"kind": "latency", "at": "1s", "duration": "1s", "value": 100}],
        )
        [path] = run_candidate(spec, "async", runs_dir=tmp_path, progress=False)
    run = RunDir.open(path)
    [err] = [e for e in run.events() if e["kind"] == "fault_error"]
    assert "could not start" in err["error"] and run.meta["status"] == "completed"
    follows_contract(run)
    [not_injected] = risk_items(run)["fault"]
    assert "fault 0 not injected" in not_injected
