"""``cost_per_1k_usd``: attributed billing cost per 1,000 requests (a measured total, no interval)."""

from __future__ import annotations

from pockit.criteria._base import Judgement, MetricInput
from pockit.criteria._judge import judge, missing, result
from pockit.criteria._registry import Metric, register

METHOD_COST = "attributed billing cost / requests * 1000 (a measured total, no sampling interval)"


def _cost(inp: MetricInput) -> Judgement:
    rule, data = inp.rule, inp.data
    method = METHOD_COST
    cost = data.cost
    if cost is None or cost.problem is not None:
        why = (
            cost.problem
            if cost is not None and cost.problem
            else "billing not landed / no cost source"
        )
        return missing(rule, f"cost_per_1k_usd for {data.name}: {why}", method)
    if cost.currency and cost.currency.upper() != "USD":
        return missing(
            rule,
            f"cost is in {cost.currency}, the criterion is in USD; pockit never converts currencies",
            method,
        )
    if not cost.covers_window and not inp.cost_lag_ok:
        return missing(
            rule,
            "billing does not cover the run window yet (billing lags; re-run decide later or set cost.lag_ok)",
            method,
        )
    v = cost.per_1k
    outcome = judge(rule, v, v, v)
    reason = f"cost_per_1k_usd = ${v:.4g} (total {cost.total:.4g} {cost.currency} over {data.requests.height} requests, source {cost.source}) {rule.op} {rule.threshold:g}: {outcome}"
    return result(
        outcome,
        (v, v, v, data.requests.height),
        reason,
        method,
        {"total": cost.total, "currency": cost.currency, "covers_window": cost.covers_window},
    )


register(
    Metric(
        name="cost_per_1k_usd",
        unit="USD",
        doc="billing cost attributed to the candidate's run windows per 1,000 requests",
        compute=_cost,
        needs=frozenset({"samples", "cost"}),
        per_request=False,
    )
)
