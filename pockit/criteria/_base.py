"""What a metric is judged on (:class:`MetricInput`) and what judging it gives (:class:`Judgement`).

Plain values only: the decision builds these from the spec and the runs, so a metric module never
imports ``pockit.spec`` or ``pockit.decision`` (docs/architecture.md, the layering).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pockit.analysis import METHOD_THROUGHPUT, RunInfo

if TYPE_CHECKING:
    import polars as pl

    from pockit.analysis import Requests

Outcome = Literal["PASS", "FAIL", "WARN", "INCONCLUSIVE"]
PASS: Outcome = "PASS"
FAIL: Outcome = "FAIL"
WARN: Outcome = "WARN"
INCONCLUSIVE: Outcome = "INCONCLUSIVE"


class Judgeable(Protocol):
    """What :func:`pockit.criteria.judge` reads of a criterion (a spec ``Criterion`` or a :class:`Rule`)."""

    @property
    def op(self) -> str: ...
    @property
    def threshold(self) -> float: ...
    @property
    def warn(self) -> float | None: ...


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One criterion as plain values: ``metric op threshold`` and how to judge it."""

    metric: str
    op: str
    threshold: float
    warn: float | None = None
    min_samples: int | None = None
    on_missing: str = "inconclusive"
    endpoint: str | None = None

    @property
    def label(self) -> str:
        where = f" [{self.endpoint}]" if self.endpoint else ""
        return f"{self.metric}{where} {self.op} {self.threshold:g}"


class CostEvidence(Protocol):
    """A candidate's cost figure (``pockit.decision.CostFigure`` is one)."""

    @property
    def per_1k(self) -> float: ...
    @property
    def total(self) -> float: ...
    @property
    def currency(self) -> str: ...
    @property
    def covers_window(self) -> bool: ...
    @property
    def source(self) -> str: ...
    @property
    def problem(self) -> str | None: ...


@dataclass
class CandidateData:
    """Everything the criteria of one candidate are judged on.

    ``requests`` are the candidate's requests (:class:`pockit.analysis.Requests`: one frame of
    samples in memory, or counts and histograms of runs too large to hold, read in passes)."""

    name: str
    requests: Requests
    infos: list[RunInfo]
    durations: dict[str, float]
    unit: str  # "pooled" or "run"
    cost: CostEvidence | None = None
    metrics: pl.DataFrame | None = None
    endpoints: list[str] = field(default_factory=list)
    #: successful requests of these runs whose latency is unknown, by reason (null, nan, ...)
    latency_skipped: dict[str, int] = field(default_factory=dict)
    #: what throughput divides by (analysis.throughput_method: load window or start..end)
    throughput_method: str = METHOD_THROUGHPUT
    #: run id -> (rows ``pockit import --skip-bad-rows`` skipped, the file): requests whose
    #: outcome and latency nobody knows, judged both as all OK and fast and as all failed
    rows_unknown: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def n_unknown(self) -> int:
        """Rows of unknown outcome (skipped by the importer) across these runs."""
        return sum(count for count, _ in self.rows_unknown.values())

    def unknown_text(self) -> str:
        """``"12 row(s) of locust.csv skipped by pockit import --skip-bad-rows (run r1)"``."""
        parts = [
            f"{count} row(s) of {Path(src).name} (run {rid})"
            for rid, (count, src) in self.rows_unknown.items()
        ]
        return "; ".join(parts) + " skipped by pockit import --skip-bad-rows, outcome unknown"

    @property
    def duration_s(self) -> float:
        import numpy as np

        return float(np.nansum(list(self.durations.values()))) if self.durations else math.nan


@dataclass(frozen=True, kw_only=True)
class MetricInput:
    """What a metric's ``compute`` gets: the criterion, the candidate's data, the spec's context.

    ``requests`` are the requests the criterion is about (filtered to its endpoint when the metric
    is judged per request; :class:`pockit.analysis.Requests`); ``others`` are the spec's other
    criteria (time to detect and recovery take their breach thresholds from them).
    """

    rule: Rule
    data: CandidateData
    requests: Requests
    slo_target: float | None = None
    cost_lag_ok: bool = False
    others: tuple[Rule, ...] = ()
    #: the services the spec expects Prometheus to scrape (``observability.services``)
    services: tuple[str, ...] = ()


@dataclass(frozen=True)
class Judgement:
    """One criterion judged: outcome, estimate with its one-sided bounds, n, reason, method."""

    outcome: Outcome
    estimate: float
    ci_low: float
    ci_high: float
    n: int
    reason: str
    method: str
    details: dict[str, Any] = field(default_factory=dict)
