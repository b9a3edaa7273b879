"""The report model: everything ``poc_report.ipynb`` shows, as frozen typed values.

:func:`pockit.report.evidence.build_model` makes one :class:`ReportModel` from the spec and the runs by
calling the public functions of ``analysis``, ``sources`` and ``decision``; :mod:`.render`,
:mod:`.plots` and the email only read it. The values that are plain JSON (the headline the executed
notebook carries to ``build_report`` and the email, a price model, a Pareto point) say how they are
written with ``to_dict()``, so what the charts and HTML pieces read is one shape, named here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import pandas as pd

    from pockit._contract import RunMeta
    from pockit._rundir import RunDir
    from pockit.analysis import LatencyCurve, RunStats
    from pockit.decision import CandidateCost, CostFigure, Decision
    from pockit.spec import Spec

__all__ = [
    "HEADLINE_MIME",
    "CapacityStep",
    "CapacityTrack",
    "CriterionLine",
    "FaultMark",
    "FaultWindow",
    "Headline",
    "ParetoPoint",
    "PriceModel",
    "PricePair",
    "ReportModel",
    "Reproducibility",
    "Risk",
    "RunFacts",
    "StopWhenLook",
    "StopWhenTrack",
]

#: The mime type the headline is displayed under in the executed notebook: nbconvert renders
#: nothing for it (the HTML report does not show it); ``build_report`` and the email read it.
HEADLINE_MIME = "application/vnd.pockit.verdict+json"


class Risk(NamedTuple):
    """One item of the risks & backlog section: where it comes from, and what it says."""

    source: str
    text: str


@dataclass(frozen=True, kw_only=True)
class ParetoPoint:
    """One candidate on the cost-vs-latency chart: P95 with its interval, and cost per 1k requests."""

    candidate: str
    p95: float | None
    p95_ci_low: float | None
    p95_ci_high: float | None
    cost_per_1k: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "p95": self.p95,
            "p95_ci_low": self.p95_ci_low,
            "p95_ci_high": self.p95_ci_high,
            "cost_per_1k": self.cost_per_1k,
        }


@dataclass(frozen=True, kw_only=True)
class PricePair:
    """Two priced candidates: the request rate at which they cost the same per 1k requests (None:
    never, between the rates priced) and which one is cheaper below it."""

    a: str
    b: str
    rps: float | None
    cheaper_below: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "rps": self.rps, "cheaper_below": self.cheaper_below}


@dataclass(frozen=True, kw_only=True)
class PriceModel:
    """``cost.source: model``: the price book's cost per 1k over request rate for each candidate.

    ``at_measured`` is the figure the decision judged (so the model section and the verdict quote
    one number); ``curves`` are ``(req/s, cost per 1k)`` points of the price book's projection.
    """

    book: str
    currency: str
    keys: Mapping[str, str]
    measured_rps: Mapping[str, float]
    curves: Mapping[str, tuple[tuple[float, float], ...]]
    at_measured: Mapping[str, float | None]
    break_even: tuple[PricePair, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "book": self.book,
            "currency": self.currency,
            "keys": dict(self.keys),
            "measured_rps": dict(self.measured_rps),
            "curves": {k: list(v) for k, v in self.curves.items()},
            "at_measured": dict(self.at_measured),
            "break_even": [p.to_dict() for p in self.break_even],
        }


@dataclass(frozen=True, kw_only=True)
class Reproducibility:
    """What a reader needs to rebuild the report: spec and its hash, versions, commands, run ids."""

    spec: str
    spec_sha256: str
    decision_spec_sha256: str
    pockit: str
    python: str
    locust: str
    polars_pandas_scipy: str
    papermill_nbconvert: str
    run_ids: tuple[str, ...]
    commands: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The appendix's rows, labelled as the report shows them."""
        return {
            "spec": self.spec,
            "spec sha256": self.spec_sha256,
            "decision spec sha256": self.decision_spec_sha256,
            "pockit": self.pockit,
            "python": self.python,
            "locust (at run time)": self.locust,
            "polars / pandas / scipy": self.polars_pandas_scipy,
            "papermill / nbconvert": self.papermill_nbconvert,
            "run ids": list(self.run_ids),
            "commands (from the report's folder)": list(self.commands),
        }


def _get(data: Any, key: str) -> Any:
    return data.get(key) if isinstance(data, Mapping) else None


@dataclass(frozen=True, kw_only=True)
class CriterionLine:
    """One criterion's outcome as the email lists it (the estimate already in words, with its unit)."""

    candidate: Any = None
    label: Any = None
    metric: Any = None
    outcome: Any = None
    estimate: Any = None
    estimate_text: Any = None
    reason: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "label": self.label,
            "metric": self.metric,
            "outcome": self.outcome,
            "estimate": self.estimate,
            "estimate_text": self.estimate_text,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Any) -> CriterionLine:
        return cls(**{k: _get(data, k) for k in cls.__dataclass_fields__})


