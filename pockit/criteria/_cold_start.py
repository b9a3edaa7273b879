"""``cold_start_p95_ms``: P95 of the probe requests after each idle gap, judged as a latency P95."""

from __future__ import annotations

from pockit._contract import EventKind
from pockit.analysis import ArrayValues, Values, cold_start_latencies
from pockit.criteria._base import Judgement, MetricInput
from pockit.criteria._judge import missing
from pockit.criteria._latency import METHOD_LATENCY, judge_values
from pockit.criteria._registry import Metric, register


def _cold_start(inp: MetricInput) -> Judgement:
    data = inp.data
    by_run: dict[str, Values] = {
        i.id: ArrayValues(cold_start_latencies(data.requests, [i], failures_as_inf=True))
        for i in data.infos
    }
    if not any(v.size for v in by_run.values()):
        return missing(
            inp.rule,
            f"no {EventKind.IDLE_GAP_END} event (cold start) in the runs of {data.name}",
            METHOD_LATENCY,
        )
    return judge_values(inp.rule, data, 0.95, by_run, "cold-start requests")


register(
    Metric(
        name="cold_start_p95_ms",
        unit="ms",
        doc="P95 of the first requests after each idle gap (the load's idle_gaps)",
        compute=_cold_start,
        needs=frozenset({"samples", "idle_gaps"}),
        per_request=False,
    )
)
