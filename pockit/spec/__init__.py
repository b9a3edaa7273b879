"""The PoC spec (``poc.yaml``): typed model, loading and validation with field-named errors, and its
JSON Schema for editors (:func:`spec_schema`, ``pockit schema``)."""

from __future__ import annotations

from pockit.spec._capacity import knee_criteria
from pockit.spec._durations import format_duration, parse_duration
from pockit.spec._guardrails import host_allowed
from pockit.spec._load import load_spec, parse_spec
from pockit.spec._model import (
    FIXED_METRICS,
    OPS,
    Baseline,
    Candidate,
    CostSource,
    Criterion,
    Fault,
    Guardrails,
    IdleGap,
    Load,
    MetricSource,
    Observability,
    Shape,
    Spec,
    Stage,
    latency_quantile,
    metric_is_known,
)
from pockit.spec._schema import spec_schema

__all__ = [
    "knee_criteria",
    "FIXED_METRICS",
    "OPS",
    "Baseline",
    "Candidate",
    "CostSource",
    "Criterion",
    "Fault",
    "Guardrails",
    "IdleGap",
    "Load",
    "MetricSource",
    "Observability",
    "Shape",
    "Spec",
    "Stage",
    "format_duration",
    "host_allowed",
    "latency_quantile",
    "load_spec",
    "metric_is_known",
    "parse_duration",
    "parse_spec",
    "spec_schema",
]
