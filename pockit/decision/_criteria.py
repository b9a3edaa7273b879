"""Judging one criterion for one candidate: look its metric up in :mod:`pockit.criteria`, build its
input from the spec and the runs, compute; then the rules the decision adds on top.

How each metric is estimated, bounded and judged lives with the metric (``pockit/criteria/``; the
decision rule is ``pockit/criteria/_judge.py``, architecture.md contract 3). What stays here:
an unknown metric, a criterion's endpoint that no run has, or no requests at all are INCONCLUSIVE
(FAIL with ``on_missing: fail``) before any metric is computed; and a share criterion of a run that
``load.stop_when`` stopped is judged by its anytime-valid bound as well (:func:`_after_early_stop`).
"""

from __future__ import annotations

from dataclasses import replace

from pockit._contract import StopCode
from pockit._errors import PockitError
from pockit._rundir import RunDir
from pockit.analysis import METHOD_SEQUENTIAL, Requests, evaluate_sequential, share_test
from pockit.criteria import (
    CandidateData,
    Judgement,
    MetricInput,
    Rule,
    family_names,
    fixed_names,
    held_cuts,
    judge,
    latency_quantile,
    lookup,
    missing,
)
from pockit.decision._model import FAIL, INCONCLUSIVE, PASS, WARN, CriterionResult, Outcome
from pockit.spec import Criterion, Spec, knee_criteria

__all__ = ["CandidateData", "evaluate", "judge"]


def rule_of(crit: Criterion) -> Rule:
    """The spec's criterion as the plain values a metric reads."""
    return Rule(
        metric=crit.metric,
        op=crit.op,
        threshold=crit.threshold,
        warn=crit.warn,
        min_samples=crit.min_samples,
        on_missing=crit.on_missing,
        endpoint=crit.endpoint,
    )


def _as_result(crit: Criterion, cand: str, j: Judgement) -> CriterionResult:
    return CriterionResult(
        candidate=cand,
        metric=crit.metric,
        op=crit.op,
        threshold=crit.threshold,
        outcome=j.outcome,
        estimate=j.estimate,
        ci_low=j.ci_low,
        ci_high=j.ci_high,
        n=j.n,
        reason=j.reason,
        method=j.method,
        key=crit.key,
        weight=crit.weight,
        warn=crit.warn,
        endpoint=crit.endpoint,
        details=j.details,
    )


def _requests_for(rule: Rule, data: CandidateData) -> tuple[Requests | None, str | None]:
    if rule.endpoint is None:
        return data.requests, None
    if rule.endpoint not in data.endpoints:
        known = ", ".join(data.endpoints[:20]) or "none"
        return None, f"no endpoint {rule.endpoint!r} in the runs of {data.name}; endpoints: {known}"
    return data.requests.endpoint(rule.endpoint), None


def evaluate(crit: Criterion, data: CandidateData, spec: Spec) -> CriterionResult:
    """Judge ``crit`` on ``data``: the metric the registry names for it, on the input built here."""
    return _after_early_stop(
        crit, data, spec, _as_result(crit, data.name, _judged(crit, data, spec))
    )


def _judged(crit: Criterion, data: CandidateData, spec: Spec) -> Judgement:
    """``crit`` judged by its fixed-length bounds (one look, at the end of the runs)."""
    rule = rule_of(crit)
    metric = lookup(crit.metric)
    if metric is None:
        known = ", ".join([*fixed_names(), *family_names()])
        return missing(rule, f"unknown metric {crit.metric!r}; metrics that exist: {known}")
    requests = data.requests
    note = None
    if metric.per_request:
        got, problem = _requests_for(rule, data)
        if got is None:
            return missing(rule, problem or "no data")
        cut = held_cuts(data.infos) if _names_the_knee(crit, spec) else None
        if cut is not None:
            got, note = got.held(cut[0]), cut[1]
        if got.height == 0:
            return missing(
                rule, f"no requests recorded for {data.name}" + (f" ({note})" if note else "")
            )
        requests = got
    inp = MetricInput(
        rule=rule,
        data=data,
        requests=requests,
        slo_target=spec.slo_target,
        cost_lag_ok=spec.cost.lag_ok if spec.cost is not None else False,
        others=tuple(rule_of(c) for c in spec.criteria),
        services=spec.observability.services if spec.observability is not None else (),
    )
    judged = metric.compute(inp)
    return replace(judged, reason=f"{judged.reason} ({note})") if note else judged


