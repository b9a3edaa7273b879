"""Cost evidence for ``cost_per_1k_usd``: given by the caller, or attributed through pockit.sources.

:func:`~pockit.decision.candidate_costs` (``_billing.py``) is the one code path that turns a spec's
billing into per-candidate cost, attributed billing and price-book projection alike: ``decide`` judges ``CandidateCost.figure(n)``
with the n it decided on, and the report shows that same figure (:func:`cost_figures`) with its
details (by service, by hour), so the two never disagree. The division itself is
:func:`pockit.analysis.cost_per_1k_or_reason`, the only one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pockit.analysis import cost_per_1k_or_reason

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


def _short(source: str) -> str:
    """A source as a reason quotes it: a local file by its name, anything else (s3://, APIs) whole."""
    parts = [p.strip() for p in source.split(",")]
    return ", ".join(Path(p).name if p.startswith("/") else p for p in parts)


def no_cost(candidate: str, source: str, problem: str, runs: int = 0) -> CandidateCost:
    return CandidateCost(
        candidate=candidate,
        total=math.nan,
        currency=None,
        covers_window=False,
        source=source,
        runs=runs,
        problem=problem,
    )


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
