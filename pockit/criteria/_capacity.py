"""``capacity_rps``: the highest offered rate a ``capacity`` ramp held (load/_capacity.py judged
each step on its own requests and recorded them in run.json's ``capacity``). The bracket
[last passing step, first failing step] is the interval: the knee lies between them."""

from __future__ import annotations

import math
from typing import Any

from pockit._contract import CapacityKey, RunField, parse_iso
from pockit.criteria._base import Judgement, MetricInput
from pockit.criteria._judge import judge, missing, result
from pockit.criteria._registry import Metric, register

METHOD_CAPACITY = (
    "capacity ramp: the last step (offered rate, open model) that passed the knee criteria on its "
    "own requests before the first that failed; interval [last passing, first failing] step rate "
    "(the knee lies between), +inf when no step failed up to the ceiling; with several runs the "
    "lowest run's bracket"
)


def _bracket(record: Any) -> tuple[float, float] | None:
    """(last passing, first failing) of one run's ``capacity`` record; None without a passing step."""
    if not isinstance(record, dict) or record.get(CapacityKey.LAST_PASS) is None:
        return None
    fail = record.get(CapacityKey.FIRST_FAIL)
    return float(record[CapacityKey.LAST_PASS]), math.inf if fail is None else float(fail)


def _capacity(inp: MetricInput) -> Judgement:
    rule, data = inp.rule, inp.data
    records = {
        info.id: info.record.raw.get(RunField.CAPACITY) if info.record is not None else None
        for info in data.infos
    }
    if not any(isinstance(r, dict) for r in records.values()):
        return missing(
            rule,
            f"no run of {data.name} was a capacity run (load.shape.kind: capacity)",
            METHOD_CAPACITY,
        )
    brackets = {rid: _bracket(r) for rid, r in records.items()}
    none = sorted(rid for rid, b in brackets.items() if b is None)
    if none:
        return missing(
            rule,
            f"no step of the capacity ramp passed in run(s) {', '.join(none)}: the knee is "
            "below the first step (lower load.shape.rate)",
            METHOD_CAPACITY,
        )
    worst = min((b for b in brackets.values() if b is not None), key=lambda b: (b[0], b[1]))
    lo, hi = worst
    outcome = judge(rule, lo, lo, hi)
    top = "no step failed up to the ceiling" if math.isinf(hi) else f"failed at {hi:g} req/s"
    reason = (
        f"capacity_rps = {lo:g} req/s (held {lo:g}, {top}; interval [{lo:g}, {hi:g}]) over "
        f"{len(brackets)} run(s); {rule.op} {rule.threshold:g}: {outcome}"
    )
    steps = sum(len(r.get(CapacityKey.STEPS, [])) for r in records.values() if isinstance(r, dict))
    details = {"runs": {rid: list(b) if b else None for rid, b in brackets.items()}}
    return result(outcome, (lo, lo, hi, steps), reason, METHOD_CAPACITY, details)


register(
    Metric(
        name="capacity_rps",
        unit="req/s",
        doc="the last offered rate a capacity ramp held before its first failing step",
        compute=_capacity,
        needs=frozenset({"capacity"}),
        per_request=False,
    )
)


def held_cuts(infos: Any) -> tuple[dict[str, float | None], str] | None:
    """Per capacity run, the end of the last step its ramp held (epoch seconds, run.json
    ``held_until``; None when no step passed), with a note for the reason; None when no run is a
    capacity run (judge the whole run as usual). ``Requests.held`` keeps the requests offered
    (by ``t_intended``) before each cut.

    A criterion that names the knee is what the ramp pushed until it broke: judged on every
    request it would fail by construction (the failing step is in the run). Judged on the held
    steps it answers "does it hold up to the capacity found?". A run with no passing step keeps
    no request (the criterion is then INCONCLUSIVE: "no requests recorded").
    """
    cuts: dict[str, float | None] = {}
    held: list[str] = []
    for info in infos:
        record = info.record.raw.get(RunField.CAPACITY) if info.record is not None else None
        if not isinstance(record, dict):
            continue
        until, last = record.get(CapacityKey.HELD_UNTIL), record.get(CapacityKey.LAST_PASS)
        cuts[info.id] = parse_iso(str(until)).timestamp() if until else None
        held.append(f"{float(last):g} req/s" if until and last is not None else "none")
    if not cuts:
        return None
    note = f"judged on the capacity steps held (up to {', '.join(held)}), not the step that failed"
    return cuts, note
