"""Cost evidence for ``cost_per_1k_usd``: given by the caller, or attributed through pockit.sources.

:func:`candidate_costs` is the one code path that turns a spec's billing into per-candidate cost,
attributed billing and price-book projection alike: ``decide`` judges ``CandidateCost.figure(n)``
with the n it decided on, and the report shows that same figure (:func:`cost_figures`) with its
details (by service, by hour), so the two never disagree. The division itself is
:func:`pockit.analysis.cost_per_1k_or_reason`, the only one. ``pockit.sources`` is imported lazily and only here: the decision works (with the cost
criterion INCONCLUSIVE) when billing has not landed or the sources part is not installed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pockit._contract import RunField
from pockit._errors import MixedCurrencyError, PockitError, SourceError
from pockit._rundir import RunDir
from pockit._util import plain_dict
from pockit.analysis import RunInfo, RunLike, as_runs, cost_per_1k_or_reason, run_info
from pockit.spec import Spec

NO_SOURCE = "billing not landed / no cost source"
UNUSABLE = "billing rows pockit cannot use"

#: What a caller may pass per candidate: a CostResult-like object or dict (total, currency,
#: covers_window), a dict/object with ``cost_per_1k``, or a bare number (cost per 1k requests).
CostLike = Any


@dataclass(frozen=True)
class CostFigure:
    """The cost evidence of one candidate: per 1k requests, its currency, whether it is complete.

    What ``decide`` judges and the report shows: ``per_1k`` is NaN, with ``problem`` saying why,
    whenever there is no usable figure. ``requests`` is the n it was divided by.
    """

    per_1k: float
    total: float
    currency: str
    covers_window: bool
    source: str
    problem: str | None = None  # why there is no usable figure
    requests: int = 0

    @property
    def value(self) -> float | None:
        """The figure, or None when there is none (for display)."""
        return self.per_1k if self.problem is None and math.isfinite(self.per_1k) else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN as None)."""
        return {
            "per_1k": self.value,
            "total": self.total if math.isfinite(self.total) else None,
            "currency": self.currency,
            "covers_window": self.covers_window,
            "source": self.source,
            "problem": self.problem,
            "requests": self.requests,
        }


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def coerce_cost(obj: CostLike, requests: int, source: str = "given") -> CostFigure:
    """Read a caller's cost object into a :class:`CostFigure`.

    A :class:`CandidateCost` (from :func:`candidate_costs`) keeps its own source and problem.
    """
    if obj is None:
        return CostFigure(math.nan, math.nan, "", False, source, NO_SOURCE)
    if isinstance(obj, CandidateCost):
        return obj.figure(requests)
    if isinstance(obj, int | float) and not isinstance(obj, bool):
        value = float(obj)
        why = None if math.isfinite(value) else f"the given cost per 1k is {value}"
        return CostFigure(value, math.nan, "USD", True, source, why, requests)
    cur = str(_get(obj, "currency") or "USD")
    covers = _get(obj, "covers_window")
    covers_b = True if covers is None else bool(covers)
    pre = _get(obj, "cost_per_1k")
    total = _get(obj, "total")
    if pre is not None:
        value = float(pre)
        why = None if math.isfinite(value) else f"the given cost per 1k is {value}"
        return CostFigure(
            value,
            float(total) if total is not None else math.nan,
            cur,
            covers_b,
            source,
            why,
            requests,
        )
    if total is None:
        return CostFigure(
            math.nan, math.nan, cur, covers_b, source, "cost has neither total nor cost_per_1k"
        )
    per, problem = cost_per_1k_or_reason(float(total), requests)
    if problem is None and int(_get(obj, "unattributed_rows") or 0):
        problem = _unattributed(int(_get(obj, "unattributed_rows")), _get(obj, "unattributed_cost"))
    return CostFigure(per, float(total), cur, covers_b, source, problem, requests)


def _unattributed(rows: int, cost: Any) -> str:
    amount = f", {float(cost):.4g} in all" if isinstance(cost, int | float) else ""
    return (
        f"{rows} billing row(s) in the window could not be attributed (unreadable tags{amount}): "
        "the total is not the candidate's whole cost"
    )