@dataclass(frozen=True, kw_only=True)
class Headline:
    """The verdict and headline facts, left in the executed notebook (under :data:`HEADLINE_MIME`)
    for ``build_report`` (the page title) and the email (subject, body). Values read back from a
    notebook are kept as found: the email escapes every one, whatever its type.
    """

    verdict: Any = None
    spec_sha256: Any = None
    recommended: Any = None
    title: Any = None
    hypothesis: Any = None
    criteria: tuple[CriterionLine, ...] = ()
    baseline: Any = None
    comparisons: tuple[Mapping[str, Any], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "spec_sha256": self.spec_sha256,
            "recommended": self.recommended,
            "title": self.title,
            "hypothesis": self.hypothesis,
            "criteria": [c.to_dict() for c in self.criteria],
            "baseline": self.baseline,
            "comparisons": [dict(c) for c in self.comparisons],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Headline:
        """A headline from the JSON a notebook holds; rows that are not objects are kept as empty."""
        rows = _get(data, "criteria")
        comps = _get(data, "comparisons")
        return cls(
            verdict=_get(data, "verdict"),
            spec_sha256=_get(data, "spec_sha256"),
            recommended=_get(data, "recommended"),
            title=_get(data, "title"),
            hypothesis=_get(data, "hypothesis"),
            criteria=tuple(CriterionLine.from_dict(r) for r in rows)
            if isinstance(rows, list)
            else (),
            baseline=_get(data, "baseline"),
            comparisons=tuple(c for c in comps if isinstance(c, Mapping))
            if isinstance(comps, list)
            else (),
        )


class FaultMark(NamedTuple):
    """A moment around a fault: what happened (``detect_s``, ``detect_alert_s:page``,
    ``recovery_s``), its kind (``detect`` / ``recover``), and seconds from the fault's start
    (None: it never happened before the run ended)."""

    label: str
    kind: str
    at_s: float | None


@dataclass(frozen=True, kw_only=True)
class FaultWindow:
    """One injected fault of one run, with the detection and recovery moments the decision
    measured for it (from its ``detect_s``, ``detect_alert_s:NAME`` and ``recovery_s`` criteria)."""

    run_id: str
    candidate: str
    fault: str
    kind: str
    start: datetime
    end: datetime | None
    marks: tuple[FaultMark, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RunFacts:
    """One run as the report reads it, read once by :func:`build_model`: its checked run.json
    (None, with ``problem``, when unreadable), run.json as written (``meta``), its events, how many
    lines of events.jsonl were not JSON objects, and how many samples it holds (None: unreadable)."""

    path: Path
    record: RunMeta | None
    problem: str | None
    meta: Mapping[str, Any]
    events: tuple[Mapping[str, Any], ...]
    unreadable_events: int
    samples: int | None


@dataclass(frozen=True, kw_only=True)
class StopWhenLook:
    """One look of ``load.stop_when: decided``: seconds of load, and each watched criterion's
    anytime-valid bounds on its share (None: not known yet) by label."""

    elapsed_s: float
    bounds: Mapping[str, tuple[float | None, float | None]]


@dataclass(frozen=True, kw_only=True)
class StopWhenTrack:
    """One run's ``stop_when`` record: the watched criteria (label -> threshold share, in order),
    every look, and when the rule stopped the run (None: it did not)."""

    run_id: str
    label: str
    thresholds: Mapping[str, float | None]
    looks: tuple[StopWhenLook, ...]
    stopped_at_s: float | None


@dataclass(frozen=True, kw_only=True)
class CapacityStep:
    """One step of a capacity ramp as its watcher judged it (None: no figure, e.g. no request)."""

    rate: float
    p50_ms: float | None
    p95_ms: float | None
    error_rate: float | None
    outcome: str


@dataclass(frozen=True, kw_only=True)
class CapacityTrack:
    """One run's ``capacity`` record: its steps and the knee (last passing, first failing rate)."""

    run_id: str
    label: str
    steps: tuple[CapacityStep, ...]
    last_pass: float | None
    first_fail: float | None


@dataclass(frozen=True, kw_only=True)
class ReportModel:
    """Everything the report shows, in the order it shows it; built by :func:`build_model`.

    Statistics, costs and the decision are the typed results of ``analysis`` and ``decision``;
    frames (``timeline``, ``metrics``) are the pandas frames ``analysis`` and ``sources`` produce
    (docs/architecture.md, contract 2, names their columns). Run directories are read once, here:
    charts, tables and risks read only this model.
    """

    spec: Spec
    runs: tuple[RunDir, ...]
    title: str
    billing_label: str | None
    headline: Headline
    decision: Decision
    stats: RunStats
    endpoint_stats: Mapping[str, RunStats]
    costs: Mapping[str, CandidateCost]
    cost_figures: Mapping[str, CostFigure]
    pareto: tuple[ParetoPoint, ...]
    pareto_front: tuple[str, ...]
    price_model: PriceModel | None
    #: one row per run × one-second bucket (:func:`pockit.analysis.timeline`)
    timeline: pd.DataFrame
    events: tuple[Mapping[str, Any], ...]
    #: candidate -> percentile curve of its successful requests' latency
    latencies: Mapping[str, LatencyCurve]
    #: server-side metrics attached to the runs (``ts``, ``metric``, ``value``, ``candidate``)
    metrics: pd.DataFrame | None
    risks: tuple[Risk, ...]
    reproducibility: Reproducibility
    report_path: Path | None = None
    #: each injected fault with its detection and recovery moments (plots.fault_timeline)
    faults: tuple[FaultWindow, ...] = ()
    #: each run's run.json, events and sample count, as read once
    run_facts: tuple[RunFacts, ...] = ()
    #: runs with ``load.stop_when: decided`` (plots.stop_when_bounds)
    stop_when: tuple[StopWhenTrack, ...] = ()
    #: runs of a ``capacity`` ramp (plots.capacity_curve)
    capacity: tuple[CapacityTrack, ...] = ()

    @property
    def stats_by_candidate(self) -> dict[str, Any]:
        """``run_stats`` per candidate, in the JSON shape the tables and charts read."""
        return dict(self.stats.to_dict()["candidates"])

    @property
    def cost_per_1k(self) -> dict[str, float | None]:
        """The cost per 1k requests ``decide`` judged, per candidate (None: unknown)."""
        return {cand: fig.value for cand, fig in self.cost_figures.items()}
