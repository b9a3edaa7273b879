"""The real writers through to the real readers: Locust with the capture plugin, the load shape's
idle gaps and an injected fault, against the demo service on 127.0.0.1, then ``pockit decide`` and
the report's risks. Each side used to pass its own test with its own spelling of the event; here
one run is read by the code that judges it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pockit._contract import EventKind, StopCode, events_of
from pockit._rundir import RunDir
from pockit.demo._service import DemoService
from pockit.load import run_candidate
from tests.contract.checks import criterion, follows_contract, risk_items

pytestmark = pytest.mark.slow

GAPS, PROBE = 2, 40  # 80 cold-start requests: enough for a finite one-sided bound on P95


def test_idle_gaps_and_a_fault_are_decided(make_spec: Callable[..., Path], tmp_path: Path) -> None:
    with DemoService(variants=("async",)) as svc:
        spec = make_spec(
            {"async": svc.url("async")},
            load={
                "users": 6,
                "spawn_rate": 60,
                "duration": "10s",
                "idle_gaps": [
                    {"at": "4s", "pause": "1s", "probe": PROBE},
                    {"at": "6.5s", "pause": "1s", "probe": PROBE},
                ],
            },
            faults=[{"kind": "latency", "at": "0.5s", "duration": "1s", "value": 40}],
            criteria=[
                {"metric": "cold_start_p95_ms", "op": "<", "threshold": 2000},
                {"metric": "recovery_s", "op": "<=", "threshold": 5},
            ],
        )
        [path] = run_candidate(spec, "async", runs_dir=tmp_path / "runs", progress=False)
    run = RunDir.open(path)
    rec = follows_contract(run)
    assert rec.stop_code is StopCode.DURATION_REACHED
    assert len(events_of(run.events(), EventKind.IDLE_GAP_END)) == GAPS
    assert len(events_of(run.events(), EventKind.FAULT_END)) == 1

    out = subprocess.run(
        [sys.executable, "-m", "pockit", "decide", str(spec), str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode in (0, 1), out.stderr  # a verdict, not INCONCLUSIVE
    decision = json.loads(out.stdout)
    cold = criterion(decision, "cold_start_p95_ms")
    assert cold["outcome"] in ("PASS", "FAIL"), cold["reason"]
    assert cold["n"] == GAPS * PROBE
    recovery = criterion(decision, "recovery_s")
    assert recovery["outcome"] in ("PASS", "FAIL"), recovery["reason"]
    assert recovery["n"] == 1
    # a healthy run raises no risk from its run.json or events (only what the decision says)
    items = risk_items(run)
    assert set(items) <= {"decision", "samples"}, items
