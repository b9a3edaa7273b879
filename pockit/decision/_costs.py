"""Cost evidence for ``cost_per_1k_usd``: given by the caller, or attributed through pockit.sources.

``pockit.sources`` is imported lazily and only here: the decision works (with the cost criterion
INCONCLUSIVE) when billing has not landed or the sources part is not installed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pockit._errors import PockitError
from pockit.analysis._cost import cost_per_1k
from pockit.analysis._samples import RunInfo
from pockit.spec import Spec

NO_SOURCE = "billing not landed / no cost source"

#: What a caller may pass per candidate: a CostResult-like object or dict (total, currency,
#: covers_window), a dict/object with ``cost_per_1k``, or a bare number (cost per 1k requests).
CostLike = Any


@dataclass(frozen=True)
class CostFigure:
    """The cost evidence of one candidate: per 1k requests, its currency, whether it is complete."""

    per_1k: float
    total: float
    currency: str
    covers_window: bool
    source: str
    problem: str | None = None  # why there is no usable figure


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def coerce_cost(obj: CostLike, requests: int, source: str = "given") -> CostFigure:
    """Read a caller's cost object into a :class:`CostFigure`."""
    if obj is None:
        return CostFigure(math.nan, math.nan, "", False, source, NO_SOURCE)
    if isinstance(obj, int | float) and not isinstance(obj, bool):
        return CostFigure(float(obj), math.nan, "USD", True, source)
    cur = str(_get(obj, "currency") or "USD")
    covers = _get(obj, "covers_window")
    covers_b = True if covers is None else bool(covers)
    pre = _get(obj, "cost_per_1k")
    total = _get(obj, "total")
    if pre is not None:
        return CostFigure(
            float(pre), float(total) if total is not None else math.nan, cur, covers_b, source
        )
    if total is None:
        return CostFigure(
            math.nan, math.nan, cur, covers_b, source, "cost has neither total nor cost_per_1k"
        )
    per = cost_per_1k(float(total), requests)
    problem = None if math.isfinite(per) else "no requests to divide the cost by"
    return CostFigure(per, float(total), cur, covers_b, source, problem)


def attribute_costs(
    spec: Spec, candidate: str, infos: Sequence[RunInfo], requests: int
) -> CostFigure:
    """Attribute the spec's billing to ``candidate``'s run windows through pockit.sources.

    A run's attached ``sources/billing.parquet`` is preferred (reports rebuild offline); otherwise
    the spec's ``cost.source`` is read. Anything missing gives a figure with ``problem`` set.
    """
    try:
        from pockit import sources as _sources
    except ImportError:
        return CostFigure(math.nan, math.nan, "", False, "none", NO_SOURCE)
    sources: Any = _sources
    try:
        cand = spec.candidate(candidate)
    except KeyError:
        return CostFigure(
            math.nan,
            math.nan,
            "",
            False,
            "none",
            f"{candidate!r} is not in the spec: no tags to attribute cost by",
        )
    total = 0.0
    currencies: set[str] = set()
    covers = True
    used = ""
    try:
        shared = None
        for info in infos:
            billing = None
            loader = getattr(sources, "load_attached_billing", None)
            if loader is not None:
                try:
                    billing = loader(info.path)
                    used = used or "attached sources/billing.parquet"
                except PockitError:  # nothing attached to this run: fall back to the spec's source
                    billing = None
            if billing is None:
                if spec.cost is None:
                    return CostFigure(
                        math.nan,
                        math.nan,
                        "",
                        False,
                        "none",
                        f"{NO_SOURCE} (spec has no cost section)",
                    )
                if shared is None:
                    shared = sources.read_billing(
                        spec.cost.source, format=spec.cost.format, column=spec.cost.column
                    )
                billing = shared
                used = spec.cost.source
            res = sources.attribute_cost(
                billing,
                start=info.start,
                end=info.end or info.start,
                tags=dict(cand.tags),
                resource_ids=tuple(cand.resource_ids),
            )
            total += float(_get(res, "total") or 0.0)
            cur = _get(res, "currency")
            if cur:
                currencies.add(str(cur))
            cov = _get(res, "covers_window")
            covers = covers and (True if cov is None else bool(cov))
    except Exception as exc:  # noqa: BLE001 - any failure of an optional source is "no cost", said
        return CostFigure(
            math.nan,
            math.nan,
            "",
            False,
            used or "none",
            f"{NO_SOURCE} ({type(exc).__name__}: {exc})",
        )
    if len(currencies) > 1:
        return CostFigure(
            math.nan,
            total,
            "/".join(sorted(currencies)),
            covers,
            used,
            f"costs in several currencies: {sorted(currencies)}",
        )
    per = cost_per_1k(total, requests)
    return CostFigure(per, total, currencies.pop() if currencies else "USD", covers, used)
