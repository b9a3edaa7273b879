"""``load.shape.kind: capacity``: the ramp's fields, and the checks that need the whole spec (the
knee criteria exist and are shares of requests; the ceiling within ``guardrails.max_rps``)."""

from __future__ import annotations

import math
from typing import Any

from pockit._constants import CAPACITY_MAX_STEPS, CAPACITY_MIN_STEP_S, CONFIDENCE
from pockit.analysis import share_test
from pockit.spec._convert import _positive, _positive_duration, _str_list
from pockit.spec._model import Criterion, Guardrails, Load, Shape, latency_quantile
from pockit.spec._reader import _Reader

#: The capacity shape's own keys (``rate`` is its start rate, shared with ``arrival_rate``).
CAPACITY_KEYS = ("step_rate", "step_duration", "max_rate", "knee")


def capacity_fields(r: _Reader, shape_raw: dict[str, Any], sf: str, kind: str) -> dict[str, Any]:
    """The ramp's fields of :class:`Shape`; each is an error on any other kind (it would do nothing)."""
    if kind != "capacity":
        for key in CAPACITY_KEYS:
            if shape_raw.get(key) is not None:
                r.error(f"{sf}.{key}", "has no effect unless load.shape.kind is capacity")
        return {}
    out: dict[str, Any] = {
        "step_rate": r.get(shape_raw, sf, "step_rate", _positive, None, required=True),
        "step_duration_s": r.get(
            shape_raw, sf, "step_duration", _positive_duration, None, required=True
        ),
        "max_rate": r.get(shape_raw, sf, "max_rate", _positive, None, required=True),
        "knee": r.get(shape_raw, sf, "knee", _str_list, tuple[str, ...]()),
    }
    if shape_raw.get("rate") is None:
        r.error(f"{sf}.rate", "kind 'capacity' needs rate: the first step's requests per second")
    if shape_raw.get("stages") is not None:
        r.error(f"{sf}.stages", "kind 'capacity' makes its own steps; leave stages out")
    step_s: float | None = out["step_duration_s"]
    if step_s is not None and step_s < CAPACITY_MIN_STEP_S:
        r.error(
            f"{sf}.step_duration",
            f"{step_s:g}s is too short to judge a step on; at least {CAPACITY_MIN_STEP_S:g}s",
        )
    return out


def capacity_duration(r: _Reader, d: dict[str, Any], f: str, shape: Shape) -> float | None:
    """The run's length, steps × step duration (None when the shape is not a valid capacity ramp).

    ``load.duration`` written beside it must agree: two lengths for one run would leave a reader
    guessing which one ran."""
    sf = f"{f}.shape"
    rate, ceiling, step_s = shape.rate, shape.max_rate, shape.step_duration_s
    if rate is None or ceiling is None or step_s is None or shape.step_rate is None:
        return None
    if ceiling < rate:
        r.error(f"{sf}.max_rate", f"{ceiling:g} req/s is below the start rate ({rate:g})")
        return None
    steps = len(shape.capacity_steps())
    if steps > CAPACITY_MAX_STEPS:
        r.error(
            f"{sf}.step_rate",
            f"{steps} steps from {rate:g} to {ceiling:g} req/s; at most {CAPACITY_MAX_STEPS} "
            "(raise step_rate or the start rate)",
        )
        return None
    total = steps * step_s
    written = d.get("duration")
    if written is not None and r.get(d, f, "duration", _positive_duration, total) != total:
        r.error(
            f"{f}.duration",
            f"a capacity ramp lasts its steps ({steps} × {step_s:g}s = {total:g}s); "
            "leave load.duration out",
        )
    return total


def knee_criteria(criteria: tuple[Any, ...] | list[Any], knee: tuple[str, ...]) -> list[Any]:
    """The criteria a capacity step is judged by: those whose metric ``knee`` names (the first
    criterion of each name), or the first latency criterion when ``knee`` is empty."""
    if not knee:
        first = next(
            (c for c in criteria if latency_quantile(c.metric) is not None and not c.endpoint),
            None,
        )
        return [] if first is None else [first]
    out = []
    for name in knee:
        found = next((c for c in criteria if c.metric == name), None)
        if found is not None:
            out.append(found)
    return out


def check_capacity(
    r: _Reader, load: Load | None, criteria: list[Criterion], guard: Guardrails
) -> None:
    """The knee names criteria of the spec that can be judged on one step's samples; the ceiling
    is within ``guardrails.max_rps`` (a capacity ramp must never be refused mid-way)."""
    if load is None or load.shape.kind != "capacity":
        return
    sf = "load.shape"
    shape = load.shape
    if shape.max_rate is not None and shape.max_rate > guard.max_rps:
        r.error(
            f"{sf}.max_rate",
            f"the ceiling {shape.max_rate:g} req/s exceeds guardrails.max_rps ({guard.max_rps:g})",
        )
    _check_first_step(r, shape, knee_criteria(criteria, shape.knee))
    if not shape.knee:
        if not knee_criteria(criteria, ()):
            r.error(
                f"{sf}.knee",
                "kind 'capacity' stops at the first step that fails a latency criterion: add one "
                "(e.g. latency_p95_ms < 300) or name the criteria in knee",
            )
        return
    metrics = [c.metric for c in criteria]
    for i, name in enumerate(shape.knee):
        crit = next((c for c in criteria if c.metric == name), None)
        where = f"{sf}.knee[{i}]" if len(shape.knee) > 1 else f"{sf}.knee"
        if crit is None:
            r.error(
                where,
                f"no criterion names {name!r} (criteria: {', '.join(metrics) or 'none'})",
            )
        elif share_test(crit) is None:
            r.error(
                where,
                f"{name!r} cannot be judged on one step's requests; name a latency percentile, "
                "error_rate or success_rate criterion",
            )


def _check_first_step(r: _Reader, shape: Shape, knee: list[Criterion]) -> None:
    """A step is judged on its own requests with a 95% bound: "P95 < T" can pass on n requests only
    when 0.95 ** n < 0.05, so a first step offering fewer could never pass and would say nothing."""
    if shape.rate is None or shape.step_duration_s is None:
        return
    offered = math.floor(shape.rate * shape.step_duration_s)
    for crit in knee:
        q = latency_quantile(crit.metric)
        if q is None:
            continue
        side = q if crit.op in ("<", "<=") else 1.0 - q
        needed = math.ceil(math.log(1.0 - CONFIDENCE) / math.log(side))
        if offered < needed:
            r.error(
                "load.shape.rate",
                f"the first step offers {offered} requests ({shape.rate:g} req/s × "
                f"{shape.step_duration_s:g}s); {crit.metric} can pass on one step only with at "
                f"least {needed}: raise rate or step_duration",
            )
