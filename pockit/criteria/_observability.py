"""Observability from the spec's Prometheus (``observability:``): coverage and metric cardinality.

``pockit run`` fetches, for each run's window, Prometheus's ``up`` series and its series count
(``count({__name__=~".+"})``) into ``sources/metrics.parquet`` under the names below
(:func:`pockit.sources.attach_observability`); these metrics read them back.

* ``observability_coverage``: services the spec lists (``observability.services``) that Prometheus
  scraped successfully during the load ÷ services listed. A service counts as instrumented when an
  ``up`` series whose ``job`` or ``instance`` label equals its name is 1 at least once in the load
  window (Prometheus reached its exporter); how often it was up is in the details.
* ``cardinality_peak``: the most series Prometheus held at any step of the load windows.
* ``cardinality_growth``: (series at the end − series at the start) ÷ series at the start of the
  load window, the largest over the candidate's runs: a share, so 0.1 is 10% more series.

All three are counts Prometheus holds, not samples of something larger: they carry no interval
(the bounds are the value).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pockit.criteria._base import Judgement, MetricInput
from pockit.criteria._judge import explain, judge, missing, result
from pockit.criteria._points import dims, fetch_errors, points
from pockit.criteria._registry import Metric, Need, register

if TYPE_CHECKING:
    import polars as pl

#: The metrics-frame names the observability points are stored under (written by pockit.sources).
OBS_UP = "observability:up"
OBS_SERIES = "observability:series"
#: The labels of an ``up`` series a listed service's name is matched against.
SERVICE_LABELS = ("job", "instance")

METHOD_COVERAGE = (
    "services listed in observability.services with an `up` series (job or instance label equal "
    "to the name) at 1 at least once in the load window ÷ services listed; a count, no interval"
)
METHOD_PEAK = 'the largest count({__name__=~".+"}) at any query step of the load windows; a count, no interval'
METHOD_GROWTH = (
    'count({__name__=~".+"}) at the last step of the load window minus the first, ÷ the first; '
    "the largest over the runs; a count, no interval"
)


def _absent(inp: MetricInput, what: str, method: str) -> Judgement:
    errors = fetch_errors(inp.data)
    why = f"no {what} for {inp.data.name} in its load windows (the spec's observability section "
    why += "fetches it when a run ends)"
    return missing(inp.rule, why + (f"; fetching failed: {errors}" if errors else ""), method)


def coverage_of(
    rows: pl.DataFrame, services: tuple[str, ...]
) -> tuple[float, dict[str, dict[str, Any]]]:
    """Share of ``services`` instrumented in the ``up`` rows, and per service: instrumented,
    points of its ``up`` series, points at 1."""
    seen: dict[str, dict[str, Any]] = {
        s: {"instrumented": False, "points": 0, "up_points": 0} for s in services
    }
    for pairs, value in zip(rows["dimensions"].to_list(), rows["value"].to_list(), strict=True):
        labels = dims(pairs)
        for service, got in seen.items():
            if any(labels.get(label) == service for label in SERVICE_LABELS):
                got["points"] += 1
                if value == 1.0:
                    got["up_points"] += 1
                    got["instrumented"] = True
    k = sum(1 for got in seen.values() if got["instrumented"])
    return (k / len(services) if services else math.nan), seen


def _coverage(inp: MetricInput) -> Judgement:
    rule = inp.rule
    if not inp.services:
        return missing(
            rule, "the spec lists no observability.services to count against", METHOD_COVERAGE
        )
    rows = points(inp.data, OBS_UP)
    if rows is None or rows.height == 0:
        return _absent(inp, "Prometheus `up` series", METHOD_COVERAGE)
    share, per = coverage_of(rows, inp.services)
    outcome = judge(rule, share, share, share)
    k = sum(1 for got in per.values() if got["instrumented"])
    lacking = [s for s, got in per.items() if not got["instrumented"]]
    reason = explain(rule, outcome, share, share, share, "%")
    reason += f"; {k} of {len(inp.services)} listed service(s) scraped"
    if lacking:
        reason += f"; not instrumented: {', '.join(lacking)}"
    return result(
        outcome,
        (share, share, share, len(inp.services)),
        reason,
        METHOD_COVERAGE,
        {"services": per},
    )


def growth_of(rows: pl.DataFrame) -> tuple[float, dict[str, dict[str, float]]]:
    """The largest (last − first) ÷ first series count over the runs, and each run's figures."""
    import polars as pl

    per: dict[str, dict[str, float]] = {}
    for (run,), sub in rows.sort("ts").group_by(["run"], maintain_order=True):
        vals = sub["value"].cast(pl.Float64).drop_nans().drop_nulls().to_list()
        if len(vals) < 2 or vals[0] <= 0:
            continue
        per[str(run)] = {
            "start": vals[0],
            "end": vals[-1],
            "growth": (vals[-1] - vals[0]) / vals[0],
        }
    worst = max((got["growth"] for got in per.values()), default=math.nan)
    return worst, per


def _series(inp: MetricInput, method: str) -> pl.DataFrame | Judgement:
    rows = points(inp.data, OBS_SERIES)
    if rows is None or rows.height == 0:
        return _absent(inp, "Prometheus series count", method)
    return rows


def _peak(inp: MetricInput) -> Judgement:
    import polars as pl

    rows = _series(inp, METHOD_PEAK)
    if isinstance(rows, Judgement):
        return rows
    vals = rows["value"].cast(pl.Float64).drop_nans().drop_nulls()
    if vals.len() == 0:
        return missing(inp.rule, "the series count has only NaN points", METHOD_PEAK)
    peak = float(vals.max())  # type: ignore[arg-type]
    outcome = judge(inp.rule, peak, peak, peak)
    reason = explain(inp.rule, outcome, peak, peak, peak) + f" series, over {vals.len()} step(s)"
    return result(outcome, (peak, peak, peak, vals.len()), reason, METHOD_PEAK)


def _growth(inp: MetricInput) -> Judgement:
    rows = _series(inp, METHOD_GROWTH)
    if isinstance(rows, Judgement):
        return rows
    worst, per = growth_of(rows)
    if not per:
        return missing(
            inp.rule,
            f"the series count has fewer than 2 points in every load window of {inp.data.name}",
            METHOD_GROWTH,
        )
    outcome = judge(inp.rule, worst, worst, worst)
    figures = ", ".join(f"{g['start']:g} → {g['end']:g}" for g in per.values())
    reason = explain(inp.rule, outcome, worst, worst, worst, "%") + f"; series {figures}"
    return result(outcome, (worst, worst, worst, len(per)), reason, METHOD_GROWTH, {"runs": per})


_NEEDS: frozenset[Need] = frozenset({"observability"})
for _name, _unit, _doc, _compute in (
    (
        "observability_coverage",
        "%",
        "share of observability.services that Prometheus scraped (up == 1) during the load",
        _coverage,
    ),
    ("cardinality_peak", "series", "the most series Prometheus held during the load", _peak),
    (
        "cardinality_growth",
        "%",
        "growth of Prometheus's series count from the start to the end of the load",
        _growth,
    ),
):
    register(
        Metric(name=_name, unit=_unit, doc=_doc, compute=_compute, needs=_NEEDS, per_request=False)
    )
