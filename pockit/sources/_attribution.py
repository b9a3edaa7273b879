"""Cost attributed to a test: the billing rows of a window [start, end) and the candidate's tags.

Every row in the window counts or is refused: rows are picked and prorated by :mod:`._window`,
coverage (has billing landed?) is judged by :mod:`._coverage`, and the answer is a
:class:`~pockit.sources._cost_result.CostResult`. Credits and refunds are negative and kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pockit._errors import MixedCurrencyError, SourceError, UsageError
from pockit.sources._cost_result import CostResult
from pockit.sources._coverage import coverage, judged_providers, usage_coverage
from pockit.sources._frame import ESTIMATED_SUFFIX, as_utc, tag_filter
from pockit.sources._window import (
    hourly_split,
    overlap_fraction,
    owner_filter,
    select_rows,
    window_filter,
)

if TYPE_CHECKING:
    import polars as pl


def _utc(ts: datetime | str, what: str, notes: list[str]) -> datetime:
    if isinstance(ts, str):
        try:
            ts = datetime.fromisoformat(ts.strip().replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(
                f"{what} {ts!r} is not an ISO-8601 timestamp (e.g. 2026-05-01T10:00:00Z)"
            ) from None
    if ts.tzinfo is None:
        notes.append(f"{what} {ts.isoformat()} had no time zone; UTC assumed")
    return as_utc(ts)


#: How many problem rows an error quotes before it says "and N more".
QUOTED_PROBLEMS = 5


def _problem_rows(
    lf: pl.LazyFrame,
    t0: datetime,
    t1: datetime,
    tags: Mapping[str, str],
    resource_ids: Sequence[str],
) -> pl.DataFrame:
    """Rows in the window that a reader marked unusable and that may be the candidate's.

    A row whose tags cannot be read may be anyone's, so it counts whatever the tags asked for;
    a row with an unusable cost counts when it carries the candidate's tags/ids (or no tags).
    """
    import polars as pl

    bad_cost = pl.col("cost").is_null() | pl.col("cost").is_finite().not_()
    # with no tags asked for, unreadable tags do not matter: only an unusable cost does
    owned = (tag_filter(tags) | pl.col("tags").is_null()) if tags else bad_cost
    mine = owner_filter({}, resource_ids) & owned
    frac = overlap_fraction(t0, t1)
    return (
        lf.filter(window_filter(t0, t1) & pl.col("problem").is_not_null() & mine)
        .select(
            "problem",
            bad_cost.alias("bad_cost"),
            (pl.col("cost") * frac).alias("attributed"),
        )
        .collect()
    )


def _refuse_or_count(problems: pl.DataFrame, lenient: bool, notes: list[str]) -> tuple[int, float]:
    """SourceError for rows in the window pockit cannot use; in lenient mode, count unowned rows.

    A cost that is not a finite number is always refused (no total could be right). Rows whose
    owner cannot be told are refused too unless ``lenient``: then their number and cost are
    returned and said, and whoever decides on the total must treat it as incomplete.
    """
    if problems.height == 0:
        return 0, 0.0
    bad_cost = problems.filter(problems["bad_cost"])
    refused = bad_cost if lenient else problems
    if refused.height:
        texts = refused["problem"].to_list()
        more = f" (and {len(texts) - QUOTED_PROBLEMS} more)" if len(texts) > QUOTED_PROBLEMS else ""
        hint = (
            ""
            if bad_cost.height == refused.height
            else "; fix the export, or attribute leniently (pockit cost --lenient-rows, "
            "attribute_cost(..., lenient=True)) to count such rows as unattributed"
        )
        raise SourceError(
            f"{refused.height} billing row(s) in the window cannot be used: "
            + "; ".join(texts[:QUOTED_PROBLEMS])
            + more
            + hint
        )
    cost = float(problems["attributed"].sum())
    notes.append(
        f"{problems.height} row(s) in the window could not be attributed (their tags are "
        f"unreadable), {cost:.6g} in all, e.g. {problems['problem'][0]}: the total leaves them out "
        "and is not the candidate's whole cost"
    )
    return problems.height, cost


def attribute_cost(
    billing: pl.LazyFrame | pl.DataFrame,
    *,
    start: datetime | str,
    end: datetime | str,
    tags: Mapping[str, str] | None = None,
    resource_ids: Sequence[str] = (),
    column: str | None = None,
    lenient: bool = False,
) -> CostResult:
    """Cost in [start, end) for rows carrying every tag in ``tags`` and/or one of ``resource_ids``.

    ``billing`` is a frame from :func:`read_billing`. Naive datetimes are UTC. Every row in the
    window counts or is refused: mixed currencies, or a null currency beside a real one on a
    non-zero cost, raise MixedCurrencyError (pockit never converts); a row the reader marked
    unusable (a cost that is not a finite number, tags that are not a JSON object) raises
    SourceError naming its file and row. With ``lenient=True`` rows whose tags are unreadable are
    counted in ``unattributed_rows``/``unattributed_cost`` instead. ``column`` labels the cost
    choice in the result when it is not ``effective``.
    """
    import polars as pl

    notes: list[str] = []
    t0 = _utc(start, "start", notes)
    t1 = _utc(end, "end", notes)
    if t1 <= t0:
        raise UsageError(f"empty window: end {t1.isoformat()} is not after start {t0.isoformat()}")
    lf = billing.lazy()
    if "problem" not in lf.collect_schema().names():  # a frame stored before rows were checked
        lf = lf.with_columns(pl.lit(None, pl.String).alias("problem"))
    tags = dict(tags or {})
    picked = select_rows(lf, start=t0, end=t1, tags=tags, resource_ids=resource_ids)
    try:
        problems = _problem_rows(lf, t0, t1, tags, resource_ids)
        rows = picked.select(
            "charge_start",
            "charge_end",
            "service",
            "currency",
            "charge_category",
            "attributed",
            "cost_column",
            "source",
            "ts_assumed_utc",
        ).collect()
        span = lf.select(
            pl.col("charge_start").min().alias("lo"),
            pl.col("charge_end").max().alias("hi"),
            pl.col("cost_column").drop_nulls().first().alias("col"),
        ).collect()
        usage_span = usage_coverage(lf).collect()
        providers = judged_providers(lf, tags, resource_ids)
    except pl.exceptions.PolarsError as exc:
        raise SourceError(f"cannot read the billing rows: {exc}") from None
    unattributed_rows, unattributed_cost = _refuse_or_count(problems, lenient, notes)
    all_hi = span.item(0, "hi")
    if all_hi is None:
        notes.append("the export has no rows at all")
    covers, export_start, export_end = coverage(
        usage_span, t0, t1, notes, any_rows=all_hi is not None, providers=providers
    )
    landed = {
        str(p): h.astimezone(UTC).isoformat().replace("+00:00", "Z")
        for p, h in zip(usage_span["provider"].to_list(), usage_span["hi"].to_list(), strict=True)
        if h is not None
    }
    if export_end is not None and all_hi is not None and all_hi > export_end:
        notes.append(
            f"non-usage charges (tax, fees, purchases) run to {all_hi.isoformat()}; they do not count "
            "as landed billing: coverage is judged from usage line items only"
        )
    estimated = sorted(
        {c for c in rows["cost_column"].to_list() if c and c.endswith(ESTIMATED_SUFFIX)}
    )
    if estimated:
        covers = False
        notes.append(
            "part of the amount is an estimate that has not closed (Cost Explorer marks the "
            "window's bucket Estimated): it will still change, so the window is not covered yet; "
            "attach again once the period has closed"
        )
    currencies = sorted({c for c in rows["currency"].to_list() if c is not None})
    if len(currencies) > 1:
        raise MixedCurrencyError(
            f"the attributed rows are billed in {', '.join(currencies)}; pockit does not convert. "
            "Narrow the tags or resource ids, or split the export by BillingCurrency"
        )
    no_currency = rows.filter(pl.col("currency").is_null() & (pl.col("attributed") != 0))
    if currencies and no_currency.height:
        raise MixedCurrencyError(
            f"{no_currency.height} attributed row(s) have no currency beside rows in "
            f"{currencies[0]}, {float(no_currency['attributed'].sum()):.6g} in all; pockit does "
            "not guess a currency. Fix BillingCurrency in the export"
        )
    if rows.height and rows["ts_assumed_utc"].any():
        notes.append("the export's timestamps carry no time zone; UTC assumed")
    if tags and rows.height and rows["source"].is_in(["cost-explorer"]).any():
        prefiltered = picked.select(pl.col("tags").is_null().any()).collect().item()
        if prefiltered:
            notes.append(
                "a saved Cost Explorer response carries no tags: its rows are taken as already filtered by the tags"
            )
    if rows.height == 0:
        notes.append("no billing rows matched the window" + (" and tags" if tags else ""))
    elif (rows["attributed"] < 0).any():
        notes.append("credits or refunds (negative costs) are included in the total")
    by_service = _group(rows, "service")
    by_cat = _group(rows, "charge_category")
    hourly = hourly_split(rows, t0, t1)
    by_hour = [
        {"hour": h.astimezone(UTC).isoformat().replace("+00:00", "Z"), "cost": float(c)}
        for h, c in zip(hourly["hour"].to_list(), hourly["cost"].to_list(), strict=True)
    ]
    cost_cols = sorted(
        {c.removesuffix(ESTIMATED_SUFFIX) for c in rows["cost_column"].to_list() if c}
    )
    if not cost_cols and span.item(0, "col"):
        cost_cols = [str(span.item(0, "col"))]
    sources = sorted({c for c in rows["source"].to_list() if c}) if rows.height else []
    if column is None:
        column = _column_name(cost_cols)
    return CostResult(
        total=float(rows["attributed"].sum()) if rows.height else 0.0,
        currency=currencies[0] if currencies else None,
        rows=rows.height,
        by_service=by_service,
        by_hour=by_hour,
        by_charge_category=by_cat,
        covers_window=bool(covers),
        start=t0,
        end=t1,
        tags=tags,
        resource_ids=tuple(resource_ids),
        column=column,
        cost_column=", ".join(cost_cols) or None,
        export_start=export_start,
        export_end=export_end,
        source=", ".join(sources) or None,
        notes=tuple(notes),
        landed=landed,
        judged_providers=tuple(providers),
        unattributed_rows=unattributed_rows,
        unattributed_cost=unattributed_cost,
    )


def _group(rows: pl.DataFrame, key: str) -> dict[str, float]:
    import polars as pl

    if rows.height == 0:
        return {}
    grouped = (
        rows.group_by(pl.col(key).fill_null("(none)")).agg(pl.col("attributed").sum()).sort(key)
    )
    return {
        str(k): float(v)
        for k, v in zip(grouped[key].to_list(), grouped["attributed"].to_list(), strict=True)
    }


_LABELS = {
    "BilledCost": "billed",
    "EffectiveCost": "effective",
    "ListCost": "list",
    "line_item_unblended_cost": "billed",
    "lineItem/UnblendedCost": "billed",
    "line_item_net_unblended_cost": "net",
    "lineItem/NetUnblendedCost": "net",
    "pricing_public_on_demand_cost": "list",
    "pricing/publicOnDemandCost": "list",
    "UnblendedCost": "billed",
    "AmortizedCost": "effective",
    "NetUnblendedCost": "net",
    "NetAmortizedCost": "net",
    "BlendedCost": "blended",
}


def _column_name(cost_cols: list[str]) -> str:
    """The user-facing cost choice (billed/effective/list/net) behind the source column names."""
    names = {_LABELS.get(c, "effective" if c.startswith("amortized") else c) for c in cost_cols}
    return names.pop() if len(names) == 1 else ("mixed" if names else "effective")
