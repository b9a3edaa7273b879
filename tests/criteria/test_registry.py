"""The metric registry is the one list of metrics: spec validation, the decision and units read it."""

from __future__ import annotations

import pytest

from pockit import criteria
from pockit._display import unit_of
from pockit.spec import FIXED_METRICS, latency_quantile, metric_is_known, parse_spec

#: The names and their order as specs, messages and the README have always listed them.
LISTED = (
    "success_rate",
    "error_rate",
    "throughput_rps",
    "capacity_rps",
    "cost_per_1k_usd",
    "recovery_s",
    "cold_start_p95_ms",
    "error_budget_burn",
    "denied_rate",
    "throttled_rate",
    "transport_error_rate",
    "http_error_rate",
    "validation_error_rate",
    "retry_rate",
    "detect_s",
    "observability_coverage",
    "cardinality_peak",
    "cardinality_growth",
)


def test_the_spec_lists_what_the_registry_holds() -> None:
    assert FIXED_METRICS == criteria.fixed_names() == LISTED
    assert criteria.family_names() == (
        "latency_pNN_ms",
        "latency_pNN_intended_ms",
        "server:NAME",
        "detect_alert_s:NAME",
        "headroom:NAME",
    )
    assert metric_is_known is criteria.known and latency_quantile is criteria.latency_quantile


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("latency_p95_ms", "latency_pNN_ms"),
        ("latency_p99.9_ms", "latency_pNN_ms"),
        ("latency_p50_intended_ms", "latency_pNN_intended_ms"),
        ("server:cpu_seconds", "server:NAME"),
        ("headroom:cpu", "headroom:NAME"),
        ("headroom:", None),
        ("latency_p100_ms", None),
        ("latency_p0_ms", None),
        ("server:", None),
        ("sucess_rate", None),
    ],
)
def test_a_family_takes_its_names_only(name: str, family: str | None) -> None:
    m = criteria.lookup(name)
    assert (m.name if m else None) == family


def test_units_agree_with_what_the_report_prints_today() -> None:
    """criteria.unit is what the report switches to: the same unit for every name it shows."""
    names = [
        *LISTED,
        "latency_p95_ms",
        "latency_p99_intended_ms",
        "server:cpu_s",
        "server:rss",
        "headroom:cpu",
    ]
    for name in names:
        assert criteria.unit(name) == unit_of(name), name
    assert criteria.unit("error_budget_burn") == "× budget"


def test_every_metric_says_what_it_is_and_needs() -> None:
    known_needs = {
        "samples",
        "cost",
        "faults",
        "idle_gaps",
        "slo_target",
        "server_metrics",
        "capacity",
        "observability",
    }
    for m in criteria.metrics():
        assert m.doc and m.needs and m.needs <= known_needs, m.name
    assert criteria.needs("cost_per_1k_usd") >= {"cost"}
    assert criteria.needs("detect_s") >= {"faults"} and criteria.needs("recovery_s") >= {"faults"}
    assert criteria.needs("nope") == frozenset()


def test_unknown_metric_message_lists_the_registry() -> None:
    assert criteria.expected_text() == (
        "latency_pNN_ms (e.g. latency_p95_ms), latency_pNN_intended_ms, "
        + ", ".join(LISTED)
        + " or server:NAME or detect_alert_s:NAME or headroom:NAME"
    )


def test_validate_notes_come_from_what_each_metric_needs(tmp_path: object) -> None:
    text = """
name: t
hypothesis: h
candidates: [{name: a, host: "http://127.0.0.1:1"}]
criteria:
  - {metric: error_budget_burn, op: "<", threshold: 1}
  - {metric: detect_s, op: "<", threshold: 5}
  - {metric: cost_per_1k_usd, op: "<", threshold: 1}
  - {metric: recovery_s, op: "<", threshold: 5}
"""
    notes = parse_spec(text).reference_notes()
    heads = [n.split(":")[0] for n in notes]
    assert heads == [
        "criterion cost_per_1k_usd",
        "criterion recovery_s",
        "criterion detect_s",
        "criterion error_budget_burn",
    ]
