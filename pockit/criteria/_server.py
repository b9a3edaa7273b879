"""``server:NAME``: a server-side metric from the spec's ``metrics`` sources, mean over the runs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pockit._constants import CONFIDENCE
from pockit.analysis import t_interval
from pockit.criteria._base import Judgement, MetricInput
from pockit.criteria._judge import SIDES, explain, judge, missing, result
from pockit.criteria._registry import Metric, register

if TYPE_CHECKING:
    pass

SERVER_METRIC = re.compile(r"server:[A-Za-z_:][A-Za-z0-9_:.]*")
METHOD_SERVER = "mean of the metric over the run windows; one-sided t bounds over 10 batch means"


def _server(inp: MetricInput) -> Judgement:
    import numpy as np
    import polars as pl

    rule, data = inp.rule, inp.data
    name = rule.metric.split(":", 1)[1]
    m = data.metrics
    if m is None or m.height == 0:
        return missing(
            rule,
            f"no server-side metrics for {data.name} (metric {name!r}); fetch them with the spec's metrics sources",
            METHOD_SERVER,
        )
    sub = m.filter(pl.col("metric") == name)
    if sub.height == 0:
        known = ", ".join(sorted(set(m["metric"].cast(pl.String).to_list()))[:20])
        return missing(
            rule,
            f"server metric {name!r} absent for {data.name}; metrics present: {known}",
            METHOD_SERVER,
        )
    vals = sub.sort("ts")["value"].cast(pl.Float64).drop_nans().drop_nulls().to_numpy()
    n = int(vals.size)
    if n == 0:
        return missing(rule, f"server metric {name!r} has no values", METHOD_SERVER)
    batches = [b.mean() for b in np.array_split(vals, min(10, n))]
    mean, lo, hi = t_interval(batches, confidence=CONFIDENCE, sides=SIDES)
    mean = float(vals.mean())
    outcome = judge(rule, mean, lo, hi)
    return result(outcome, (mean, lo, hi, n), explain(rule, outcome, mean, lo, hi), METHOD_SERVER)


register(
    Metric(
        name="server:NAME",
        unit="",  # the source's own; the report reads it from the name (criteria.unit)
        doc="a server-side metric fetched by the spec's metrics sources (metrics[].name), mean with bounds",
        compute=_server,
        needs=frozenset({"server_metrics"}),
        per_request=False,
        matches=lambda name: SERVER_METRIC.fullmatch(name) is not None,
    )
)
