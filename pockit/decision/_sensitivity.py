"""Sensitivity: each criterion re-judged with its threshold moved ±5% — does an outcome or a verdict flip?"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pockit.criteria import CandidateData
from pockit.decision._criteria import evaluate
from pockit.decision._model import CandidateResult, Verdict
from pockit.decision._verdicts import candidate_verdict, overall_verdict
from pockit.spec import Criterion, Spec

#: Each threshold is moved by this share both ways to see whether an outcome or verdict flips.
SENSITIVITY_STEP = 0.05


def _moved_threshold(metric: str, threshold: float, sign: float) -> float:
    """``threshold`` moved by SENSITIVITY_STEP down (``sign`` -1) or up (+1).

    A success rate moves by its error share (0.99 -> 0.9895 / 0.9905), never past 1: moving 0.99
    itself by 5% would ask for 1.04, a test no data can pass. Other metrics move multiplicatively.
    """
    if metric == "success_rate":
        return 1.0 - (1.0 - threshold) * (1.0 - sign * SENSITIVITY_STEP)
    out = threshold * (1.0 + sign * SENSITIVITY_STEP)
    return min(out, 1.0) if metric == "error_rate" else out


def moved(crit: Criterion) -> list[tuple[str, Criterion]]:
    """``crit`` with its threshold moved down and up (``minus5``, ``plus5``); none at 0."""
    if crit.threshold == 0:
        return []
    return [
        (tag, replace(crit, threshold=_moved_threshold(crit.metric, crit.threshold, sign)))
        for tag, sign in (("minus5", -1.0), ("plus5", 1.0))
    ]


def sensitivity(
    spec: Spec,
    datas: dict[str, CandidateData],
    cands: dict[str, CandidateResult],
    baseline: str | None,
    overall: Verdict,
) -> list[dict[str, Any]]:
    """Re-judge each criterion with its threshold moved ±5% (a success rate by its error share):
    does its outcome or a verdict flip?"""
    rows: list[dict[str, Any]] = []
    for name, data in datas.items():
        cres = cands[name]
        for i, crit in enumerate(spec.criteria):
            copies = moved(crit)
            if not copies:
                continue
            row: dict[str, Any] = {
                "candidate": name,
                "metric": crit.metric,
                "label": crit.label,
                "threshold": crit.threshold,
                "outcome": cres.criteria[i].outcome,
                "verdict": cres.verdict,
            }
            flips = False
            for tag, other in copies:
                res = evaluate(other, data, spec)
                results = list(cres.criteria)
                results[i] = res
                verdict, _ = candidate_verdict(results, warn_is_go=spec.warn_is_go)
                alt = dict(cands)
                alt[name] = replace(cres, verdict=verdict)
                ov, _, _ = overall_verdict(alt, baseline)
                row[tag] = {
                    "threshold": other.threshold,
                    "outcome": res.outcome,
                    "verdict": verdict,
                    "overall": ov,
                }
                flips = flips or verdict != cres.verdict or ov != overall
            row["flips"] = flips
            rows.append(row)
    return rows
