"""The spec's JSON Schema (draft-07, what the YAML language server validates with) for editors.

Read off the model: each section's keys and required keys, types and defaults come from its
dataclass (:mod:`pockit.spec._keys` for the keys); :data:`_CONSTRAINTS` adds what a type cannot
say (a duration, a number above 0, a URL) and :data:`_DOCS` each field's description, the README's
"Every field" table in short. ``pockit schema`` prints it; ``schema/poc.schema.json`` is the copy
editors point at. The loader stays the judge: the schema catches early what the loader refuses
(unknown keys, a bad op or metric, a missing required field); it is a little more lenient than
the loader where JSON Schema cannot say the rule (a cap on the run's length, a host in
``allowed_hosts``), never stricter on the specs in this repository (tests check them).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from pockit._vocabulary import BILLING_FORMATS, COST_CHOICES, FORMAT_ALIASES
from pockit.spec._keys import yaml_key
from pockit.spec._load_profile import STOP_RULES
from pockit.spec._model import (
    ALERT_METRIC,
    FIXED_METRICS,
    HEADROOM_METRIC,
    LATENCY_METRIC,
    OPS,
    SERVER_METRIC,
    Load,
    Spec,
)

DRAFT = "http://json-schema.org/draft-07/schema#"

Fragment = dict[str, Any]

#: Text as the loader reads it: written scalars (``007`` is the text ``007``), not blank.
_TEXT: Fragment = {"type": ["string", "number"], "pattern": r"\S"}
#: A list entry or tag value: any written scalar (``true`` stays ``true``).
_SCALAR: Fragment = {"type": ["string", "number", "boolean"]}
_NUMBER: Fragment = {"type": "number"}
_POSITIVE: Fragment = {"type": "number", "exclusiveMinimum": 0}
_FRACTION: Fragment = {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}
_COUNT: Fragment = {"type": "integer", "minimum": 0}
_NUM = r"[0-9]+(?:\.[0-9]+)?"
_UNIT = "(?:[mM][sS]|[sSmMhHdD])"
#: ``90``, ``"90s"``, ``"2m"``, ``"1h30m"``, ``"250ms"`` (pockit.spec.parse_duration).
_DURATION_TEXT = rf"^ *(?:{_NUM}|(?:{_NUM} *{_UNIT} *)+) *$"


def _duration(*, above_zero: bool) -> Fragment:
    number: Fragment = {"type": "number", ("exclusiveMinimum" if above_zero else "minimum"): 0}
    text = {"type": "string", "pattern": _DURATION_TEXT, "maxLength": 64}
    return {"anyOf": [number, text]}


def _metric() -> Fragment:
    """Criterion metric names: the fixed ones, latency percentiles in (0, 100), ``server:NAME``,
    ``headroom:NAME``."""
    zero = r"^latency_p0+(?:\.0+)?(?:_intended)?_ms$"  # p0 would always pass
    return {
        "anyOf": [
            {"enum": list(FIXED_METRICS)},
            {
                "type": "string",
                "pattern": f"^{LATENCY_METRIC.pattern}$",
                "not": {"pattern": zero},
            },
            {"type": "string", "pattern": f"^{SERVER_METRIC.pattern}$"},
            {"type": "string", "pattern": f"^{ALERT_METRIC.pattern}$"},
            {"type": "string", "pattern": f"^{HEADROOM_METRIC.pattern}$"},
        ]
    }


#: What a field's type does not say, by YAML path (``[]`` marks a list entry).
_CONSTRAINTS: dict[str, Fragment] = {
    "candidates[].host": {"type": "string", "pattern": "://"},
    "load.spawn_rate": _POSITIVE,
    "load.duration": _duration(above_zero=True),
    "load.repeats": {"type": "integer", "minimum": 1},
    "load.user_classes": {
        "type": "array",
        "items": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
    },
    "load.stop_when": {"enum": [*STOP_RULES, False]},  # YAML 1.1 reads a bare off as false
    "load.shape.stages[].duration": _duration(above_zero=True),
    "load.shape.stages[].spawn_rate": _POSITIVE,
    "load.shape.stages[].rate": _POSITIVE,
    "load.shape.spike_duration": _duration(above_zero=True),
    "load.shape.rate": _POSITIVE,
    "load.shape.step_rate": _POSITIVE,
    "load.shape.step_duration": _duration(above_zero=True),
    "load.shape.max_rate": _POSITIVE,
    "load.idle_gaps[].pause": _duration(above_zero=True),
    "criteria[].metric": _metric(),
    "criteria[].op": {"enum": list(OPS)},
    "criteria[].warn": {"type": "number", "minimum": 0},
    "criteria[].weight": _POSITIVE,
    "baseline.margin": _FRACTION,
    "cost.format": {"enum": [*BILLING_FORMATS, *FORMAT_ALIASES]},
    "cost.column": {"enum": list(COST_CHOICES)},
    "metrics[].step": _duration(above_zero=True),
    "observability.url": {"type": "string", "pattern": "^https?://"},
    "observability.step": _duration(above_zero=True),
    "guardrails.max_rps": _POSITIVE,
    "guardrails.max_duration": _duration(above_zero=True),
    "guardrails.max_budget_usd": _POSITIVE,
    "guardrails.max_workers": {"type": "integer", "minimum": 1},
    "slo.target": _FRACTION,
}

#: Each field's description (the README's "Every field" table, in short).
_DOCS: dict[str, str] = {
    "name": "Short name of the PoC (one line): run directories, the report title, the email subject.",
    "hypothesis": "One sentence: what you expect to hold. Heads the report.",
    "notes": "Risks and caveats you already know; listed in the report's risks section.",
    "candidates": "The systems under test.",
    "candidates[].name": "Unique name (baseline, async, ...).",
    "candidates[].host": "Base URL Locust sends to; its host must be in guardrails.allowed_hosts.",
    "candidates[].tags": "Cost-allocation tags its resources carry ({poc: checkout-async}), "
    "kept as written; billing is attributed by them.",
    "candidates[].resource_ids": "Billing resource ids to attribute as well as, or instead of, tags.",
    "candidates[].description": "One line shown beside the candidate in the report.",
    "load": "The load profile applied to every candidate (needed to run load, not to judge "
    "imported runs).",
    "load.locustfile": "Your own locustfile, used unchanged; relative to the spec's folder.",
    "load.users": "Concurrent users (closed model).",
    "load.spawn_rate": "Users started per second (> 0).",
    "load.duration": "Length of each run (> 0): 90, '90s', '2m', '1h30m'. With shape.stages, "
    "defaults to their sum.",
    "load.repeats": "Runs per candidate; each is its own run directory.",
    "load.cooldown": "Pause between repeats.",
    "load.workers": "Locust worker processes on this host (0: a single local process).",
    "load.user_classes": "Which User classes of the locustfile to run (default: all); Python "
    "identifiers.",
    "load.shape": "How load varies over the run.",
    "load.shape.kind": "constant (load.users), stages (ramp/step), spike, arrival_rate "
    "(open model), or capacity (open-model steps of increasing rate until the knee).",
    "load.shape.stages": "Ramp/step profile: each stage holds users (or rate req/s) for a duration.",
    "load.shape.stages[].duration": "How long the stage lasts (> 0).",
    "load.shape.stages[].users": "Users during the stage.",
    "load.shape.stages[].spawn_rate": "Users started per second (> 0).",
    "load.shape.stages[].rate": "Requests per second during the stage (open model, > 0).",
    "load.shape.spike_users": "kind spike: users during the spike.",
    "load.shape.spike_at": "kind spike: when the spike starts.",
    "load.shape.spike_duration": "kind spike: how long the spike lasts (> 0).",
    "load.shape.rate": "Open-model arrival rate in requests/s (> 0); each request records "
    "t_intended. kind capacity: the first step's rate.",
    "load.shape.step_rate": "kind capacity: requests/s added at each step (> 0).",
    "load.shape.step_duration": "kind capacity: how long each step lasts (at least 4 s); the run "
    "lasts steps × step_duration.",
    "load.shape.max_rate": "kind capacity: the ceiling in requests/s (never above "
    "guardrails.max_rps); no step goes past it.",
    "load.shape.knee": "kind capacity: metrics of the spec's criteria a step must pass (latency "
    "percentiles, error_rate, success_rate); default: the first latency criterion.",
    "load.idle_gaps": "Pauses in load whose first requests afterwards are measured as cold starts.",
    "load.idle_gaps[].at": "When the pause starts (within the run).",
    "load.idle_gaps[].pause": "How long load pauses (> 0).",
    "load.idle_gaps[].probe": "Requests after the pause measured as cold starts.",
    "load.stop_when": "decided: stop each run as soon as its share criteria are PASS or FAIL by "
    "their anytime-valid bounds.",
    "load.stop_when_min_duration": "With stop_when: decided, never stop before this much load; "
    "shorter than load.duration.",
    "load.stop_when_require": "With stop_when: decided, wait for every share criterion (all) or "
    "only the key ones (key).",
    "criteria": "Success criteria, each judged on the estimate's 95% confidence interval.",
    "criteria[].metric": "latency_pNN_ms (0 < NN < 100, e.g. latency_p99.9_ms), "
    "latency_pNN_intended_ms, "
    + ", ".join(FIXED_METRICS)
    + ", server:NAME (a metrics source), detect_alert_s:NAME (seconds from each fault to "
    "the first firing of the alert the metrics source NAME selects) or headroom:NAME (1 - P95 of a "
    "utilisation source).",
    "criteria[].op": "The direction that passes.",
    "criteria[].threshold": "In the metric's unit (ms, fraction, req/s, USD).",
    "criteria[].warn": "A band on the good side of the threshold: a pass whose estimate lies "
    "within it is WARN.",
    "criteria[].key": "A key criterion vetoes: its FAIL makes the verdict NO-GO.",
    "criteria[].weight": "Weight when ranking candidates that pass (> 0).",
    "criteria[].min_samples": "Fewer samples than this gives INCONCLUSIVE.",
    "criteria[].on_missing": "What missing data (billing not landed, metric absent) means.",
    "criteria[].endpoint": "Judge one request name only (as Locust names it).",
    "baseline": "Compare every other candidate against one (rank test, not point values).",
    "baseline.candidate": "The baseline candidate's name.",
    "baseline.margin": "Practical margin: 0.10 is 'no worse than +10%'.",
    "baseline.metrics": "What the comparison covers.",
    "cost": "Where billing comes from and how it is read.",
    "cost.source": "A path, an s3:// URL, cost-explorer, athena or model.",
    "cost.format": "The export's format (detected from the columns when absent); the same names "
    "as pockit cost --format.",
    "cost.column": "Which cost: FOCUS BilledCost/EffectiveCost/ListCost, CUR unblended/"
    "amortized/public on-demand; the same names as pockit cost --cost.",
    "cost.price_book": "YAML price book for source: model (projected cost).",
    "cost.lag_ok": "Accept billing that does not yet cover the window (otherwise INCONCLUSIVE).",
    "metrics": "Server-side metric sources, fetched into each run's sources/metrics.parquet.",
    "metrics[].kind": "The source: prometheus (needs query), cloudwatch, or file (needs path).",
    "metrics[].name": "The name criteria use as server:NAME or detect_alert_s:NAME.",
    "metrics[].url": "Prometheus server URL.",
    "metrics[].query": "PromQL query_range expression; {candidate} is replaced by each run's "
    "candidate name.",
    "metrics[].path": "An exported Prometheus/CloudWatch JSON file.",
    "metrics[].namespace": "CloudWatch namespace.",
    "metrics[].metric_name": "CloudWatch metric name.",
    "metrics[].dimensions": "CloudWatch dimensions.",
    "metrics[].stat": "CloudWatch statistic (p95 too).",
    "metrics[].step": "Resolution (> 0).",
    "metrics[].unit": "Unit shown in the report (ms, req/s) when the source does not say.",
    "observability": "The Prometheus watching the candidates: its up series and series count, "
    "fetched into each run's sources/metrics.parquet for the observability criteria.",
    "observability.url": "Prometheus server URL.",
    "observability.services": "The job or instance names Prometheus should scrape; "
    "observability_coverage is the share of them with up == 1 during the load.",
    "observability.step": "Query resolution of up and the series count (> 0).",
    "faults": "Faults injected during each run; start and end go to events.jsonl.",
    "faults[].kind": "Added latency, an error rate, kill the service (and restart it with "
    "restart), or your command.",
    "faults[].at": "Offset into the run.",
    "faults[].duration": "How long it lasts (kill: time until restart runs).",
    "faults[].value": "Milliseconds added, >= 0 (latency), or failing fraction from 0 to 1 "
    "(error_rate).",
    "faults[].command": "Argument list run without a shell; for kill, how to kill (default: "
    "POST /admin/kill).",
    "faults[].restart": "kill only: argument list run after duration to bring the service back.",
    "faults[].candidate": "Inject only into this candidate's runs.",
    "guardrails": "Limits load never crosses; checked before a single request.",
    "guardrails.allowed_hosts": "Load goes nowhere else.",
    "guardrails.max_users": "Cap on users.",
    "guardrails.max_rps": "Cap on arrival rate (> 0).",
    "guardrails.max_duration": "Cap on one run's length (> 0).",
    "guardrails.max_budget_usd": "Cap on spend projected by the price book (needs cost.source: "
    "model).",
    "guardrails.max_workers": "Cap on local Locust worker processes (default: 4 x the CPU count).",
    "slo": "The service-level objective the error-budget burn is judged against.",
    "slo.target": "SLO success target, a fraction (0.999).",
    "decision": "How outcomes make the verdict.",
    "decision.warn_is_go": "Whether WARN outcomes still allow GO.",
}


def _kind(*kinds: str) -> Fragment:
    return {"properties": {"kind": {"enum": list(kinds)}}, "required": ["kind"]}


#: Requirements that depend on a ``kind`` (the loader says the same, with its field and line).
_WHEN: dict[str, list[Fragment]] = {
    "metrics[]": [
        {"if": _kind("prometheus"), "then": {"required": ["query"]}},
        {"if": _kind("file"), "then": {"required": ["path"]}},
    ],
    "faults[]": [
        {"if": _kind("latency", "error_rate"), "then": {"required": ["value"]}},
        {"if": _kind("command"), "then": {"required": ["command"]}},
    ],
    "cost": [
        {
            "if": {"properties": {"source": {"const": "model"}}, "required": ["source"]},
            "then": {"required": ["price_book"]},
        }
    ],
}


def spec_schema() -> dict[str, Any]:
    """The JSON Schema of ``poc.yaml`` (draft-07), as ``pockit schema`` prints it."""
    top = _section(Spec, "", skip={"load", "slo_target", "warn_is_go", "path", "sha256", "raw"})
    props = top["properties"]
    props["load"] = _section(Load, "load")
    props["slo"] = _object("slo", {"target": _field_schema("slo.target", float, None)})
    props["decision"] = _object(
        "decision", {"warn_is_go": _field_schema("decision.warn_is_go", bool, True)}
    )
    props["candidates"]["minItems"] = 1
    ordered = {key: props[key] for key in _TOP_ORDER}
    return {
        "$schema": DRAFT,
        "title": "pockit PoC spec (poc.yaml)",
        "description": "A PoC question written once: candidates, load, criteria, cost, guardrails. "
        "`pockit validate` is the judge; this schema lets an editor check and complete as you type.",
        **{k: v for k, v in top.items() if k != "properties"},
        "properties": ordered,
    }


_TOP_ORDER = (
    "name",
    "hypothesis",
    "notes",
    "candidates",
    "load",
    "criteria",
    "baseline",
    "cost",
    "metrics",
    "observability",
    "faults",
    "guardrails",
    "slo",
    "decision",
)


def _object(path: str, props: dict[str, Fragment], required: list[str] | None = None) -> Fragment:
    out: Fragment = {"type": "object"}
    if path in _DOCS:
        out["description"] = _DOCS[path]
    out["additionalProperties"] = False
    if required:
        out["required"] = required
    out["properties"] = props
    if path in _WHEN:
        out["allOf"] = _WHEN[path]
    return out


def _section(cls: Any, path: str, skip: frozenset[str] | set[str] = frozenset()) -> Fragment:
    """The object schema of the dataclass ``cls`` at ``path``: its fields' keys, types, defaults."""
    hints = typing.get_type_hints(cls)
    props: dict[str, Fragment] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        key = yaml_key(f.name)
        sub = f"{path}.{key}" if path else key
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(key)
            default = None
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = f.default
        props[key] = _field_schema(sub, hints[f.name], default, seconds=f.name.endswith("_s"))
    return _object(path, props, required)


