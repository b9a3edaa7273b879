"""Cost attributed to a test: the billing rows of a window [start, end) and the candidate's tags.

A charge that straddles the window counts in proportion to its time overlap (linear proration:
cost × overlap / charge period). A charge with an empty period (an instant) counts fully when its
instant falls in the window. Credits and refunds are negative and kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pockit._errors import MixedCurrencyError, SourceError, UsageError
from pockit.sources._frame import ESTIMATED_SUFFIX, as_utc, tag_filter

if TYPE_CHECKING:
    import polars as pl

PRORATION = "linear time overlap: cost × overlap(charge period, window) / charge period"


@dataclass(frozen=True, kw_only=True)
class CostResult:
    """Cost attributed to a window and tags, with how it was computed (architecture.md contracts 2 and 5).

    ``covers_window`` is false when the *usage* line items of the providers that bill the
    candidate (those of the rows carrying its tags or resource ids; every provider when none do)
    do not reach the window's end (billing lag) or start: the total is then a lower bound and
    decisions built on it are INCONCLUSIVE. ``export_start`` / ``export_end`` are that usage span
    (see :func:`usage_coverage`); ``landed`` says, per provider, up to when usage has landed.

    ``unattributed_rows`` / ``unattributed_cost``: rows in the window whose owner cannot be told
    (tags that are not a JSON object), counted in lenient mode instead of refused. When non-zero,
    the total is not the candidate's whole cost and :attr:`complete` is false.
    """

    total: float
    currency: str | None
    rows: int
    by_service: dict[str, float]
    by_hour: list[dict[str, Any]]
    by_charge_category: dict[str, float]
    covers_window: bool
    start: datetime
    end: datetime
    tags: dict[str, str] = field(default_factory=dict)
    resource_ids: tuple[str, ...] = ()
    column: str = "effective"
    cost_column: str | None = None
    proration: str = PRORATION
    export_start: datetime | None = None
    export_end: datetime | None = None
    source: str | None = None
    notes: tuple[str, ...] = ()
    landed: dict[str, str] = field(default_factory=dict)
    judged_providers: tuple[str, ...] = ()
    unattributed_rows: int = 0
    unattributed_cost: float = 0.0

    @property
    def complete(self) -> bool:
        """True when no row in the window was left unattributed (lenient mode counted none)."""
        return self.unattributed_rows == 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``total``, ``currency``, ``rows``, ``by_service``, ``covers_window``, ..."""
        data = asdict(self)
        for key in ("start", "end", "export_start", "export_end"):
            value = data[key]
            data[key] = value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None
        data["resource_ids"] = list(self.resource_ids)
        data["notes"] = list(self.notes)
        data["judged_providers"] = list(self.judged_providers)
        return data

    def __str__(self) -> str:
        cur = self.currency or ""
        lines = [
            f"{self.total:.6f} {cur} over {self.rows} row(s), {self.start.isoformat()} → {self.end.isoformat()}",
            f"cost column: {self.column} ({self.cost_column}); proration: {self.proration}",
            f"covers window: {'yes' if self.covers_window else 'NO (billing not landed yet?)'}",
        ]
        if self.landed:
            lines.append(
                "usage landed up to: "
                + ", ".join(f"{p} {t}" for p, t in sorted(self.landed.items()))
                + (
                    f" (judged on {', '.join(self.judged_providers)})"
                    if self.judged_providers
                    else ""
                )
            )
        if self.unattributed_rows:
            lines.append(
                f"UNATTRIBUTED: {self.unattributed_rows} row(s) in the window, "
                f"{self.unattributed_cost:.6f} {cur}, could not be told apart (lenient mode)"
            )
        for svc, value in sorted(self.by_service.items(), key=lambda kv: -abs(kv[1])):
            lines.append(f"  {svc:<40} {value:>14.6f} {cur}")
        if len(self.by_charge_category) > 1:
            cats = ", ".join(f"{k} {v:.6f}" for k, v in sorted(self.by_charge_category.items()))
            lines.append(f"by charge category: {cats}")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """JupyterLab: total with its currency, cost column, coverage, the top services."""
        from pockit._display import cost_html

        return cost_html(self)


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


def window_filter(start: datetime, end: datetime) -> pl.Expr:
    """Rows whose charge period overlaps [start, end) (instants inside it included)."""
    import polars as pl

    s, e = pl.lit(start), pl.lit(end)
    overlaps = (pl.col("charge_start") < e) & (pl.col("charge_end") > s)
    instant = (
        (pl.col("charge_start") == pl.col("charge_end"))
        & (pl.col("charge_start") >= s)
        & (pl.col("charge_start") < e)
    )
    return overlaps | instant