def _names_the_knee(crit: Criterion, spec: Spec) -> bool:
    """Whether ``crit`` is one a ``capacity`` ramp judges each step by (``load.shape.knee``)."""
    shape = spec.load.shape if spec.load is not None else None
    if shape is None or shape.kind != "capacity":
        return False
    # by metric, not identity: the sensitivity check judges moved copies of the same criterion
    return any(
        k.metric == crit.metric and k.endpoint == crit.endpoint
        for k in knee_criteria(spec.criteria, shape.knee)
    )


# -- after load.stop_when stopped a run ----------------------------------------------------------


def _stopped_when_decided(data: CandidateData) -> list[str]:
    """Ids of the candidate's runs that ``load.stop_when`` stopped (run.json ``stop_code``)."""
    out = []
    for info in data.infos:
        try:
            code = RunDir.open(info.path).record.stop_code
        except (PockitError, OSError):
            continue  # the samples were read from it: a run.json gone since is no early stop
        if code == StopCode.DECIDED:
            out.append(info.id)
    return out


def _after_early_stop(
    crit: Criterion, data: CandidateData, spec: Spec, fixed: CriterionResult
) -> CriterionResult:
    """A share criterion of a run that ``load.stop_when`` stopped is judged by the anytime-valid
    bound (the fixed-length one is valid for a single planned look, not at a data-dependent stop).

    PASS or FAIL stands only when the anytime bound and the fixed-length judgement (which carries
    the run-as-unit widening and the ms bounds) agree; the reported bounds are the wider of the
    two. So the outcome is never more optimistic than the rule that stopped the run.
    """
    if not fixed.n or share_test(crit, slo_target=spec.slo_target) is None:
        return fixed
    stopped = _stopped_when_decided(data)
    if not stopped:
        return fixed
    counts = data.requests.share_counts(crit, slo_target=spec.slo_target)
    if counts is None:
        return fixed
    n, k, unknown = counts
    seq = evaluate_sequential(crit, n, k, unknown=unknown, slo_target=spec.slo_target)
    if seq is None:
        return fixed
    agree = (seq.outcome == PASS and fixed.outcome in (PASS, WARN)) or (
        seq.outcome == FAIL and fixed.outcome == FAIL
    )
    outcome: Outcome = fixed.outcome if agree else INCONCLUSIVE
    lo, hi = fixed.ci_low, fixed.ci_high
    details = {**fixed.details, "anytime": seq.to_dict(), "fixed_outcome": fixed.outcome}
    if latency_quantile(crit.metric) is not None:  # bounds in ms stay; the share's widen
        details["share_ci_low"] = min(details.get("share_ci_low", seq.ci_low), seq.ci_low)
        details["share_ci_high"] = max(details.get("share_ci_high", seq.ci_high), seq.ci_high)
    else:
        slo = spec.slo_target if crit.metric == "error_budget_burn" else None
        scale = 1.0 - slo if slo is not None else 1.0  # burn = error rate / budget
        lo, hi = min(lo, seq.ci_low / scale), max(hi, seq.ci_high / scale)
    which = ", ".join(stopped)
    reason = (
        f"{seq.reason}; run(s) {which} stopped by load.stop_when, so the anytime-valid bound "
        f"decides (fixed-length bounds would say {fixed.outcome}: {fixed.reason})"
    )
    if not agree and seq.outcome != INCONCLUSIVE:
        reason += (
            f"; {seq.outcome} by the anytime bound alone, but not by the fixed-length judgement"
        )
    return replace(
        fixed,
        outcome=outcome,
        ci_low=lo,
        ci_high=hi,
        reason=reason,
        method=(
            f"{METHOD_SEQUENTIAL}; the run stopped when such a bound decided, so PASS or FAIL "
            f"needs it, and the fixed-length judgement to agree ({fixed.method})"
        ),
        details=details,
    )
