"""``recovery_s``: seconds from each fault's end until the service is healthy again; worst fault."""

from __future__ import annotations

import math

from pockit.analysis import (
    DEFAULT_HEALTHY_ERROR_RATE,
    METHOD_RECOVERY,
    RECOVERY_SETTLE_BUCKETS,
    recoveries,
    recovery_estimate,
)
from pockit.criteria._base import Judgement, MetricInput
from pockit.criteria._judge import judge, missing, result
from pockit.criteria._registry import Metric, register


def _recovery(inp: MetricInput) -> Judgement:
    """Healthy = the spec's error_rate / success_rate threshold and its all-endpoint P95 one."""
    rule, data = inp.rule, inp.data
    err_thr, p95_thr = None, None
    for other in inp.others:
        if other.metric == "error_rate" and other.op in ("<", "<="):
            err_thr = other.threshold
        elif other.metric == "success_rate" and other.op in (">", ">=") and err_thr is None:
            err_thr = 1.0 - other.threshold
        elif (
            other.metric == "latency_p95_ms" and other.op in ("<", "<=") and other.endpoint is None
        ):
            p95_thr = other.threshold
    recs = recoveries(data.requests, data.infos, error_threshold=err_thr, p95_threshold_ms=p95_thr)
    method = METHOD_RECOVERY.format(
        settle=RECOVERY_SETTLE_BUCKETS,
        bucket=1.0,
        err=err_thr if err_thr is not None else DEFAULT_HEALTHY_ERROR_RATE,
        lat=f", P95 <= {p95_thr:g} ms" if p95_thr is not None else ", P95 <= 1.5x pre-fault P95",
    )
    if not recs:
        return missing(
            rule,
            f"no fault_end event in the runs of {data.name}: recovery_s needs an injected fault",
            method,
        )
    est = recovery_estimate(recs, method=method)
    outcome = judge(rule, est.value, est.ci_low, est.ci_high)
    if math.isinf(est.value):
        reason = f"did not recover before the run ended after {sum(math.isinf(r.recovery_s) for r in recs)} of {len(recs)} fault(s)"
    else:
        reason = f"worst recovery {est.value:.0f} s over {len(recs)} fault(s) {rule.op} {rule.threshold:g} s: {outcome}"
    details = {
        "faults": [
            {
                "run_id": r.run_id,
                "fault": r.fault,
                "recovery_s": r.recovery_s if math.isfinite(r.recovery_s) else None,
            }
            for r in recs
        ]
    }
    return result(outcome, est, reason, method, details)


register(
    Metric(
        name="recovery_s",
        unit="s",
        doc="seconds from each fault's end until error rate and P95 are healthy again; worst fault",
        compute=_recovery,
        needs=frozenset({"samples", "faults"}),
        per_request=False,
    )
)
