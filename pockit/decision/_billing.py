"""Billing attributed to each candidate over its runs' windows: an attached export, the spec's
``cost.source`` read once through ``pockit.sources``, or a price book (``cost.source: model``).

:func:`candidate_costs` is the one code path that turns a spec's billing into per-candidate cost
(``_costs.py`` holds what it produces and how ``decide`` reads it). ``pockit.sources`` is imported
lazily and only here: the decision works (with the cost criterion INCONCLUSIVE) when billing has not
landed or the sources part is not installed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pockit._contract import RunField
from pockit._errors import MixedCurrencyError, PockitError, SourceError
from pockit._rundir import RunDir
from pockit._util import plain_dict
from pockit.analysis import RunInfo, RunLike, as_runs, run_info
from pockit.decision._costs import (
    NO_SOURCE,
    UNUSABLE,
    CandidateCost,
    CostFigure,
    _get,
    _unattributed,
    no_cost,
)
from pockit.spec import Spec


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
            c: no_cost(c, source, f"{NO_SOURCE} ({exc})", len(i)) for c, i in by_candidate.items()
        }
    out: dict[str, CandidateCost] = {}
    for cand, infos in by_candidate.items():
        try:
            tags = dict(spec.candidate(cand).tags)
        except KeyError:
            tags = {}
        key = book.entry_for(cand, tags)
        if key is None:
            out[cand] = no_cost(
                cand,
                source,
                f"{NO_SOURCE} (the price book has no entry for {cand!r} or its tags; "
                f"it prices {', '.join(book.candidates)})",
                len(infos),
            )
            continue
        total, seconds, requests = 0.0, 0.0, 0
        for info in infos:
            n = _rows(info)
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


def _rows(info: RunInfo) -> int:
    """The run's requests, from the Parquet footers (no sample is read)."""
    import polars as pl

    got = RunDir.open(info.path).scan_samples().select(pl.len()).collect().item()
    return int(got)


def _costs_of(
    spec: Spec, by_candidate: Mapping[str, Sequence[RunInfo]]
) -> dict[str, CandidateCost]:
    if spec.cost is not None and spec.cost.source == "model":
        return _model_costs(spec, by_candidate)
    try:
        from pockit import sources as _sources
    except ImportError:  # pragma: no cover - the sources part ships with pockit
        return {c: no_cost(c, "none", NO_SOURCE, len(i)) for c, i in by_candidate.items()}
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
            out[cand] = no_cost(cand, source, problem or NO_SOURCE, len(infos))
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
