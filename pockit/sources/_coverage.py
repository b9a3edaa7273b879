"""Whether billing has landed for a window: the usage span of the providers that bill the candidate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from pockit.sources._window import owner_filter

if TYPE_CHECKING:
    import polars as pl


UNKNOWN_PROVIDER = "(unknown provider)"


def usage_coverage(billing: pl.LazyFrame) -> pl.LazyFrame:
    """Earliest start and latest end of the *usage* line items, per provider (``provider, lo, hi``).

    This is how far billing has landed. Only ``charge_category == "Usage"`` rows count (a null
    category is taken as usage): a tax, RI fee, Savings Plan recurring fee or purchase is written
    for the whole billing period as soon as the period opens, so its end says nothing about which
    hours of usage have arrived. Providers are kept apart because each lands on its own schedule.
    """
    import polars as pl

    usage = billing.filter(pl.col("charge_category").fill_null("Usage") == "Usage")
    return (
        usage.group_by(pl.col("provider").fill_null(UNKNOWN_PROVIDER))
        .agg(pl.col("charge_start").min().alias("lo"), pl.col("charge_end").max().alias("hi"))
        .sort("provider")
    )


def judged_providers(
    billing: pl.LazyFrame, tags: Mapping[str, str], resource_ids: Sequence[str]
) -> list[str]:
    """The providers that bill the candidate: those of any row carrying its tags or resource ids.

    Empty when no row does (or nothing names the candidate): every provider is then judged.
    """
    import polars as pl

    if not tags and not resource_ids:
        return []
    found = (
        billing.filter(owner_filter(tags, resource_ids))
        .select(pl.col("provider").fill_null(UNKNOWN_PROVIDER).unique())
        .collect()
    )
    return sorted(str(p) for p in found["provider"].to_list())


def coverage(
    spans: pl.DataFrame,
    t0: datetime,
    t1: datetime,
    notes: list[str],
    *,
    any_rows: bool,
    providers: Sequence[str] = (),
) -> tuple[bool, datetime | None, datetime | None]:
    """Whether the judged providers' usage reaches [t0, t1); their span (earliest start, earliest last end).

    ``providers`` are the candidate's providers (see :func:`judged_providers`); empty = all.
    Another provider's lag says nothing about the candidate's billing, so it is only named.
    """
    if providers:
        judged = spans.filter(spans["provider"].is_in(list(providers)))
        if judged.height == 0:
            judged = spans
    else:
        judged = spans
    if judged.height == 0:
        if any_rows:
            notes.append(
                "the export has no usage line items, so it cannot show that billing has landed for the window"
            )
        return False, None, None
    los, his = judged["lo"].to_list(), judged["hi"].to_list()
    lo, hi = min(los), min(his)
    covers = bool(lo <= t0 and hi >= t1)
    if not covers:
        lagging = [
            f"{p} to {h.isoformat()}"
            for p, h in zip(judged["provider"].to_list(), his, strict=True)
            if h < t1
        ]
        which = f" ({', '.join(lagging)})" if lagging else ""
        notes.append(
            f"the export's usage line items cover {lo.isoformat()} → {hi.isoformat()}{which}, not the "
            "whole window: billing may not have landed yet (typically 24–48 h); attach again later. "
            "Coverage counts usage rows only, of the providers that bill the candidate; "
            "month-long fees, tax and purchases do not"
        )
    others = [
        f"{p} (usage to {h.isoformat()})"
        for p, h in zip(spans["provider"].to_list(), spans["hi"].to_list(), strict=True)
        if p not in set(judged["provider"].to_list()) and h < t1
    ]
    if others:
        notes.append(
            f"not judged for coverage, as they bill none of the candidate's rows: {', '.join(others)}"
        )
    return covers, lo, hi
