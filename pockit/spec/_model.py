"""The PoC spec as typed, immutable objects. Built by :func:`pockit.load_spec`, never by hand-parsing YAML."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pockit import criteria
from pockit._constants import (
    DEFAULT_ALLOWED_HOSTS,
    DEFAULT_MAX_DURATION_S,
    DEFAULT_MAX_RPS,
    DEFAULT_MAX_USERS,
    STOP_WHEN_MIN_DURATION_S,
)
from pockit._errors import FieldError, SpecError

Op = Literal["<", "<=", ">", ">="]
OPS: tuple[Op, ...] = ("<", "<=", ">", ">=")
OnMissing = Literal["inconclusive", "fail"]
ShapeKind = Literal["constant", "stages", "spike", "arrival_rate", "capacity"]
FaultKind = Literal["latency", "error_rate", "kill", "command"]
StopRule = Literal["off", "decided"]
StopRequire = Literal["all", "key"]

#: Metrics a criterion may name: the registry of :mod:`pockit.criteria` (one module per metric).
#: ``latency_pNN_ms`` takes any percentile strictly between 0 and 100 (``p99.9`` too; ``p0`` would
#: always pass); ``_intended`` measures from the open-model schedule (free of coordinated
#: omission); ``server:NAME`` is a server-side metric fetched by the spec's ``metrics`` sources.
FIXED_METRICS: tuple[str, ...] = criteria.fixed_names()
#: Any name shaped like a latency percentile, so ``latency_p100_ms`` is refused as out of range.
LATENCY_SHAPE = criteria.LATENCY_SHAPE
#: The grammar of the latency and server families (the JSON Schema's patterns).
LATENCY_METRIC = criteria.LATENCY_METRIC
SERVER_METRIC = criteria.SERVER_METRIC
ALERT_METRIC = criteria.ALERT_METRIC
HEADROOM_METRIC = criteria.HEADROOM_METRIC
metric_is_known = criteria.known
latency_quantile = criteria.latency_quantile


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """One system under test: where load goes and which cost-allocation tags its resources carry."""

    name: str
    host: str
    tags: dict[str, str] = field(default_factory=dict)
    resource_ids: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Stage:
    """One step of a ramp/step profile: hold ``users`` (or ``rate`` req/s) until ``end_s``."""

    duration_s: float
    users: int | None = None
    spawn_rate: float | None = None
    rate: float | None = None


@dataclass(frozen=True, kw_only=True)
class IdleGap:
    """Pause load for ``pause_s`` at ``at_s``, then count the first ``probe`` requests as cold starts."""

    at_s: float
    pause_s: float
    probe: int = 20


@dataclass(frozen=True, kw_only=True)
class Shape:
    """How load varies over a run. ``constant`` uses ``Load.users``; the others their own fields.

    - ``stages``: ramp/step list, each holding users (closed model) for a duration.
    - ``spike``: ``users`` baseline, jumping to ``spike_users`` at ``spike_at_s`` for ``spike_s``.
    - ``arrival_rate``: open model at ``rate`` requests/s (or ``stages`` with ``rate``); each request
      records ``t_intended``.
    - ``capacity``: open-model steps of ``step_duration_s`` from ``rate`` up by ``step_rate`` to
      ``max_rate`` req/s; the run stops after the first step that fails the ``knee`` criteria
      (default: the spec's first latency criterion), judged on that step alone
      (pockit/load/_capacity.py).
    """

    kind: ShapeKind = "constant"
    stages: tuple[Stage, ...] = ()
    spike_users: int | None = None
    spike_at_s: float | None = None
    spike_s: float | None = None
    rate: float | None = None
    step_rate: float | None = None
    step_duration_s: float | None = None
    max_rate: float | None = None
    knee: tuple[str, ...] = ()

    def capacity_steps(self) -> tuple[float, ...]:
        """The offered rate of each step of a ``capacity`` shape (empty for other kinds): from
        ``rate`` up by ``step_rate``, never above ``max_rate``."""
        if self.kind != "capacity" or not (self.rate and self.step_rate and self.max_rate):
            return ()
        n = int(math.floor((self.max_rate - self.rate) / self.step_rate + 1e-9)) + 1
        return tuple(round(self.rate + i * self.step_rate, 6) for i in range(max(0, n)))


@dataclass(frozen=True, kw_only=True)
class Load:
    """The load profile applied to every candidate.

    ``stop_when="decided"`` stops each run once its share criteria (every one, or the key ones
    with ``stop_when_require="key"``) are PASS or FAIL by their anytime-valid bounds and
    ``stop_when_min_duration_s`` of load have passed (pockit/load/_stop_when.py).
    """

    locustfile: str
    users: int = 10
    spawn_rate: float = 10.0
    duration_s: float = 60.0
    repeats: int = 1
    cooldown_s: float = 5.0
    workers: int = 0
    user_classes: tuple[str, ...] = ()
    shape: Shape = field(default_factory=Shape)
    idle_gaps: tuple[IdleGap, ...] = ()
    stop_when: StopRule = "off"
    stop_when_min_duration_s: float = STOP_WHEN_MIN_DURATION_S
    stop_when_require: StopRequire = "all"


@dataclass(frozen=True, kw_only=True)
class Criterion:
    """One success criterion: ``metric op threshold``, judged on the estimate's 95% interval.

    ``warn`` is a band on the good side of the threshold (same unit as the threshold): a PASS whose
    estimate lies within it becomes WARN. ``key`` criteria veto: their FAIL makes the verdict NO-GO.
    """

    metric: str
    op: Op
    threshold: float
    warn: float | None = None
    key: bool = False
    weight: float = 1.0
    min_samples: int | None = None
    on_missing: OnMissing = "inconclusive"
    endpoint: str | None = None

    @property
    def label(self) -> str:
        where = f" [{self.endpoint}]" if self.endpoint else ""
        return f"{self.metric}{where} {self.op} {self.threshold:g}"


@dataclass(frozen=True, kw_only=True)
class Baseline:
    """Compare every other candidate against ``candidate`` with a practical ``margin`` (0.10 = 10%)."""

    candidate: str
    margin: float = 0.10
    metrics: tuple[str, ...] = ("latency_ms",)


@dataclass(frozen=True, kw_only=True)
class CostSource:
    """Where billing comes from and how it is read."""

    source: str
    format: str | None = None
    column: Literal["billed", "effective", "list", "unblended", "net"] = "effective"
    price_book: str | None = None
    lag_ok: bool = False


@dataclass(frozen=True, kw_only=True)
class MetricSource:
    """A server-side metrics source: Prometheus ``query_range``, CloudWatch, or an exported file."""

    kind: Literal["prometheus", "cloudwatch", "file"]
    name: str
    url: str | None = None
    query: str | None = None
    path: str | None = None
    namespace: str | None = None
    metric_name: str | None = None
    dimensions: dict[str, str] = field(default_factory=dict)
    stat: str = "Average"
    step_s: float = 1.0
    unit: str | None = None


@dataclass(frozen=True, kw_only=True)
class Observability:
    """The Prometheus that watches the candidates: its ``up`` series give ``observability_coverage``
    (``services``: the ``job`` or ``instance`` names expected to be scraped), its series count
    ``cardinality_peak`` and ``cardinality_growth``. Fetched for each run's window when it ends."""

    url: str
    services: tuple[str, ...] = ()
    step_s: float = 1.0


@dataclass(frozen=True, kw_only=True)
class Fault:
    """A fault injected ``at_s`` into the run for ``duration_s`` (``kill``: the restart delay).

    ``kill`` kills through ``command`` when given (``[systemctl, kill, --signal=KILL, checkout]``),
    else through the target's ``POST /admin/kill`` knob (the demo service's); after ``duration_s``
    pockit runs ``restart`` (``[systemctl, restart, checkout]``, ``[docker, start, checkout]``).
    Without ``restart`` pockit only kills: something else (the demo's supervisor, systemd's
    ``Restart=``, a container's restart policy) must bring the service back.
    """

    kind: FaultKind
    at_s: float
    duration_s: float = 0.0
    value: float | None = None
    command: tuple[str, ...] = ()
    restart: tuple[str, ...] = ()
    candidate: str | None = None


@dataclass(frozen=True, kw_only=True)
class Guardrails:
    """Limits that load never crosses. Checked before a single request is sent."""

    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    max_users: int = DEFAULT_MAX_USERS
    max_rps: float = DEFAULT_MAX_RPS
    max_duration_s: float = DEFAULT_MAX_DURATION_S
    max_budget_usd: float | None = None
    #: Local Locust worker processes at most; None: 4 × this machine's CPU count (:meth:`worker_cap`).
    max_workers: int | None = None

    def worker_cap(self) -> int:
        """``max_workers``, or 4 × the CPU count where the load runs when the spec sets none."""
        return self.max_workers if self.max_workers is not None else 4 * (os.cpu_count() or 1)


@dataclass(frozen=True, kw_only=True)
class Spec:
    """A validated PoC spec. ``sha256`` is of the file's bytes, so a reader can tell it was fixed."""

    name: str
    hypothesis: str
    candidates: tuple[Candidate, ...]
    criteria: tuple[Criterion, ...]
    #: None when the spec has no ``load`` section: it can judge runs made elsewhere
    #: (``pockit import``) but not run load (:meth:`runnable_load`).
    load: Load | None = None
    cost: CostSource | None = None
    metrics: tuple[MetricSource, ...] = ()
    observability: Observability | None = None
    faults: tuple[Fault, ...] = ()
    guardrails: Guardrails = field(default_factory=Guardrails)
    baseline: Baseline | None = None
    slo_target: float | None = None
    warn_is_go: bool = True
    notes: tuple[str, ...] = ()
    path: str | None = None
    sha256: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def candidate(self, name: str) -> Candidate:
        """The candidate called ``name``; KeyError lists the names that exist."""
        for cand in self.candidates:
            if cand.name == name:
                return cand
        known = ", ".join(c.name for c in self.candidates)
        raise KeyError(f"no candidate {name!r} in spec {self.name!r}; candidates: {known}")

    def _repr_html_(self) -> str:
        """JupyterLab: candidates, load, criteria with units, guardrails (inline styles, escaped)."""
        from pockit._display import spec_html

        return spec_html(self)

    def load_problem(self) -> str | None:
        """Why this spec cannot run load (no ``load`` section, a locustfile that is not there), or None.

        Deciding and reporting never need it: ``pockit validate`` shows it as a note.
        """
        gap = self._load_gap()
        return None if gap is None else f"{gap[0]}: {gap[1]}"

    def reference_notes(self) -> list[str]:
        """What the spec refers to but cannot have yet, one line each (``pockit validate`` notes).

        Not errors: billing lands after the runs, and ``decide(costs=, metrics=)`` or imported runs
        may bring the data. But each would leave its criterion INCONCLUSIVE, so validate says so.
        """
        out: list[str] = []
        cost = self.cost
        remote = cost is None or "://" in cost.source
        named = cost is not None and cost.source in {"cost-explorer", "athena", "model"}
        if cost is not None and not remote and not named and not Path(cost.source).exists():
            out.append(
                f"cost.source: no such file {cost.source}; cost criteria stay "
                "INCONCLUSIVE until the billing export is there"
            )
        missing: dict[str, tuple[bool, str]] = {  # what a criterion needs -> (absent, why)
            "cost": (self.cost is None, "the spec has no cost section"),
            "faults": (not self.faults, "the spec injects no faults"),
            "idle_gaps": (
                self.load is None or not self.load.idle_gaps,
                "the load has no idle gaps",
            ),
            "slo_target": (self.slo_target is None, "the spec has no slo.target"),
            "capacity": (
                self.load is None or self.load.shape.kind != "capacity",
                "the load is not a capacity ramp (load.shape.kind: capacity)",
            ),
            "observability": (self.observability is None, "the spec has no observability section"),
        }
        metrics = {c.metric for c in self.criteria}
        for need, (absent, why) in missing.items():
            for metric in criteria.fixed_names():
                if absent and metric in metrics and need in criteria.needs(metric):
                    out.append(
                        f"criterion {metric}: {why}, so a run of this spec cannot produce its data "
                        "(INCONCLUSIVE unless the data comes from elsewhere)"
                    )
        return out

    def runnable_load(self) -> Load:
        """The ``load`` section, for running load; SpecError naming what is missing otherwise."""
        gap = self._load_gap()
        if gap is not None or self.load is None:
            raise SpecError([FieldError(*(gap or ("load", "")))], self.path)
        return self.load

    def _load_gap(self) -> tuple[str, str] | None:
        if self.load is None:
            return ("load", "this spec has no load section: add load.locustfile to run load")
        if not Path(self.load.locustfile).is_file():
            return (
                "load.locustfile",
                f"file not found: {self.load.locustfile}; the spec cannot run load until it exists",
            )
        return None
