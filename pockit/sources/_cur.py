"""AWS Cost and Usage Reports: CUR 2.0 (Data Exports) and legacy CUR in CSV and Athena/Parquet form.

The three forms carry the same line items under different spellings:

=====================  ===============================  ===============================
logical                CUR 2.0 / legacy Athena          legacy CSV
=====================  ===============================  ===============================
usage start / end      line_item_usage_start_date       lineItem/UsageStartDate
unblended cost         line_item_unblended_cost         lineItem/UnblendedCost
tags                   resource_tags (map, user_<key>)  resourceTags/user:<key>
                       / resource_tags_user_<key>
=====================  ===============================  ===============================

Cost columns (architecture.md contract 5): ``billed``/``unblended`` = unblended cost, ``net`` = net unblended,
``list`` = public on-demand cost, ``effective`` = amortized cost: the unblended cost with Savings
Plan and Reserved Instance usage replaced by its effective cost, recurring commitment fees reduced
to their unused part and upfront fees and negations zeroed (AWS's own amortized-cost recipe).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pockit.sources._frame import (
    finite_number,
    json_tags_to_list,
    row_problem,
    tags_dtype,
    tags_unreadable,
    to_utc,
)
from pockit.sources._registry import ReadContext, register_reader

if TYPE_CHECKING:
    import polars as pl

CUR_COSTS = ("billed", "effective", "list", "unblended", "net")


@dataclass(frozen=True)
class _Names:
    start: str
    end: str
    unblended: str
    net: str
    public: str
    currency: str
    product: str
    resource: str
    amount: str
    unit: str
    line_type: str
    sp_effective: str
    sp_commitment: str
    sp_used: str
    ri_effective: str
    ri_unused_upfront: str
    ri_unused_recurring: str
    ri_arn: str


_SNAKE = _Names(
    start="line_item_usage_start_date",
    end="line_item_usage_end_date",
    unblended="line_item_unblended_cost",
    net="line_item_net_unblended_cost",
    public="pricing_public_on_demand_cost",
    currency="line_item_currency_code",
    product="line_item_product_code",
    resource="line_item_resource_id",
    amount="line_item_usage_amount",
    unit="pricing_unit",
    line_type="line_item_line_item_type",
    sp_effective="savings_plan_savings_plan_effective_cost",
    sp_commitment="savings_plan_total_commitment_to_date",
    sp_used="savings_plan_used_commitment",
    ri_effective="reservation_effective_cost",
    ri_unused_upfront="reservation_unused_amortized_upfront_fee_for_billing_period",
    ri_unused_recurring="reservation_unused_recurring_fee",
    ri_arn="reservation_reservation_a_r_n",
)

_CSV = _Names(
    start="lineItem/UsageStartDate",
    end="lineItem/UsageEndDate",
    unblended="lineItem/UnblendedCost",
    net="lineItem/NetUnblendedCost",
    public="pricing/publicOnDemandCost",
    currency="lineItem/CurrencyCode",
    product="lineItem/ProductCode",
    resource="lineItem/ResourceId",
    amount="lineItem/UsageAmount",
    unit="pricing/unit",
    line_type="lineItem/LineItemType",
    sp_effective="savingsPlan/SavingsPlanEffectiveCost",
    sp_commitment="savingsPlan/TotalCommitmentToDate",
    sp_used="savingsPlan/UsedCommitment",
    ri_effective="reservation/EffectiveCost",
    ri_unused_upfront="reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
    ri_unused_recurring="reservation/UnusedRecurringFee",
    ri_arn="reservation/ReservationARN",
)

#: line_item_line_item_type → FOCUS ChargeCategory, so charge categories read the same across formats.
_CATEGORY = {
    "Tax": "Tax",
    "Credit": "Credit",
    "Refund": "Credit",
    "Fee": "Purchase",
    "RIFee": "Purchase",
    "SavingsPlanRecurringFee": "Purchase",
    "SavingsPlanUpfrontFee": "Purchase",
}

CSV_TAG_PREFIX = "resourceTags/user:"
ATHENA_TAG_PREFIX = "resource_tags_user_"


def _num(ctx: ReadContext, col: str) -> pl.Expr:
    import polars as pl

    if col not in ctx.columns:
        return pl.lit(0.0)
    return finite_number(col)[0].fill_null(0.0)


def _cost_checks(ctx: ReadContext, n: _Names) -> list[tuple[pl.Expr, str, str | None]]:
    """A cost cell that is present but not a finite number, in any column the chosen cost reads."""
    used = {
        "billed": [n.unblended],
        "unblended": [n.unblended],
        "net": [n.net],
        "list": [n.public],
    }.get(ctx.column)
    if used is None:  # effective: the unblended cost and the RI/Savings Plan columns it mixes in
        used = [
            n.unblended, n.sp_effective, n.sp_commitment, n.sp_used, n.ri_effective,
            n.ri_unused_upfront, n.ri_unused_recurring,
        ]  # fmt: skip
    return [(finite_number(c)[1], c, None) for c in used if c in ctx.columns]


def _cost_expr(ctx: ReadContext, n: _Names) -> tuple[pl.Expr, str]:
    """The chosen cost as an expression, and a label naming the columns it came from."""
    import polars as pl

    choice = ctx.column
    if choice in ("billed", "unblended"):
        ctx.require("CUR", n.unblended)
        return finite_number(n.unblended)[0], n.unblended
    if choice == "net":
        ctx.require("CUR", n.net)
        return finite_number(n.net)[0], n.net
    if choice == "list":
        ctx.require("CUR", n.public)
        return finite_number(n.public)[0], n.public
    ctx.require("CUR", n.unblended)
    unblended = finite_number(n.unblended)[0]
    if n.line_type not in ctx.columns:
        return unblended, n.unblended
    kind = pl.col(n.line_type)
    ri_arn = pl.col(n.ri_arn) if n.ri_arn in ctx.columns else pl.lit(None, pl.String)
    amortized = (
        pl.when(kind == "SavingsPlanCoveredUsage")
        .then(_num(ctx, n.sp_effective))
        .when(kind == "SavingsPlanRecurringFee")
        .then(_num(ctx, n.sp_commitment) - _num(ctx, n.sp_used))
        .when(kind.is_in(["SavingsPlanNegation", "SavingsPlanUpfrontFee"]))
        .then(pl.lit(0.0))
        .when(kind == "DiscountedUsage")
        .then(_num(ctx, n.ri_effective))
        .when(kind == "RIFee")
        .then(_num(ctx, n.ri_unused_upfront) + _num(ctx, n.ri_unused_recurring))
        .when((kind == "Fee") & ri_arn.is_not_null() & (ri_arn != ""))
        .then(pl.lit(0.0))
        .otherwise(unblended)
    )
    return amortized, f"amortized ({n.unblended}, RI/Savings Plan effective cost)"


def _base(
    ctx: ReadContext, n: _Names, source: str, tag_cols: list[str]
) -> tuple[pl.LazyFrame, dict[str, pl.Expr]]:
    """Scan the needed columns and build the common normalised expressions."""
    import polars as pl

    ctx.require("CUR", n.start, n.end, n.currency)
    cost, label = _cost_expr(ctx, n)
    names = [
        n.start, n.end, n.unblended, n.net, n.public, n.currency, n.product, n.resource, n.amount,
        n.unit, n.line_type, n.sp_effective, n.sp_commitment, n.sp_used, n.ri_effective,
        n.ri_unused_upfront, n.ri_unused_recurring, n.ri_arn,
    ]  # fmt: skip
    wanted = [c for c in dict.fromkeys(names) if c in ctx.columns] + tag_cols
    lf = ctx.scan(wanted)
    schema = lf.collect_schema()

    def opt(col: str) -> pl.Expr:
        return pl.col(col) if col in ctx.columns else pl.lit(None, pl.String)

    line_type = opt(n.line_type)
    exprs = {
        "charge_start": to_utc(n.start, schema[n.start]),
        "charge_end": to_utc(n.end, schema[n.end]),
        "cost": cost,
        "currency": pl.col(n.currency),
        "service": opt(n.product),
        "resource_id": pl.when(opt(n.resource) == "").then(None).otherwise(opt(n.resource)),
        "usage_quantity": opt(n.amount).cast(pl.Float64),
        "usage_unit": opt(n.unit),
        "provider": pl.lit("AWS"),
        "charge_category": line_type.replace_strict(
            _CATEGORY, default="Usage", return_dtype=pl.String
        ),
        "source": pl.lit(source),
        "cost_column": pl.lit(label),
        # CUR timestamps are UTC by definition; a string without offset is still UTC, not a guess.
        "ts_assumed_utc": pl.lit(False),
        "problem": row_problem(_cost_checks(ctx, n)),
    }
    return lf, exprs


@register_reader(
    "cur2",
    description="AWS CUR 2.0 (Data Exports), Parquet or gzip CSV; resource_tags map keyed user_<key>",
    signature=("line_item_usage_start_date", "line_item_unblended_cost", "resource_tags"),
    costs=CUR_COSTS,
)
def read_cur2(ctx: ReadContext) -> pl.LazyFrame:
    """CUR 2.0 rows → the billing frame (``user_`` removed from tag keys)."""
    import polars as pl

    lf, exprs = _base(ctx, _SNAKE, "cur2", ["resource_tags"])
    dtype = lf.collect_schema()["resource_tags"]
    el = pl.element().struct
    if dtype == pl.String:  # gzip CSV export: the map is written as a JSON object
        raw = pl.col("resource_tags").map_batches(json_tags_to_list, return_dtype=tags_dtype())
        unreadable = pl.col("resource_tags").map_batches(tags_unreadable, return_dtype=pl.Boolean)
        why = "not a JSON object: whose cost it is cannot be told"
        checks = [*_cost_checks(ctx, _SNAKE), (unreadable, "resource_tags", why)]
        exprs["problem"] = row_problem(checks)
    else:
        raw = pl.col("resource_tags").cast(tags_dtype())
    tags = raw.list.eval(
        pl.struct(key=el.field("key").str.strip_prefix("user_"), value=el.field("value"))
    )
    exprs["tags"] = tags
    return lf.select([e.alias(k) for k, e in exprs.items()])


def _column_tags(ctx: ReadContext, prefix: str) -> tuple[list[str], pl.Expr]:
    """Tags spread over one column per key (legacy CUR) → the stored list, null values dropped."""
    import polars as pl

    cols = [c for c in ctx.columns if c.startswith(prefix)]
    if not cols:
        return [], pl.lit([], tags_dtype())
    pairs = [pl.struct(key=pl.lit(c[len(prefix) :]), value=pl.col(c).cast(pl.String)) for c in cols]
    el = pl.element().struct
    tags = pl.concat_list(pairs).list.eval(
        pl.element().filter(el.field("value").is_not_null() & (el.field("value") != ""))
    )
    return cols, tags


@register_reader(
    "cur-athena",
    description="legacy AWS CUR in Athena/Parquet form (line_item_unblended_cost, resource_tags_user_<key>)",
    signature=("line_item_usage_start_date", "line_item_unblended_cost"),
    costs=CUR_COSTS,
)
def read_cur_athena(ctx: ReadContext) -> pl.LazyFrame:
    """Legacy CUR, Athena column names (tag keys lowercased with ``_``, as Athena spells them)."""
    tag_cols, tags = _column_tags(ctx, ATHENA_TAG_PREFIX)
    lf, exprs = _base(ctx, _SNAKE, "cur-athena", tag_cols)
    exprs["tags"] = tags
    return lf.select([e.alias(k) for k, e in exprs.items()])


@register_reader(
    "cur-csv",
    description="legacy AWS CUR CSV (lineItem/UnblendedCost, resourceTags/user:<Key>)",
    signature=("lineItem/UsageStartDate", "lineItem/UnblendedCost"),
    costs=CUR_COSTS,
)
def read_cur_csv(ctx: ReadContext) -> pl.LazyFrame:
    """Legacy CUR CSV (gzip or plain) → the billing frame, tag keys as the user wrote them."""
    tag_cols, tags = _column_tags(ctx, CSV_TAG_PREFIX)
    lf, exprs = _base(ctx, _CSV, "cur-csv", tag_cols)
    exprs["tags"] = tags
    return lf.select([e.alias(k) for k, e in exprs.items()])