def overlap_fraction(start: datetime, end: datetime) -> pl.Expr:
    """Share of each row's charge period that lies inside [start, end)."""
    import polars as pl

    s, e = pl.lit(start), pl.lit(end)
    lo = pl.max_horizontal(pl.col("charge_start"), s)
    hi = pl.min_horizontal(pl.col("charge_end"), e)
    span = (pl.col("charge_end") - pl.col("charge_start")).dt.total_microseconds()
    inside = (hi - lo).dt.total_microseconds().clip(lower_bound=0)
    return pl.when(span > 0).then(inside / span).otherwise(pl.lit(1.0))


def select_rows(
    billing: pl.LazyFrame,
    *,
    start: datetime,
    end: datetime,
    tags: Mapping[str, str] | None = None,
    resource_ids: Sequence[str] = (),
) -> pl.LazyFrame:
    """The billing rows of a window, tags (all must match) and resource ids, with ``fraction``/``attributed``."""
    import polars as pl

    lf = billing.filter(window_filter(start, end))
    if tags:
        lf = lf.filter(tag_filter(tags))
    if resource_ids:
        lf = lf.filter(pl.col("resource_id").is_in(list(resource_ids)))
    frac = overlap_fraction(start, end)
    return lf.with_columns(frac.alias("fraction"), (pl.col("cost") * frac).alias("attributed"))


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


UNKNOWN_PROVIDER = "(unknown provider)"

#: How many problem rows an error quotes before it says "and N more".
QUOTED_PROBLEMS = 5


def owner_filter(tags: Mapping[str, str], resource_ids: Sequence[str]) -> pl.Expr:
    """Rows carrying every tag and, when given, one of the resource ids (time not considered)."""
    import polars as pl

    expr = pl.lit(True)
    if tags:
        expr = expr & tag_filter(tags)
    if resource_ids:
        expr = expr & pl.col("resource_id").is_in(list(resource_ids))
    return expr


def _judged_providers(
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


def _coverage(
    spans: pl.DataFrame,
    t0: datetime,
    t1: datetime,
    notes: list[str],
    *,
    any_rows: bool,
    providers: Sequence[str] = (),
) -> tuple[bool, datetime | None, datetime | None]:
    """Whether the judged providers' usage reaches [t0, t1); their span (earliest start, earliest last end).

    ``providers`` are the candidate's providers (see :func:`_judged_providers`); empty = all.
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
        providers = _judged_providers(lf, tags, resource_ids)
    except pl.exceptions.PolarsError as exc:
        raise SourceError(f"cannot read the billing rows: {exc}") from None
    unattributed_rows, unattributed_cost = _refuse_or_count(problems, lenient, notes)
    all_hi = span.item(0, "hi")
    if all_hi is None:
        notes.append("the export has no rows at all")
    covers, export_start, export_end = _coverage(
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


def hourly_split(rows: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    """Attributed cost per clock hour (``hour``, ``cost``), each row spread over the hours it overlaps.

    A row's attributed cost is its cost × overlap / charge period, so each clock hour of the overlap
    with [start, end) gets cost × overlap-in-hour / charge period: a prorated daily row lands in the
    window's hours, not at midnight, and the hours sum to the total. An instant counts in its hour.
    ``hour`` is the clock hour, or the window's start for a first hour the window enters midway,
    so every key lies inside [start, end).
    """
    import polars as pl

    if rows.height == 0:
        return pl.DataFrame(schema={"hour": pl.Datetime("us", "UTC"), "cost": pl.Float64})
    s, e = pl.lit(start), pl.lit(end)
    lo = pl.max_horizontal(pl.col("charge_start"), s)
    hi = pl.min_horizontal(pl.col("charge_end"), e)
    one_h = pl.duration(hours=1)
    spread = (
        rows.select(pl.col("attributed"), lo.alias("lo"), hi.alias("hi"))
        .with_columns(
            pl.datetime_ranges(
                pl.col("lo").dt.truncate("1h"),
                pl.max_horizontal(pl.col("hi"), pl.col("lo") + pl.duration(microseconds=1)),
                interval="1h",
                closed="left",
            ).alias("hour")
        )
        .explode("hour")
    )
    inside = (
        pl.min_horizontal(pl.col("hi"), pl.col("hour") + one_h)
        - pl.max_horizontal(pl.col("lo"), pl.col("hour"))
    ).dt.total_microseconds()
    span = (pl.col("hi") - pl.col("lo")).dt.total_microseconds()
    share = pl.when(span > 0).then(inside.clip(lower_bound=0) / span).otherwise(pl.lit(1.0))
    return (
        spread.with_columns((pl.col("attributed") * share).alias("cost"))
        .group_by(pl.max_horizontal(pl.col("hour"), s).alias("hour"))
        .agg(pl.col("cost").sum())
        .sort("hour")
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
