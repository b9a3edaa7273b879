"""The decision rule every metric shares: one-sided bounds against the threshold, the reason text.

Decision rule (architecture.md contract 3). Each PASS or FAIL is a one-sided claim, so each is backed
by a one-sided bound at the decision confidence (95%): PASS needs the bound on the bad side of the
estimate to clear the threshold, FAIL needs the bound on the good side to miss it; otherwise
INCONCLUSIVE. The reported ``[ci_low, ci_high]`` is that pair of one-sided 95% bounds (together a
two-sided 90% interval). With several runs of a candidate, declared repeats or not, the run is the
unit (:func:`widen`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pockit._constants import CONFIDENCE
from pockit.analysis import Estimate, clopper_pearson, t_interval
from pockit.criteria._base import (
    FAIL,
    INCONCLUSIVE,
    PASS,
    WARN,
    CandidateData,
    Judgeable,
    Judgement,
    Outcome,
    Rule,
)

SIDES: Literal["one"] = "one"


def judge(crit: Judgeable, est: float, lo: float, hi: float) -> Outcome:
    """PASS / FAIL / INCONCLUSIVE from the one-sided bounds; WARN for a PASS inside the band."""
    thr = crit.threshold
    if crit.op in ("<", "<="):
        passed = hi < thr if crit.op == "<" else hi <= thr
        failed = lo >= thr if crit.op == "<" else lo > thr
        in_band = crit.warn is not None and est >= thr - crit.warn
    else:
        passed = lo > thr if crit.op == ">" else lo >= thr
        failed = hi <= thr if crit.op == ">" else hi < thr
        in_band = crit.warn is not None and est <= thr + crit.warn
    if passed:
        return WARN if in_band else PASS
    if failed:
        return FAIL
    return INCONCLUSIVE


def fmt(x: float, unit: str = "") -> str:
    if not math.isfinite(x):
        return "unbounded" if math.isinf(x) else "n/a"
    if unit == "%":
        return f"{x:.2%}"
    return f"{x:.4g}{unit}"


def result(
    outcome: Outcome,
    est: Estimate | tuple[float, float, float, int],
    reason: str,
    method: str,
    details: dict[str, Any] | None = None,
) -> Judgement:
    """A :class:`Judgement` from an estimate (or ``(value, low, high, n)``)."""
    if isinstance(est, Estimate):
        value, lo, hi, n = est.value, est.ci_low, est.ci_high, est.n
    else:
        value, lo, hi, n = est
    return Judgement(outcome, value, lo, hi, n, reason, method, details or {})


def missing(rule: Rule, why: str, method: str = "", n: int = 0) -> Judgement:
    """Data is absent: INCONCLUSIVE (or FAIL when the criterion says ``on_missing: fail``)."""
    outcome: Outcome = FAIL if rule.on_missing == "fail" else INCONCLUSIVE
    suffix = " (on_missing: fail)" if outcome == FAIL else ""
    return result(outcome, (math.nan, math.nan, math.nan, n), f"{why}{suffix}", method)


def explain(rule: Rule, outcome: Outcome, est: float, lo: float, hi: float, unit: str = "") -> str:
    bounds = f"95% bounds [{fmt(lo, unit)}, {fmt(hi, unit)}]"
    head = f"{rule.metric} = {fmt(est, unit)}, {bounds}"
    if outcome == PASS:
        return f"{head}: whole interval {rule.op} {rule.threshold:g}"
    if outcome == WARN:
        return f"{head}: passes, but the estimate is within the warning band ({rule.warn:g}) of {rule.threshold:g}"
    if outcome == FAIL:
        return f"{head}: whole interval on the wrong side of {rule.op} {rule.threshold:g}"
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return f"{head}: too few samples for a finite interval; cannot tell whether {rule.op} {rule.threshold:g}"
    return f"{head}: interval straddles {rule.threshold:g}; more data needed"


def widen(pooled: tuple[float, float], per_run: Sequence[float]) -> tuple[float, float, bool]:
    """Run as the unit: the wider of the pooled bounds and the across-run t bounds."""
    vals = [v for v in per_run if math.isfinite(v)]
    if len(vals) < 2:
        return pooled[0], pooled[1], False
    _, lo, hi = t_interval(vals, confidence=CONFIDENCE, sides=SIDES)
    return min(pooled[0], lo), max(pooled[1], hi), True


def share(k: int, n: int) -> tuple[float, float, float]:
    """``k / n`` with its exact one-sided Clopper-Pearson bounds (what a rate decision uses)."""
    lo, hi = clopper_pearson(k, n, confidence=CONFIDENCE, sides=SIDES)
    return k / n, float(lo), float(hi)


def below_min_samples(rule: Rule, n: int, what: str, method: str) -> Judgement | None:
    """INCONCLUSIVE when the criterion's ``min_samples`` asks for more than ``n``; else None."""
    if rule.min_samples and n < rule.min_samples:
        return result(
            INCONCLUSIVE,
            (math.nan, math.nan, math.nan, n),
            f"{n} {what}, fewer than min_samples {rule.min_samples}",
            method,
        )
    return None


def both_ways(slow: Outcome, fast: Outcome) -> Outcome:
    """The outcome when unknown values may be at either extreme: only what both say."""
    if slow == fast:
        return slow
    if {slow, fast} == {PASS, WARN}:
        return WARN
    return INCONCLUSIVE


@dataclass(frozen=True)
class Judged:
    """A criterion judged on known rows, or at both extremes of the rows of unknown outcome."""

    outcome: Outcome
    value: float
    lo: float
    hi: float
    #: outcome with the unknown rows at their good / bad extreme (None: there are none)
    if_good: Outcome | None = None
    if_bad: Outcome | None = None

    def explain(
        self,
        rule: Rule,
        data: CandidateData,
        unit: str,
        good: str,
        bad: str,
        counted: str = "",
    ) -> str:
        """The reason (``counted`` after the figures); with unknown rows, what each extreme gives
        and that only their agreement decides."""
        text = explain(rule, self.outcome, self.value, self.lo, self.hi, unit) + counted
        if self.if_good is None:
            return text
        if self.if_good != self.if_bad and self.outcome == INCONCLUSIVE:
            head = f"{rule.metric} = {fmt(self.value, unit)} over the rows read, 95% bounds "
            text = f"{head}[{fmt(self.lo, unit)}, {fmt(self.hi, unit)}] at both extremes{counted}: the outcome depends on rows nobody could read"
        return f"{text}; {data.unknown_text()}: {good} the criterion is {self.if_good}, {bad} {self.if_bad}"

    def details(self) -> dict[str, Any]:
        if self.if_good is None:
            return {}
        return {"outcome_if_unknown_good": self.if_good, "outcome_if_unknown_bad": self.if_bad}
