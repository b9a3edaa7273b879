"""A real capacity ramp finds the demo's knee: Locust (a real process, loopback) sends open-model
steps of increasing rate to a demo server that serves two requests at a time, and the run stops
after the first step whose P95 breaks 150 ms, within one step of the rate the server's
configuration implies (slots ÷ mean service time)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

from pockit._contract import RunField, StopCode
from pockit._rundir import RunDir
from pockit.decision import decide
from pockit.demo._service import DemoService
from pockit.demo._variants import VARIANTS
from pockit.load import run_candidate
from pockit.report.run_facts import capacity_track
from pockit.spec import load_spec

SLOTS = 2
ADDED_MS = 50.0
START, STEP, CEILING, STEP_S = 15.0, 5.0, 50.0, 4.0


def implied_capacity() -> float:
    """slots ÷ mean service time. The demo's service time is lognormal (mean = median ×
    exp(sigma² / 2)) times the endpoint's factor (checkout 1.5, one task in ten of the demo
    locustfile), plus the added latency."""
    v = VARIANTS["async"]
    mean_ms = v.median_ms * math.exp(v.sigma**2 / 2) * (0.9 + 0.1 * v.checkout_factor) + ADDED_MS
    return SLOTS / (mean_ms / 1000.0)


@pytest.mark.slow
def test_the_ramp_stops_within_one_step_of_the_configured_knee(
    make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    capacity = implied_capacity()  # about 32 req/s
    expected = START + STEP * math.floor((capacity - START) / STEP)  # the last step below it
    with DemoService(variants=("async",), slots=SLOTS, latency_ms=ADDED_MS) as svc:
        spec = load_spec(
            make_spec(
                {"async": svc.url("async")},
                load={
                    "users": 60,
                    "duration": f"{STEP_S * 8:g}s",  # the fixture writes one; the ramp's length
                    "spawn_rate": 100,
                    "shape": {
                        "kind": "capacity",
                        "rate": START,
                        "step_rate": STEP,
                        "step_duration": f"{STEP_S:g}s",
                        "max_rate": CEILING,
                    },
                },
                criteria=[
                    {"metric": "latency_p95_ms", "op": "<", "threshold": 150},
                    {"metric": "capacity_rps", "op": ">=", "threshold": 20},
                ],
                guardrails={"allowed_hosts": ["127.0.0.1"], "max_rps": 60},
            )
        )
        paths = run_candidate(spec, "async", runs_dir=tmp_path / "runs", progress=False)
    meta = RunDir.open(paths[0]).meta
    record = meta[RunField.CAPACITY]
    steps = record["steps"]
    summary = [(s["rate"], s["outcome"], s["p95_ms"], s["n"]) for s in steps]
    assert meta[RunField.STOP_CODE] == StopCode.CAPACITY_FOUND, (
        meta[RunField.STOP_REASON],
        summary,
    )
    assert meta[RunField.STATUS] == "completed"
    last_pass, first_fail = record["last_pass"], record["first_fail"]
    assert last_pass is not None and abs(last_pass - expected) <= STEP, (capacity, summary)
    assert first_fail == steps[-1]["rate"] and first_fail > capacity - STEP, (capacity, summary)
    assert first_fail <= CEILING
    track = capacity_track(meta)  # the report's reader, on the real writer's record
    assert track is not None and (track.last_pass, track.first_fail) == (last_pass, first_fail)
    assert [(s.rate, s.outcome, s.p95_ms) for s in track.steps] == [
        (float(r), o, p) for r, o, p, _ in summary
    ]
    # it stopped after the failing step: less load than the whole ramp, no step past the ceiling
    window = meta[RunField.LOAD_WINDOW]["seconds"]
    assert window < STEP_S * 8 - STEP_S, (window, summary)
    capacity_rps = decide(spec, paths).candidates["async"].criteria[1]
    assert capacity_rps.outcome == "PASS", capacity_rps.reason
    assert (capacity_rps.estimate, capacity_rps.ci_high) == (last_pass, first_fail)
    print(f"implied {capacity:.1f} req/s; steps {summary}")