def _field_schema(path: str, hint: Any, default: Any, *, seconds: bool = False) -> Fragment:
    if path in _CONSTRAINTS:
        base = _CONSTRAINTS[path]
    elif seconds:  # a field in seconds is written as a duration
        base = _duration(above_zero=False)
    else:
        base = _from_type(path, hint)
    out: Fragment = {}
    if path in _DOCS:
        out["description"] = _DOCS[path]
    out.update(base)
    value = _yaml_default(default)
    if value is not None:
        out["default"] = value
    return out


def _from_type(path: str, hint: Any) -> Fragment:
    """A field's schema from its type: text, numbers, flags, choices, lists, maps, sections."""
    origin = typing.get_origin(hint)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if origin in (typing.Union, types.UnionType):
        return _from_type(path, args[0])
    if origin is typing.Literal:
        return {"enum": list(typing.get_args(hint))}
    if dataclasses.is_dataclass(hint):
        return _section(hint, path)
    if origin is tuple and dataclasses.is_dataclass(args[0]):
        entry = _section(args[0], f"{path}[]")
        entry.pop("description", None)
        return {"type": "array", "items": entry}
    if origin is tuple:
        return {"type": "array", "items": _SCALAR}
    if origin is dict:
        return {
            "type": "object",
            "additionalProperties": {**_SCALAR, "type": [*_SCALAR["type"], "null"]},
        }
    if hint is bool:
        return {"type": "boolean"}
    if hint is int:
        return _COUNT
    if hint is float:
        return _NUMBER
    return _TEXT


def _yaml_default(value: Any) -> Any:
    """A default as a spec writes it (lists for tuples); None when there is none to show."""
    if value is None or value == "" or dataclasses.is_dataclass(value):
        return None
    if isinstance(value, tuple):
        return list(value) if value else None
    if isinstance(value, dict):
        return value or None
    return value
