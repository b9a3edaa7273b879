"""``load.shape.kind: capacity``: the ramp's fields, their bounds, the knee and the caps, each
refused with its field and line."""

from __future__ import annotations

import pytest

from pockit import SpecError, parse_spec

SPEC = """\
name: capacity
hypothesis: The service holds P95 < 150 ms up to its knee.
candidates: [{name: a, host: http://127.0.0.1:8089}]
load:
  locustfile: locustfile.py
  users: 50
  shape: {SHAPE}
criteria:
  - {metric: latency_p95_ms, op: "<", threshold: 150}
  - {metric: error_rate, op: "<", threshold: 0.01}
  - {metric: throughput_rps, op: ">=", threshold: 1}
guardrails: {max_rps: 60, max_duration: 2m}
"""
RAMP = "{kind: capacity, rate: 15, step_rate: 5, step_duration: 4s, max_rate: 45}"


def spec_with(shape: str, extra: str = "") -> str:
    return SPEC.replace("{SHAPE}", shape).replace("  users: 50\n", f"  users: 50\n{extra}")


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    return [f"{e.field}: {e.message} (line {e.line})" for e in info.value.errors]


def test_a_ramp_has_its_steps_and_lasts_their_sum() -> None:
    spec = parse_spec(spec_with(RAMP))
    shape = spec.load
    assert shape is not None
    assert shape.shape.capacity_steps() == (15, 20, 25, 30, 35, 40, 45)
    assert shape.duration_s == 7 * 4.0
    assert shape.shape.knee == ()


def test_the_ceiling_above_max_rps_is_refused_with_field_and_line() -> None:
    got = problems(spec_with(RAMP.replace("max_rate: 45", "max_rate: 80")))
    assert got == [
        "load.shape.max_rate: the ceiling 80 req/s exceeds guardrails.max_rps (60) (line 7)"
    ]


def test_a_ramp_longer_than_max_duration_is_refused() -> None:
    got = problems(spec_with(RAMP.replace("step_duration: 4s", "step_duration: 30s")))
    assert any(p.startswith("load.duration: 210s exceeds guardrails.max_duration") for p in got)


@pytest.mark.parametrize(
    ("shape", "field", "words"),
    [
        (
            RAMP.replace("step_duration: 4s", "step_duration: 1s"),
            "load.shape.step_duration",
            "too short",
        ),
        (
            RAMP.replace("max_rate: 45", "max_rate: 5"),
            "load.shape.max_rate",
            "below the start rate",
        ),
        (RAMP.replace("step_rate: 5", "step_rate: 0.1"), "load.shape.step_rate", "at most 200"),
        (RAMP.replace("rate: 15, ", ""), "load.shape.rate", "first step's requests"),
        (RAMP.replace("rate: 15, ", "rate: 10, "), "load.shape.rate", "at least 59"),
        (RAMP.replace(", max_rate: 45", ""), "load.shape.max_rate", "required"),
        (RAMP.replace("}", ", knee: [throughput_rps]}"), "load.shape.knee", "cannot be judged"),
        (RAMP.replace("}", ", knee: [latency_p99_ms]}"), "load.shape.knee", "no criterion names"),
        ("{kind: arrival_rate, rate: 10, max_rate: 40}", "load.shape.max_rate", "no effect"),
    ],
)
def test_bad_ramps_are_refused(shape: str, field: str, words: str) -> None:
    got = problems(spec_with(shape))
    assert any(p.startswith(field) and words in p for p in got), got


def test_a_duration_that_disagrees_with_the_steps_is_refused() -> None:
    got = problems(spec_with(RAMP, "  duration: 1m\n"))
    assert any(p.startswith("load.duration: a capacity ramp lasts its steps") for p in got), got
    parse_spec(spec_with(RAMP, "  duration: 28s\n"))  # the same length, written: fine


def test_without_a_latency_criterion_the_knee_must_be_named() -> None:
    text = spec_with(RAMP).replace('  - {metric: latency_p95_ms, op: "<", threshold: 150}\n', "")
    assert any(p.startswith("load.shape.knee") for p in problems(text))
    named = text.replace("max_rate: 45}", "max_rate: 45, knee: [error_rate]}")
    shape = parse_spec(named).load
    assert shape is not None and shape.shape.knee == ("error_rate",)
