"""The evidence the report shows, gathered through the other parts' public functions.

The decision's cost figures (:func:`pockit.decision.cost_figures`), the price book's projection
(:class:`pockit.sources.PriceBook`), attached metrics (:func:`pockit.sources.load_attached_metrics`),
each run's run.json and events (:mod:`.run_facts`, through :class:`pockit.RunDir`), the latency
curves (:func:`pockit.analysis.latency_curve`): nothing here computes a statistic of its own. :func:`build_model` calls these to fill the report model (:mod:`pockit.report.model`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pockit._contract import RunField
from pockit._display import as_dict
from pockit._errors import PockitError
from pockit.report.facts import headline, locate, reproducibility_of, risks, run_meta
from pockit.report.fault_windows import fault_windows
from pockit.report.model import ParetoPoint, PriceModel, PricePair, ReportModel, RunFacts
from pockit.report.run_facts import capacity_tracks, run_facts, stop_when_tracks
from pockit.spec import Spec

if TYPE_CHECKING:
    from pockit.analysis import RunStats

__all__ = [
    "build_model",
    "collect_events",
    "cost_per_1k",
    "cost_problems",
    "endpoint_stats",
    "metrics",
    "pareto_points",
    "price_model",
]


def collect_events(runs: Iterable[Any]) -> list[dict[str, Any]]:
    """Events of every run (phase markers, faults, worker lost), each tagged with run_id and candidate.

    ``runs`` are :class:`~pockit.report.model.RunFacts` (as :func:`build_model` read them) or run
    directories, read here; a damaged run directory adds no events, and its risks say why.
    """
    out: list[dict[str, Any]] = []
    for run in runs:
        facts = run if isinstance(run, RunFacts) else run_facts(run)
        for ev in facts.events:
            if "ts" not in ev:
                continue
            out.append(
                {
                    **ev,
                    "run_id": facts.meta.get(RunField.ID),
                    "candidate": facts.meta.get(RunField.CANDIDATE),
                }
            )
    return out


def cost_problems(costs: Mapping[str, Any], decision: Any = None) -> list[str]:
    """Why a candidate's cost is unknown, one line each (from :func:`pockit.decision.candidate_costs`).

    With ``decision``, the reasons are those of the figures the decision judged (so a cost total
    that is not finite, or rows left unattributed, are named as the criterion names them).
    """
    if decision is not None:
        figs = cost_per_1k(costs, decision, figures=True)
        return [f"{c}: cost unknown — {f.problem}" for c, f in figs.items() if f.problem]
    out = []
    for cand, cost in costs.items():
        problem = as_dict(cost).get("problem") if cost is not None else "no billing data"
        if problem:
            out.append(f"{cand}: cost unknown — {problem}")
    return out


def metrics(runs: Sequence[Any]) -> Any:
    """Server-side metrics attached to the runs (:func:`pockit.sources.load_attached_metrics`) as
    one pandas frame, or None when no run has any."""
    import polars as pl

    from pockit.sources import load_attached_metrics

    frames = []
    for run in runs:
        try:
            frame = load_attached_metrics(run).collect()
        except Exception:  # none attached, or unreadable: that run has no metrics to show
            continue
        if "candidate" not in frame.columns:  # the run's metrics describe the run's candidate
            cand = str(run_meta(run).get(RunField.CANDIDATE, "?"))
            frame = frame.with_columns(pl.lit(cand).alias("candidate"))
        frames.append(frame)
    if not frames:
        return None
    return pl.concat(frames, how="diagonal_relaxed").to_pandas()


def cost_per_1k(
    cost_by_candidate: Mapping[str, Any], decision: Any, *, figures: bool = False
) -> Any:
    """Cost per 1k requests per candidate: the figure ``decide`` judged, never recomputed here.

    ``decision`` is the :class:`~pockit.decision.Decision` the report shows; each candidate's
    figure is its cost over the n that decision used (:func:`pockit.decision.cost_figures`).
    Returns ``{candidate: value or None}``, or with ``figures=True`` the typed
    :class:`~pockit.decision.CostFigure` values (value, total, problem, requests).
    """
    from pockit.decision import cost_figures

    figs = cost_figures(cost_by_candidate, decision)
    if figures:
        return figs
    return {cand: fig.value for cand, fig in figs.items()}


def pareto_points(
    decision: Any, stats: Mapping[str, Any], per_1k: Mapping[str, float | None]
) -> tuple[list[ParetoPoint], list[str]]:
    """Points for the Pareto chart (P95 with its interval, cost per 1k) and the non-dominated names.

    The front is the decision's own (``pareto``) when it has one.
    """
    d = as_dict(decision)
    points = []
    for cand, s in stats.items():
        p95 = ((as_dict(s).get("latency_ms") or {}).get("p95")) or {}
        points.append(
            ParetoPoint(
                candidate=cand,
                p95=p95.get("value"),
                p95_ci_low=p95.get("ci_low"),
                p95_ci_high=p95.get("ci_high"),
                cost_per_1k=per_1k.get(cand),
            )
        )
    front_raw = d.get("pareto") or []
    front: list[str] = []
    for item in front_raw if isinstance(front_raw, list) else []:
        if isinstance(item, str):
            front.append(item)
        elif isinstance(item, Mapping) and (
            item.get("front") or item.get("dominated") is False or item.get("pareto")
        ):
            front.append(str(item.get("candidate")))
    return points, front


def price_model(
    spec: Any,
    stats_by_candidate: Mapping[str, Any],
    per_1k: Mapping[str, float | None] | None = None,
) -> PriceModel | None:
    """For ``cost.source: model``: each candidate's price-book curve, its measured rate, and the
    break-even rate of every pair. None when the spec prices nothing by model (or it is unreadable).

    ``per_1k`` (from :func:`cost_per_1k`) is the figure the decision judged; given, it is what
    ``at_measured`` says, so the model section and the verdict quote one number. The curve and
    break-evens are the price book's projection over other rates (``PriceBook.cost_per_1k``).
    """
    cost = getattr(spec, "cost", None)
    if cost is None or cost.source != "model" or not cost.price_book:
        return None
    from pockit.sources import PriceBook, break_even

    try:
        book = PriceBook.load(cost.price_book)
    except PockitError:
        return None
    keys: dict[str, str] = {}
    for cand in spec.candidates:
        key = book.entry_for(cand.name, cand.tags)
        if key is not None:
            keys[cand.name] = key
    measured = {
        name: float(s.get("throughput_rps") or 0.0)
        for name, s in stats_by_candidate.items()
        if name in keys
    }
    rates = [r for r in measured.values() if r > 0] or [1.0]
    lo, hi = min(rates) / 20.0, max(rates) * 20.0
    grid = [lo * (hi / lo) ** (i / 120) for i in range(121)]
    names = sorted(keys)
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            rps = break_even(book, keys[a], keys[b], lo_rps=lo / 100, hi_rps=hi * 100)
            cheaper_below = None
            if rps is not None:
                below = rps / 2
                cheaper_below = (
                    a if book.cost_per_1k(keys[a], below) < book.cost_per_1k(keys[b], below) else b
                )
            pairs.append(PricePair(a=a, b=b, rps=rps, cheaper_below=cheaper_below))
    return PriceModel(
        book=str(cost.price_book),
        currency=book.currency,
        keys=keys,
        measured_rps=measured,
        curves={name: tuple((r, book.cost_per_1k(keys[name], r)) for r in grid) for name in names},
        at_measured={
            name: per_1k[name]
            if per_1k is not None and per_1k.get(name) is not None
            else book.cost_per_1k(keys[name], rps)
            for name, rps in measured.items()
            if rps > 0
        },
        break_even=tuple(pairs),
    )


def endpoint_stats(runs: Sequence[Any], overall: RunStats | None = None) -> dict[str, RunStats]:
    """Each candidate's own statistics (its runs only, never pooled across candidates).

    ``overall`` is ``run_stats(runs)`` when the caller has it: with one candidate it is that
    candidate's, and is not computed again (a full pass over the samples on a large run).
    """
    from pockit.analysis import run_stats

    by_candidate: dict[str, list[Any]] = {}
    for run in runs:
        by_candidate.setdefault(str(run.meta.get(RunField.CANDIDATE)), []).append(run)
    if overall is not None and len(by_candidate) == 1:
        return {cand: overall for cand in by_candidate}
    return {cand: run_stats(rs) for cand, rs in by_candidate.items()}


def build_model(
    spec: Spec | str | Path,
    runs: Sequence[Any],
    *,
    title: str = "",
    billing_label: str = "",
    report_path: str | Path | None = None,
) -> ReportModel:
    """Everything the report shows, from the spec and the runs: the one place the report asks
    ``analysis``, ``sources`` and ``decision`` for anything.

    ``spec`` is a Spec or a path (found by :func:`~pockit.report.facts.locate`); ``runs`` are run
    directories or folders of them. The cost is computed once (:func:`pockit.decision.candidate_costs`)
    and ``decide`` judges exactly those figures, so the verdict and the cost section agree.
    """
    from pockit._rundir import open_runs
    from pockit.analysis import latency_curve, run_stats, timeline
    from pockit.decision import candidate_costs, decide
    from pockit.spec import load_spec

    the_spec = spec if isinstance(spec, Spec) else load_spec(locate(spec))
    opened = tuple(open_runs([r if isinstance(r, str | Path) else r.path for r in runs]))
    stats = run_stats(list(opened))
    costs = candidate_costs(the_spec, list(opened))
    decision = decide(the_spec, list(opened), costs=costs)
    figures = cost_per_1k(costs, decision, figures=True)
    per_1k = {cand: fig.value for cand, fig in figures.items()}
    by_candidate = dict(stats.to_dict()["candidates"])
    points, front = pareto_points(decision, by_candidate, per_1k)
    facts = tuple(run_facts(r) for r in opened)
    events = tuple(collect_events(facts))
    return ReportModel(
        spec=the_spec,
        runs=opened,
        title=title or the_spec.name,
        billing_label=billing_label or None,
        headline=headline(decision, spec=the_spec, title=title),
        decision=decision,
        stats=stats,
        endpoint_stats=endpoint_stats(opened, overall=stats),
        costs=costs,
        cost_figures=figures,
        pareto=tuple(points),
        pareto_front=tuple(front),
        price_model=price_model(the_spec, by_candidate, per_1k),
        timeline=timeline(list(opened)),
        events=events,
        latencies=latency_curve(list(opened)),
        metrics=metrics(opened),
        risks=tuple(risks(the_spec, facts, decision, costs=costs)),
        reproducibility=reproducibility_of(
            the_spec, facts, decision, report_path=report_path or None
        ),
        report_path=Path(report_path) if report_path else None,
        faults=fault_windows(events, decision),
        run_facts=facts,
        stop_when=stop_when_tracks(facts),
        capacity=capacity_tracks(facts),
    )
