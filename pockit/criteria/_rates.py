"""``success_rate`` and ``error_rate``: the share of all requests that succeeded / failed."""

from __future__ import annotations

from pockit.criteria._base import Judgement, MetricInput
from pockit.criteria._judge import below_min_samples, missing, result
from pockit.criteria._registry import Metric, register
from pockit.criteria._share import judged_share

METHOD_RATE = (
    "share k/n with exact one-sided Clopper-Pearson 95% bounds (never passes more than 5% of the "
    "time at the threshold; pockit stats shows Wilson intervals)"
)


def _rate(inp: MetricInput, *, errors: bool) -> Judgement:
    rule, data, reqs = inp.rule, inp.data, inp.requests
    n = reqs.height
    if n == 0:
        return missing(rule, f"no requests for {data.name}", METHOD_RATE)
    too_few = below_min_samples(rule, n, "requests", METHOD_RATE)
    if too_few is not None:
        return too_few
    k, j = judged_share(rule, data, reqs, errors=errors)
    counted = f" ({k} of {n} requests" + (" read)" if data.n_unknown else ")")
    reason = j.explain(rule, data, "%", "as all OK", "as all failed", counted)
    if data.unit == "run":
        reason += f"; run is the unit ({len(reqs.run_counts())} runs)"
    return result(
        j.outcome,
        (j.value, j.lo, j.hi, n),
        reason,
        METHOD_RATE,
        {"unit": data.unit, "import_skipped_rows": data.n_unknown, **j.details()},
    )


register(
    Metric(
        name="success_rate",
        unit="%",
        doc="share of all requests that succeeded (Locust's success flag), Clopper-Pearson bounds",
        compute=lambda inp: _rate(inp, errors=False),
    )
)
register(
    Metric(
        name="error_rate",
        unit="%",
        doc="share of all requests that failed, Clopper-Pearson bounds",
        compute=lambda inp: _rate(inp, errors=True),
    )
)
