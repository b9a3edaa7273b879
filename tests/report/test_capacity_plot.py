"""The capacity chart: drawn from run.json's ``capacity`` record, absent for other runs."""

from __future__ import annotations

from pockit._contract import RunField
from pockit.report import plots
from pockit.report.run_facts import capacity_track


def test_capacity_curve_marks_the_knee_and_is_absent_without_a_ramp() -> None:
    steps = [
        {"step": i, "rate": r, "p50_ms": 60.0, "p95_ms": p95, "error_rate": 0.0, "outcome": o}
        for i, (r, p95, o) in enumerate([(15, 70, "PASS"), (20, 72, "PASS"), (25, 400, "FAIL")])
    ]
    meta = {
        RunField.CANDIDATE.value: "async",
        RunField.CAPACITY.value: {"steps": steps, "last_pass": 20.0, "first_fail": 25.0},
    }
    track = capacity_track(meta)
    assert track is not None and [s.outcome for s in track.steps] == ["PASS", "PASS", "FAIL"]
    fig = plots.capacity_curve([track])
    assert fig is not None
    lat, err = fig.axes[:2]
    assert lat.get_xlabel() == "" and err.get_xlabel().startswith("offered rate")
    texts = [t.get_text() for t in lat.texts]
    assert any("held 20 req/s, failed 25" in t for t in texts), texts
    assert capacity_track({RunField.CANDIDATE.value: "a"}) is None
    assert plots.capacity_curve([]) is None
