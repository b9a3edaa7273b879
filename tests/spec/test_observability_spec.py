"""The ``observability`` section and the references of headroom and coverage criteria."""

from __future__ import annotations

import pytest

from pockit._errors import SpecError
from pockit.spec import Observability, parse_spec

HEAD = """name: x
hypothesis: y
candidates: [{name: a, host: "http://127.0.0.1:1"}]
metrics: [{kind: prometheus, name: util, url: "http://127.0.0.1:9", query: up}]
"""


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        parse_spec(HEAD + text)
    return [f"{e.field}: {e.message}" for e in info.value.errors]


def test_section_read_with_defaults() -> None:
    spec = parse_spec(
        HEAD
        + 'observability: {url: "http://127.0.0.1:9090/", services: [checkout, "10.0.0.1:9100"]}\n'
        + "criteria:\n  - {metric: observability_coverage, op: '>=', threshold: 1}\n"
        + "  - {metric: 'headroom:util', op: '>=', threshold: 0.2}\n"
    )
    assert spec.observability == Observability(
        url="http://127.0.0.1:9090", services=("checkout", "10.0.0.1:9100"), step_s=1.0
    )


def test_headroom_names_a_metrics_source() -> None:
    got = problems("criteria:\n  - {metric: 'headroom:utl', op: '>=', threshold: 0.2}\n")
    assert got == [
        "criteria[0].metric: no metrics source named 'utl' (metrics[].name: util); "
        "did you mean 'headroom:util'?"
    ]


def test_coverage_needs_services() -> None:
    crit = "criteria:\n  - {metric: observability_coverage, op: '>=', threshold: 1}\n"
    for section in ("", 'observability: {url: "http://127.0.0.1:9"}\n'):
        [got] = problems(section + crit)
        assert got.startswith("criteria[0].metric: observability_coverage counts the services")


def test_bad_section() -> None:
    got = problems(
        "observability: {url: 127.0.0.1:9090, services: [a, a], step: 0, job: x}\n"
        "criteria:\n  - {metric: cardinality_peak, op: '<', threshold: 1000}\n"
    )
    fields = sorted(g.split(":")[0] for g in got)
    assert fields == [
        "observability.job",  # unknown key
        "observability.services[1]",
        "observability.step",
        "observability.url",
    ], got


def test_cardinality_without_section_is_a_note() -> None:
    spec = parse_spec(
        HEAD + "criteria:\n  - {metric: cardinality_growth, op: '<=', threshold: 0.1}\n"
    )
    [note] = spec.reference_notes()
    assert note.startswith("criterion cardinality_growth: the spec has no observability section")