@dataclass(frozen=True, kw_only=True)
class CandidateCost:
    """One candidate's billing attributed over all its runs' windows, with the details a report shows.

    ``problem`` says why there is no usable total (no cost source, unreadable export, several
    currencies); ``total`` is then NaN and the cost criterion is INCONCLUSIVE.
    """

    candidate: str
    total: float
    currency: str | None
    covers_window: bool
    source: str
    runs: int = 0
    rows: int = 0
    by_service: dict[str, float] = field(default_factory=dict)
    by_hour: list[dict[str, Any]] = field(default_factory=list)
    column: str | None = None
    cost_column: str | None = None
    proration: str | None = None
    notes: tuple[str, ...] = ()
    problem: str | None = None
    landed: dict[str, str] = field(default_factory=dict)
    unattributed_rows: int = 0
    unattributed_cost: float = 0.0
    price_entry: str | None = None  # cost.source: model — the price book entry that priced it

    @property
    def ok(self) -> bool:
        """True when the total is usable (no problem met)."""
        return self.problem is None

    def figure(self, requests: int) -> CostFigure:
        """The decision's view: cost per 1k of ``requests`` (NaN with the problem when unusable)."""
        source = _short(self.source)
        if self.problem is not None:
            return CostFigure(
                math.nan, self.total, self.currency or "", False, source, self.problem, requests
            )
        per, problem = cost_per_1k_or_reason(self.total, requests)
        return CostFigure(
            per, self.total, self.currency or "USD", self.covers_window, source, problem, requests
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``total`` is None when unknown)."""
        return {
            "candidate": self.candidate,
            "total": self.total if math.isfinite(self.total) else None,
            "currency": self.currency,
            "covers_window": self.covers_window,
            "source": self.source,
            "runs": self.runs,
            "rows": self.rows,
            "by_service": dict(self.by_service),
            "by_hour": [dict(h) for h in self.by_hour],
            "column": self.column,
            "cost_column": self.cost_column,
            "proration": self.proration,
            "notes": list(self.notes),
            "problem": self.problem,
            "landed": dict(self.landed),
            "unattributed_rows": self.unattributed_rows,
            "unattributed_cost": self.unattributed_cost,
            "price_entry": self.price_entry,
        }

    def _repr_html_(self) -> str:
        """JupyterLab: total with its currency, coverage, or why the cost is unknown."""
        from pockit._display import cost_html

        return cost_html(self, candidate=self.candidate)


def _missing(candidate: str, source: str, problem: str, runs: int = 0) -> CandidateCost:
    return CandidateCost(
        candidate=candidate,
        total=math.nan,
        currency=None,
        covers_window=False,
        source=source,
        runs=runs,
        problem=problem,
    )


def _short(source: str) -> str:
    """A source as a reason quotes it: a local file by its name, anything else (s3://, APIs) whole."""
    parts = [p.strip() for p in source.split(",")]
    return ", ".join(Path(p).name if p.startswith("/") else p for p in parts)


def _redact(source: str) -> str:
    """A source for display: never a query string (it may carry a signature or token)."""
    return source.split("?", 1)[0]


class _BillingCache:
    """The spec's billing export, read at most once per call (an error is kept and repeated)."""

    def __init__(self, sources: Any, spec: Spec) -> None:
        self.sources = sources
        self.spec = spec
        self.frame: Any = None
        self.error: str | None = None

    def get(self) -> Any:
        if self.frame is None and self.error is None:
            cost = self.spec.cost
            assert cost is not None
            try:
                self.frame = self.sources.read_billing(
                    cost.source, format=cost.format, column=cost.column
                )
            except Exception as exc:  # noqa: BLE001 - an unreadable optional source is "no cost", said
                self.error = (
                    f"{type(exc).__name__}: {exc}" if not isinstance(exc, PockitError) else str(exc)
                )
        if self.error is not None:
            raise _Unreadable(self.error)
        return self.frame


class _Unreadable(Exception):
    """The spec's billing export could not be read; every run that needs it says so."""


def _run_cost(
    sources: Any, spec: Spec, candidate: str, info: RunInfo, cache: _BillingCache
) -> tuple[dict[str, Any], str]:
    """One run's attributed cost as a dict, and the source it came from."""
    if (Path(info.path) / "sources" / "billing.parquet").is_file():
        return _as_dict(sources.attached_cost(info.path)), "attached sources/billing.parquet"
    if spec.cost is None:
        raise _Unreadable(f"{NO_SOURCE} (spec has no cost section and no billing is attached)")
    try:
        cand = spec.candidate(candidate)
        tags, resource_ids = dict(cand.tags), tuple(cand.resource_ids)
    except KeyError:
        tags, resource_ids = {}, ()
    if not tags and not resource_ids:  # not in the spec: the tags recorded when the run was made
        recorded = RunDir.open(info.path).meta.get(RunField.TAGS)
        tags = {str(k): str(v) for k, v in recorded.items()} if isinstance(recorded, dict) else {}
    if not tags and not resource_ids:
        raise _Unreadable(
            f"{candidate!r} has no cost-allocation tags or resource_ids in the spec: "
            "nothing to attribute billing by"
        )
    res = sources.attribute_cost(
        cache.get(),
        start=info.start,
        end=info.end or info.start,
        tags=tags,
        resource_ids=resource_ids,
        column=spec.cost.column,
    )
    return _as_dict(res), _redact(str(spec.cost.source))


def _as_dict(obj: Any) -> dict[str, Any]:
    """An attributed cost as a dict; an object without ``to_dict`` is read by its attributes."""
    data = plain_dict(obj)
    if data is not None:
        return data
    return {k: _get(obj, k) for k in ("total", "currency", "covers_window")}


def _unmatched(parts: Sequence[tuple[dict[str, Any], str]]) -> str | None:
    """Why attributed billing is missing data rather than a cost of 0, or None when rows matched.

    Zero matching rows is far more often a typo in the candidate's tags (or billing that names
    them differently) than a free service, and rows without any ``Usage`` charge (only tax,
    credits) price no usage at all: either way the cost is unknown, not $0.
    """
    if any(d.get("rows") is None for d, _ in parts):  # an older/foreign result: rows unknown
        return None
    first = parts[0][0]
    tags = dict(first.get("tags") or {})
    ids = list(first.get("resource_ids") or [])
    what = " and ".join(
        x for x in (f"tags {tags}" if tags else "", f"resource_ids {ids}" if ids else "") if x
    )
    what = what or "the candidate"
    if sum(int(d.get("rows") or 0) for d, _ in parts) == 0:
        apart = _windows_apart(parts)
        if apart is not None:
            return apart
        return (
            f"no billing rows matched {what} in the window — check the candidate's tags "
            "against the export's (cost unknown, not $0)"
        )
    cats = {str(k) for d, _ in parts for k in (d.get("by_charge_category") or {})}
    if cats and "Usage" not in cats:
        return (
            f"the billing rows matching {what} in the window carry no Usage charges, only "
            f"{', '.join(sorted(cats))} — check the candidate's tags (cost unknown, not $0)"
        )
    return None


def _when(value: Any) -> datetime | None:
    """An ISO time from a cost result's dict (``...Z``), or None."""
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when and when.tzinfo is None else when


def _windows_apart(parts: Sequence[tuple[dict[str, Any], str]]) -> str | None:
    """The reason when the export's usage span and the runs' window do not overlap, else None.

    Then no tag can match, so blaming the tags would send the reader after the wrong cause.
    """
    starts = [t for d, _ in parts if (t := _when(d.get("start")))]
    ends = [t for d, _ in parts if (t := _when(d.get("end")))]
    lo = [t for d, _ in parts if (t := _when(d.get("export_start")))]
    hi = [t for d, _ in parts for v in (d.get("landed") or {}).values() if (t := _when(v))]
    hi += [t for d, _ in parts if (t := _when(d.get("export_end")))]
    if not (starts and ends and lo and hi):
        return None
    run_lo, run_hi, bill_lo, bill_hi = min(starts), max(ends), min(lo), max(hi)
    if bill_hi > run_lo and bill_lo < run_hi:
        return None
    fmt = "%Y-%m-%d %H:%M:%SZ"
    return (
        f"the billing export's usage covers {bill_lo.astimezone(UTC).strftime(fmt)} → "
        f"{bill_hi.astimezone(UTC).strftime(fmt)}, which does not overlap the runs' window "
        f"{run_lo.astimezone(UTC).strftime(fmt)} → {run_hi.astimezone(UTC).strftime(fmt)}: "
        "export the billing period the runs were made in (cost unknown, not $0)"
    )


def _merge(candidate: str, parts: Sequence[tuple[dict[str, Any], str]]) -> CandidateCost:
    """Several runs' attributed costs as one: sums, coverage only when every run is covered."""
    by_service: dict[str, float] = {}
    by_hour: dict[str, float] = {}
    currencies: set[str] = set()
    for d, _src in parts:
        for k, v in (d.get("by_service") or {}).items():
            by_service[str(k)] = by_service.get(str(k), 0.0) + float(v or 0.0)
        for row in d.get("by_hour") or []:
            key = str(row.get("hour"))
            by_hour[key] = by_hour.get(key, 0.0) + float(row.get("cost") or 0.0)
        if d.get("currency"):
            currencies.add(str(d["currency"]))
    first = parts[0][0]
    total = sum(float(d.get("total") or 0.0) for d, _ in parts)
    source = ", ".join(dict.fromkeys(src for _, src in parts))
    problem = _unmatched(parts)
    lost = sum(int(d.get("unattributed_rows") or 0) for d, _ in parts)
    lost_cost = sum(float(d.get("unattributed_cost") or 0.0) for d, _ in parts)
    if lost:
        problem = _unattributed(lost, lost_cost)
    if len(currencies) > 1:
        problem = f"costs in several currencies: {sorted(currencies)}; pockit never converts"
    landed: dict[str, str] = {}
    for d, _ in parts:  # the earliest landing per provider over the runs' lookups
        for prov, when in (d.get("landed") or {}).items():
            landed[str(prov)] = min(landed.get(str(prov), str(when)), str(when))
    return CandidateCost(
        candidate=candidate,
        total=total if problem is None else math.nan,
        currency="/".join(sorted(currencies)) if currencies else "USD",
        covers_window=all(
            True if d.get("covers_window") is None else bool(d.get("covers_window"))
            for d, _ in parts
        ),
        source=source,
        runs=len(parts),
        rows=sum(int(d.get("rows") or 0) for d, _ in parts),
        by_service=by_service,
        by_hour=[{"hour": h, "cost": c} for h, c in sorted(by_hour.items())],
        column=first.get("column"),
        cost_column=first.get("cost_column"),
        proration=first.get("proration"),
        notes=tuple(sorted({str(n) for d, _ in parts for n in (d.get("notes") or [])})),
        problem=problem,
        landed=landed,
        unattributed_rows=lost,
        unattributed_cost=lost_cost,
    )


def _model_costs(
    spec: Spec, by_candidate: Mapping[str, Sequence[RunInfo]]
) -> dict[str, CandidateCost]:
    """``cost.source: model``: the price book prices each run at the request rate it measured.

    Cost of a run = price book's cost per hour at the run's measured rate × the run's hours; the
    price book's entry is the candidate's name, or else one of its tag values (so a price book
    keyed like the billing tags serves too). Marked as a projection wherever it is shown.
    """
    from pockit.sources import PriceBook

    cost = spec.cost
    assert cost is not None and cost.price_book is not None
    source = f"price book {Path(cost.price_book).name} (model, not billing)"
    try:
        book = PriceBook.load(cost.price_book)
    except PockitError as exc:
        return {
            c: _missing(c, source, f"{NO_SOURCE} ({exc})", len(i)) for c, i in by_candidate.items()
        }
    out: dict[str, CandidateCost] = {}
    for cand, infos in by_candidate.items():
        try:
            tags = dict(spec.candidate(cand).tags)
        except KeyError:
            tags = {}
        key = book.entry_for(cand, tags)
        if key is None:
            out[cand] = _missing(
                cand,
                source,
                f"{NO_SOURCE} (the price book has no entry for {cand!r} or its tags; "
                f"it prices {', '.join(book.candidates)})",
                len(infos),
            )
            continue
        total, seconds, requests = 0.0, 0.0, 0
        for info in infos:
            n = RunDir.open(info.path).scan_samples().select("latency_ms").collect().height
            secs = info.duration_s or 0.0
            if n and secs > 0:
                total += book.cost_per_hour(key, n / secs) * secs / 3600.0
            seconds += secs
            requests += n
        rps = requests / seconds if seconds > 0 else 0.0
        breakdown = book.prices(key).breakdown_per_1k(rps) if rps > 0 else {}
        share = {k: v for k, v in breakdown.items() if math.isfinite(v) and v > 0}
        whole = sum(share.values())
        out[cand] = CandidateCost(
            candidate=cand,
            total=total if requests else math.nan,
            currency=book.currency,
            covers_window=True,
            source=source,
            runs=len(infos),
            by_service={f"{k} (model)": total * v / whole for k, v in share.items()}
            if whole
            else {},
            column="model",
            proration=f"price book {key!r} at the measured {rps:.1f} req/s, for each run's duration",
            notes=("projected from a price book, not billed cost",),
            problem=None if requests else f"{NO_SOURCE} (no requests to price)",
            price_entry=key,
        )
    return out


def _costs_of(
    spec: Spec, by_candidate: Mapping[str, Sequence[RunInfo]]
) -> dict[str, CandidateCost]:
    if spec.cost is not None and spec.cost.source == "model":
        return _model_costs(spec, by_candidate)
    try:
        from pockit import sources as _sources
    except ImportError:  # pragma: no cover - the sources part ships with pockit
        return {c: _missing(c, "none", NO_SOURCE, len(i)) for c, i in by_candidate.items()}
    sources: Any = _sources
    cache = _BillingCache(sources, spec)
    out: dict[str, CandidateCost] = {}
    for cand, infos in by_candidate.items():
        parts: list[tuple[dict[str, Any], str]] = []
        problem: str | None = None
        for info in infos:
            try:
                parts.append(_run_cost(sources, spec, cand, info, cache))
            except _Unreadable as exc:
                problem = str(exc) if str(exc).startswith(NO_SOURCE) else f"{NO_SOURCE} ({exc})"
                break
            except (SourceError, MixedCurrencyError) as exc:  # read, but rows pockit cannot use
                problem = f"{UNUSABLE} ({info.id}: {exc})"
                break
            except Exception as exc:  # noqa: BLE001 - any failure of an optional source is "no cost", said
                problem = f"{NO_SOURCE} ({info.id}: {type(exc).__name__}: {exc})"
                break
        if problem is not None or not parts:
            source = _redact(str(spec.cost.source)) if spec.cost is not None else "none"
            out[cand] = _missing(cand, source, problem or NO_SOURCE, len(infos))
        else:
            out[cand] = _merge(cand, parts)
    return out


def candidate_costs(
    spec: Spec, runs: RunLike | Iterable[RunLike] | Iterable[RunInfo]
) -> dict[str, CandidateCost]:
    """Billing attributed to each candidate over its runs' windows, keyed by candidate name.

    A run's attached ``sources/billing.parquet`` is preferred (reports rebuild offline); otherwise
    the spec's ``cost.source`` is read once and attributed by the candidate's tags/resource_ids.
    Never raises for a missing or unreadable source: that candidate's entry has ``problem`` set.
    Pass the result to ``decide(spec, runs, costs=...)`` to judge on exactly these figures.
    """
    items: list[Any] = [runs] if isinstance(runs, RunDir | str | Path) else list(runs)
    infos: list[RunInfo] = []
    for r in items:
        if isinstance(r, RunInfo):
            infos.append(r)
        else:
            infos.extend(run_info(x) for x in as_runs(r))
    by_cand: dict[str, list[RunInfo]] = {}
    for info in infos:
        by_cand.setdefault(info.candidate, []).append(info)
    return _costs_of(spec, by_cand)


def attribute_costs(
    spec: Spec, candidate: str, infos: Sequence[RunInfo], requests: int
) -> CostFigure:
    """``candidate``'s cost figure for ``decide``: :func:`candidate_costs` over ``infos``."""
    return _costs_of(spec, {candidate: list(infos)})[candidate].figure(requests)


def cost_figures(costs: Mapping[str, CostLike], decision: Any) -> dict[str, CostFigure]:
    """The figure ``decide`` judged for each candidate: its cost over the n the decision used.

    ``decision`` is a :class:`~pockit.decision.Decision` (or its ``to_dict()``). The report shows
    these, never a figure of its own, so what it prints is what the verdict rests on.
    """
    data = decision.to_dict() if hasattr(decision, "to_dict") else dict(decision or {})
    out: dict[str, CostFigure] = {}
    for name, cand in (data.get("candidates") or {}).items():
        n = int((cand or {}).get("n") or 0)
        out[str(name)] = coerce_cost(costs.get(name), n)
    return out
