"""``detect_s``: seconds from each fault_start to the first 1 s bucket that breaches the spec's
error-rate or latency threshold (analysis :func:`~pockit.analysis.detections`); worst fault."""

from __future__ import annotations

import math

from pockit.analysis import METHOD_DETECT, detection_estimate, detections, latency_quantile
from pockit.criteria._base import Judgement, MetricInput, Rule
from pockit.criteria._judge import judge, missing, result
from pockit.criteria._registry import Metric, register


def _fault_thresholds(others: tuple[Rule, ...]) -> tuple[float | None, float | None, float | None]:
    """(error-rate threshold, latency quantile, its threshold in ms) a bucket breaches: from the
    spec's error_rate / success_rate criterion and its first all-endpoint latency criterion."""
    err_thr: float | None = None
    q: float | None = None
    lat_thr: float | None = None
    for other in others:
        if other.endpoint is not None:
            continue
        if other.metric == "error_rate" and other.op in ("<", "<="):
            err_thr = other.threshold
        elif other.metric == "success_rate" and other.op in (">", ">=") and err_thr is None:
            err_thr = 1.0 - other.threshold
        elif (
            q is None
            and other.op in ("<", "<=")
            and not other.metric.endswith("_intended_ms")
            and latency_quantile(other.metric) is not None
        ):
            q, lat_thr = latency_quantile(other.metric), other.threshold
    return err_thr, q, lat_thr


def _detect(inp: MetricInput) -> Judgement:
    rule, data = inp.rule, inp.data
    err_thr, q, lat_thr = _fault_thresholds(inp.others)
    found = detections(
        data.requests, data.infos, error_threshold=err_thr, quantile=q, latency_threshold_ms=lat_thr
    )
    method = METHOD_DETECT
    if not found:
        return missing(
            rule,
            f"no fault_start event in the runs of {data.name}: detect_s needs an injected fault",
            method,
        )
    est = detection_estimate(found, method=method)
    outcome = judge(rule, est.value, est.ci_low, est.ci_high)
    missed = sum(math.isinf(d.detect_s) for d in found)
    if missed:
        reason = (
            f"{missed} of {len(found)} fault(s) never breached the client-side thresholds while "
            f"they lasted ({found[0].rule}): not detected"
        )
    else:
        reason = (
            f"slowest detection {est.value:.0f} s (bounds {est.ci_low:.0f}..{est.ci_high:.0f} s) "
            f"over {len(found)} fault(s), breach = {found[0].rule}; {rule.op} "
            f"{rule.threshold:g} s: {outcome}"
        )
    details = {
        "faults": [
            {
                "run_id": d.run_id,
                "fault": d.fault,
                "detect_s": d.detect_s if math.isfinite(d.detect_s) else None,
                "by": d.by,
            }
            for d in found
        ]
    }
    return result(outcome, est, reason, method, details)


register(
    Metric(
        name="detect_s",
        unit="s",
        doc="seconds from each fault_start to the first breaching 1 s bucket; worst fault",
        compute=_detect,
        needs=frozenset({"samples", "faults"}),
        per_request=False,
    )
)
