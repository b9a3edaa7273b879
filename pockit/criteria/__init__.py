"""Criteria: every metric a criterion may name, in one registry (name, unit, what it needs, how it
is computed and judged). Spec validation, the decision and the report's units read it.

A metric is one module here that calls :func:`register`; this file imports each module once (the
only list of them), in the order the docs and messages list the metrics.

>>> from pockit.criteria import known, unit, latency_quantile
>>> known("latency_p99.9_ms"), unit("throughput_rps"), latency_quantile("latency_p95_ms")
(True, 'req/s', 0.95)
"""

from __future__ import annotations

from pockit.analysis import LATENCY_METRIC, LATENCY_SHAPE, latency_quantile

# isort: off
from pockit.criteria import (  # noqa: F401 - each registers its metrics, in this order
    _rates,
    _throughput,
    _capacity,
    _cost,
    _recovery,
    _cold_start,
    _burn,
    _classes,
    _detect,
    _latency,
    _server,
    _detect_alert,
    _headroom,
    _observability,
)

# isort: on
from pockit.criteria._base import (
    FAIL,
    INCONCLUSIVE,
    PASS,
    WARN,
    CandidateData,
    CostEvidence,
    Judgement,
    MetricInput,
    Outcome,
    Rule,
)
from pockit.criteria._capacity import held_cuts
from pockit.criteria._detect_alert import ALERT_METRIC
from pockit.criteria._headroom import HEADROOM_METRIC
from pockit.criteria._judge import judge, missing
from pockit.criteria._observability import OBS_SERIES, OBS_UP
from pockit.criteria._registry import (
    Metric,
    Need,
    expected_text,
    family_names,
    fixed_names,
    known,
    lookup,
    metrics,
    needs,
    register,
    unit,
)
from pockit.criteria._server import SERVER_METRIC

__all__ = [
    "ALERT_METRIC",
    "FAIL",
    "HEADROOM_METRIC",
    "INCONCLUSIVE",
    "LATENCY_METRIC",
    "LATENCY_SHAPE",
    "OBS_SERIES",
    "OBS_UP",
    "SERVER_METRIC",
    "PASS",
    "WARN",
    "CandidateData",
    "CostEvidence",
    "Judgement",
    "Metric",
    "MetricInput",
    "Need",
    "Outcome",
    "Rule",
    "expected_text",
    "family_names",
    "fixed_names",
    "held_cuts",
    "judge",
    "known",
    "latency_quantile",
    "lookup",
    "metrics",
    "missing",
    "needs",
    "register",
    "unit",
]
