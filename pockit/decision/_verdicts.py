"""Verdicts from criterion outcomes, and the ranking of candidates (headroom, Pareto front).

Candidate verdict (architecture.md contract 3):

- **GO**: every criterion PASS (WARN counts as a pass unless the spec sets ``warn_is_go: false``);
- **NO-GO**: a key criterion FAILs, or, when no criterion is key, any criterion FAILs;
- **INCONCLUSIVE**: anything else (a criterion INCONCLUSIVE, or a non-key criterion FAILs while
  the key ones hold: the spec did not say that failure is fatal, so the call stays open).

Overall verdict: the baseline (``spec.baseline``) is a reference, not a contender, when other
candidates ran. **GO** when at least one contender is GO: the best ranked one is ``recommended``;
**NO-GO** when every contender is NO-GO; **INCONCLUSIVE** otherwise (no contender, or none GO and
at least one undecided).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pockit.criteria import latency_quantile
from pockit.decision._model import (
    FAIL,
    GO,
    INCONCLUSIVE,
    NO_GO,
    PASS,
    UNDECIDED,
    WARN,
    CandidateResult,
    CriterionResult,
    Verdict,
)
from pockit.spec import Spec


def candidate_verdict(
    results: list[CriterionResult], *, warn_is_go: bool = True
) -> tuple[Verdict, str]:
    """GO / NO-GO / INCONCLUSIVE for one candidate, with a one-line reason."""
    if not results:
        return UNDECIDED, "the spec has no criteria"
    any_key = any(r.key for r in results)
    fails = [r for r in results if r.outcome == FAIL]
    key_fails = [r for r in fails if r.key]
    if key_fails:
        return NO_GO, "key criterion failed: " + "; ".join(r.label for r in key_fails)
    if fails and not any_key:
        return NO_GO, "failed: " + "; ".join(r.label for r in fails)
    ok = {PASS, WARN} if warn_is_go else {PASS}
    open_ = [r for r in results if r.outcome not in ok]
    if not open_:
        warns = [r.label for r in results if r.outcome == WARN]
        return GO, "every criterion passes" + (f" (warning: {'; '.join(warns)})" if warns else "")
    parts = []
    if fails:
        parts.append("non-key criterion failed: " + "; ".join(r.label for r in fails))
    inc = [r.label for r in open_ if r.outcome == INCONCLUSIVE]
    if inc:
        parts.append("not enough evidence: " + "; ".join(inc))
    warns = [r.label for r in open_ if r.outcome == WARN]
    if warns:
        parts.append("warnings count against GO (warn_is_go: false): " + "; ".join(warns))
    return UNDECIDED, "; ".join(parts)


def overall_verdict(
    cands: Mapping[str, CandidateResult], baseline: str | None
) -> tuple[Verdict, str, list[str]]:
    """The decision's verdict and reason, and the contenders it was taken over."""
    contenders = [n for n, c in cands.items() if not c.is_baseline and c.n_runs]
    if not contenders:
        return UNDECIDED, "no candidate with runs to decide on", contenders
    go = [n for n in contenders if cands[n].verdict == GO]
    if go:
        return GO, f"{len(go)} of {len(contenders)} candidate(s) GO: {', '.join(go)}", contenders
    if all(cands[n].verdict == NO_GO for n in contenders):
        return (
            NO_GO,
            "every candidate is NO-GO: " + "; ".join(f"{n}: {cands[n].reason}" for n in contenders),
            contenders,
        )
    undecided = [n for n in contenders if cands[n].verdict == UNDECIDED]
    return (
        UNDECIDED,
        "no candidate GO; undecided: " + "; ".join(f"{n}: {cands[n].reason}" for n in undecided),
        contenders,
    )


def headroom_score(results: list[CriterionResult]) -> float:
    """Weighted mean of each criterion's headroom: (threshold - estimate) / |threshold|, signed so
    that positive is good, clipped to [-1, 1]. Ranks candidates that pass by how much they spare.
    An infinite estimate (a P95 that is a failed request) is the worst headroom, not left out."""
    num = den = 0.0
    for r in results:
        if math.isnan(r.estimate) or r.threshold == 0:
            continue
        h = (r.threshold - r.estimate) / abs(r.threshold)
        if r.op in (">", ">="):
            h = -h
        num += r.weight * max(-1.0, min(1.0, h))
        den += r.weight
    return num / den if den else math.nan


def pareto(spec: Spec, cands: dict[str, CandidateResult]) -> tuple[list[str], list[dict[str, Any]]]:
    """Cost-versus-latency front: candidates no other beats on both (lower cost, lower latency)."""
    lat_metric = next(
        (c.metric for c in spec.criteria if latency_quantile(c.metric) is not None),
        "latency_p95_ms",
    )
    points: list[dict[str, Any]] = []
    for name, c in cands.items():
        cost = next(
            (
                r.estimate
                for r in c.criteria
                if r.metric == "cost_per_1k_usd" and math.isfinite(r.estimate)
            ),
            None,
        )
        lat = next(
            (
                r.estimate
                for r in c.criteria
                if r.metric == lat_metric and r.endpoint is None and math.isfinite(r.estimate)
            ),
            None,
        )
        if cost is not None and lat is not None:
            points.append(
                {
                    "candidate": name,
                    "cost_per_1k_usd": cost,
                    "latency_metric": lat_metric,
                    "latency_ms": lat,
                    "verdict": c.verdict,
                }
            )
    for p in points:
        p["on_front"] = not any(
            o is not p
            and o["cost_per_1k_usd"] <= p["cost_per_1k_usd"]
            and o["latency_ms"] <= p["latency_ms"]
            and (o["cost_per_1k_usd"] < p["cost_per_1k_usd"] or o["latency_ms"] < p["latency_ms"])
            for o in points
        )
    front = sorted((p for p in points if p["on_front"]), key=lambda p: p["cost_per_1k_usd"])
    return [p["candidate"] for p in front], points


def ranking(cands: Mapping[str, CandidateResult], contenders: list[str]) -> list[dict[str, Any]]:
    """Contenders by verdict (GO first), then by headroom score."""
    rank_order = {GO: 0, UNDECIDED: 1, NO_GO: 2}
    ranked = sorted(
        contenders,
        key=lambda n: (
            rank_order[cands[n].verdict],
            -(cands[n].score if math.isfinite(cands[n].score) else -math.inf),
        ),
    )
    return [
        {
            "rank": i + 1,
            "candidate": n,
            "verdict": cands[n].verdict,
            "score": cands[n].score if math.isfinite(cands[n].score) else None,
        }
        for i, n in enumerate(ranked)
    ]
