"""The keys each section of ``poc.yaml`` may hold, read off the model; anything else is an unknown field.

A section's keys are its dataclass's fields, a field in seconds written without its ``_s``
(``duration_s`` is ``duration``): add a field to the model and the loader and the JSON Schema
know its key.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from pockit.spec._model import (
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
    Stage,
)

#: Fields whose key is not the field name less its ``_s`` (seconds) suffix.
_RENAMED = {"spike_s": "spike_duration"}


def yaml_key(name: str) -> str:
    """The key a spec writes for the dataclass field ``name``: ``duration`` for ``duration_s``."""
    return _RENAMED.get(name, name.removesuffix("_s"))


def yaml_keys(cls: Any) -> set[str]:
    """Every key a section modelled by the dataclass ``cls`` may hold."""
    return {yaml_key(f.name) for f in fields(cls)}


#: The top level is :class:`Spec` less what loading adds (path, sha256, raw), with ``slo.target``
#: and ``decision.warn_is_go`` in sections of their own.
TOP_KEYS = {
    "name",
    "hypothesis",
    "candidates",
    "load",
    "criteria",
    "cost",
    "metrics",
    "observability",
    "faults",
    "guardrails",
    "baseline",
    "slo",
    "notes",
    "decision",
}
CANDIDATE_KEYS = yaml_keys(Candidate)
LOAD_KEYS = yaml_keys(Load)
SHAPE_KEYS = yaml_keys(Shape)
STAGE_KEYS = yaml_keys(Stage)
GAP_KEYS = yaml_keys(IdleGap)
CRITERION_KEYS = yaml_keys(Criterion)
COST_KEYS = yaml_keys(CostSource)
METRIC_KEYS = yaml_keys(MetricSource)
OBSERVABILITY_KEYS = yaml_keys(Observability)
FAULT_KEYS = yaml_keys(Fault)
GUARD_KEYS = yaml_keys(Guardrails)
BASELINE_KEYS = yaml_keys(Baseline)
SLO_KEYS = {"target"}
DECISION_KEYS = {"warn_is_go"}
