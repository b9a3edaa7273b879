"""``throughput_rps``: requests per second over the runs' load windows, Poisson bounds."""

from __future__ import annotations

from pockit._constants import CONFIDENCE
from pockit.analysis import throughput_estimate
from pockit.criteria._base import Judgement, MetricInput, Outcome
from pockit.criteria._judge import SIDES, Judged, both_ways, judge, missing, result, widen
from pockit.criteria._registry import Metric, register


def _throughput(inp: MetricInput) -> Judgement:
    rule, data, reqs = inp.rule, inp.data, inp.requests
    n = reqs.height
    dur = data.duration_s
    method = data.throughput_method
    if n == 0 or not dur > 0:
        return missing(rule, f"no requests or no run duration for {data.name}", method)
    counts = {rid: count for rid, (count, _) in reqs.run_counts().items()}

    def judged(extra: dict[str, int]) -> tuple[Outcome, float, float, float]:
        total = n + sum(extra.values())
        est = throughput_estimate(total, dur, confidence=CONFIDENCE, sides=SIDES, method=method)
        lo, hi = est.ci_low, est.ci_high
        if data.unit == "run":
            per = [
                (counts.get(rid, 0) + extra.get(rid, 0)) / d
                for rid, d in data.durations.items()
                if d > 0
            ]
            lo, hi, _ = widen((lo, hi), per)
        return judge(rule, est.value, lo, hi), est.value, lo, hi

    outcome, value, lo, hi = judged({})
    j = Judged(outcome, value, lo, hi)
    if data.n_unknown:  # unread rows were requests (all counted) or not (none)
        good, _, lo_u, hi_u = judged({r: c for r, (c, _) in data.rows_unknown.items()})
        j = Judged(both_ways(good, outcome), value, lo, max(hi, hi_u), if_good=good, if_bad=outcome)
    return result(
        j.outcome,
        (j.value, j.lo, j.hi, n),
        j.explain(rule, data, " rps", "counting them as requests", "leaving them out"),
        method,
        {"duration_s": dur, **j.details()},
    )


register(
    Metric(
        name="throughput_rps",
        unit="req/s",
        doc="requests per second over the runs' load windows, Poisson bounds",
        compute=_throughput,
    )
)
