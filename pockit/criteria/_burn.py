"""``error_budget_burn``: the error rate over the SLO's error budget (1 - slo.target)."""

from __future__ import annotations

from pockit.criteria._base import Judgement, MetricInput
from pockit.criteria._judge import missing, result
from pockit.criteria._registry import Metric, register
from pockit.criteria._share import judged_share

METHOD_BURN = "error rate / (1 - SLO target), the error rate's Clopper-Pearson bounds scaled alike"


def _burn(inp: MetricInput) -> Judgement:
    rule, data, reqs, slo = inp.rule, inp.data, inp.requests, inp.slo_target
    if slo is None:
        return missing(
            rule, "error_budget_burn needs slo_target in the spec (e.g. 0.999)", METHOD_BURN
        )
    _, j = judged_share(rule, data, reqs, errors=True, scale=1.0 - slo)
    return result(
        j.outcome,
        (j.value, j.lo, j.hi, reqs.height),
        j.explain(rule, data, "x", "as all OK", "as all failed"),
        METHOD_BURN,
        {"slo_target": slo, **j.details()},
    )


register(
    Metric(
        name="error_budget_burn",
        unit="× budget",
        doc="error rate / (1 - slo.target): 1 spends the budget exactly",
        compute=_burn,
        needs=frozenset({"samples", "slo_target"}),
    )
)
