"""FOCUS 1.0, 1.1 and 1.2 exports (CSV, gzip CSV, Parquet), and a writer for FOCUS 1.2 CSV.

FinOps Open Cost and Usage Specification: https://focus.finops.org/. Points that matter here:

* ``ChargePeriodStart`` is inclusive, ``ChargePeriodEnd`` exclusive, ISO-8601 in UTC (``...Z``).
* ``BilledCost`` is what is invoiced, ``EffectiveCost`` amortises upfront commitment fees,
  ``ListCost`` is at public list price.
* ``Tags`` is a JSON object (Key-Value Format); provider-defined keys carry a prefix such as
  ``ms:`` or ``aws:``, valueless tags are ``true``. CSV exports write null cells as ``NULL``.
* ``ProviderName`` (1.0–1.2) becomes ``ServiceProviderName`` in 1.3; either is read.
* ``ChargeCategory``: Usage, Purchase, Tax, Credit, Adjustment — all kept, credits negative.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pockit._errors import SourceError, UsageError
from pockit.sources._frame import (
    finite_number,
    json_tags_to_list,
    looks_naive,
    row_problem,
    tags_dtype,
    tags_unreadable,
    to_utc,
)
from pockit.sources._registry import ReadContext, register_reader

if TYPE_CHECKING:
    import polars as pl

FOCUS_COSTS = {"billed": "BilledCost", "effective": "EffectiveCost", "list": "ListCost"}

#: The columns ``write_focus_export`` writes: the FOCUS 1.2 column set, in the spec's order.
FOCUS_12_COLUMNS = (
    "AvailabilityZone",
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingAccountType",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "CapacityReservationId",
    "CapacityReservationStatus",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountQuantity",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "CommitmentDiscountUnit",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceId",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingCurrency",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SkuId",
    "SkuMeter",
    "SkuPriceDetails",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "SubAccountType",
    "Tags",
)


@register_reader(
    "focus",
    description="FOCUS 1.0-1.2 (FinOps Open Cost and Usage Specification), CSV/gzip CSV/Parquet",
    signature=("ChargePeriodStart", "ChargePeriodEnd", "BillingCurrency"),
)
def read_focus(ctx: ReadContext) -> pl.LazyFrame:
    """FOCUS rows → the billing frame."""
    import polars as pl

    cost_col = FOCUS_COSTS[ctx.column]
    ctx.require(
        "FOCUS", "ChargePeriodStart", "ChargePeriodEnd", "BillingCurrency", "ServiceName", cost_col
    )
    provider = next((c for c in ("ServiceProviderName", "ProviderName") if c in ctx.columns), None)
    optional = {
        "ResourceId": "resource_id",
        "Tags": "tags_raw",
        "ConsumedQuantity": "usage_quantity",
        "ConsumedUnit": "usage_unit",
        "ChargeCategory": "charge_category",
    }
    wanted = ["ChargePeriodStart", "ChargePeriodEnd", cost_col, "BillingCurrency", "ServiceName"]
    wanted += [c for c in optional if c in ctx.columns]
    if provider:
        wanted.append(provider)
    lf = ctx.scan(wanted)
    schema = lf.collect_schema()
    naive = _naive(ctx, lf, schema)
    cost, bad_cost = finite_number(cost_col)
    checks: list[tuple[pl.Expr, str, str | None]] = [(bad_cost, cost_col, None)]
    if "Tags" in ctx.columns and schema["Tags"] == pl.String:
        unreadable = pl.col("Tags").map_batches(tags_unreadable, return_dtype=pl.Boolean)
        checks.append((unreadable, "Tags", "not a JSON object: whose cost it is cannot be told"))
    exprs: list[pl.Expr] = [
        to_utc("ChargePeriodStart", schema["ChargePeriodStart"]).alias("charge_start"),
        to_utc("ChargePeriodEnd", schema["ChargePeriodEnd"]).alias("charge_end"),
        cost.alias("cost"),
        row_problem(checks).alias("problem"),
        pl.col("BillingCurrency").alias("currency"),
        pl.col("ServiceName").alias("service"),
        pl.lit("focus").alias("source"),
        pl.lit(cost_col).alias("cost_column"),
        pl.lit(naive).alias("ts_assumed_utc"),
        (pl.col(provider) if provider else pl.lit(None, pl.String)).alias("provider"),
    ]
    for col, out in optional.items():
        if col not in ctx.columns:
            exprs.append(pl.lit(None).alias(out))
        elif out == "usage_quantity":
            exprs.append(pl.col(col).cast(pl.Float64).alias(out))
        else:
            exprs.append(pl.col(col).alias(out))
    lf = lf.select(exprs)
    tags = _tags_expr(ctx, schema["Tags"]) if "Tags" in ctx.columns else None
    lf = lf.with_columns((tags if tags is not None else pl.lit(None, tags_dtype())).alias("tags"))
    return lf.drop("tags_raw")


def _tags_expr(ctx: ReadContext, dtype: Any) -> pl.Expr:
    """The ``Tags`` column → the stored list of ``{key, value}``, whatever layout the export used.

    CSV carries a JSON object (FOCUS's KeyValueFormat); Parquet writers use a JSON string, a
    ``map<string,string>`` or a ``list<struct<key,value>>``. Anything else is refused rather than
    read as "no tags", which would silently attribute nothing.
    """
    import polars as pl

    raw = pl.col("tags_raw")
    if dtype == pl.String:
        return raw.map_batches(json_tags_to_list, return_dtype=tags_dtype())
    if isinstance(dtype, pl.Null):
        return pl.lit(None, tags_dtype())
    if isinstance(dtype, pl.Map):
        return raw.cast(tags_dtype())
    if isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct):
        names = {f.name for f in dtype.inner.fields}
        if {"key", "value"} <= names:
            el = pl.element().struct
            pairs = raw.list.eval(
                pl.struct(
                    key=el.field("key").cast(pl.String), value=el.field("value").cast(pl.String)
                )
            )
            return pairs.cast(tags_dtype())
    raise SourceError(
        f"{ctx.source}: column Tags has type {dtype}, which pockit cannot read as tags. "
        "Expected a JSON object string, map<string,string> or list<struct<key,value>>; "
        "re-export the tags in one of those forms"
    )


def _naive(ctx: ReadContext, lf: pl.LazyFrame, schema: Any) -> bool:
    """True when the export's charge timestamps carry no offset (UTC is then assumed, and said)."""
    import polars as pl

    dtype = schema["ChargePeriodStart"]
    if isinstance(dtype, pl.Datetime):
        return dtype.time_zone is None
    if dtype != pl.String:
        return False
    try:
        head = lf.select("ChargePeriodStart").head(1).collect()
    except pl.exceptions.PolarsError as exc:
        raise SourceError(f"{ctx.source}: cannot read ChargePeriodStart ({exc})") from None
    return bool(head.height) and looks_naive(head.item(0, 0))


# -- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Usage:
    """One usage record for :func:`write_focus_export`: ``cost`` spent on ``service`` over [start, end).

    ``cost`` is the billed (= effective) cost; ``list_cost`` defaults to it. ``quantity``/``unit``
    are the consumed usage over the whole period (split by hour like the cost).
    """

    start: datetime
    end: datetime
    service: str
    cost: float
    currency: str = "USD"
    provider: str = "AWS"
    resource_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    quantity: float | None = None
    unit: str | None = None
    charge_category: str = "Usage"
    list_cost: float | None = None
    region: str = "us-east-1"
    service_category: str = "Compute"
    account_id: str = "111122223333"


_USAGE_FIELDS = frozenset(Usage.__dataclass_fields__)


def _as_usage(item: Usage | Mapping[str, Any]) -> Usage:
    if isinstance(item, Usage):
        return item
    unknown = set(item) - _USAGE_FIELDS
    if unknown:
        raise UsageError(
            f"usage record has unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(_USAGE_FIELDS))}"
        )
    return Usage(**dict(item))


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _z(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hours(start: datetime, end: datetime) -> list[tuple[datetime, datetime, float]]:
    """Hour-aligned slices of [start, end) with each slice's share of the whole period."""
    total = (end - start).total_seconds()
    if total <= 0:
        return [
            (
                start.replace(minute=0, second=0, microsecond=0),
                start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1),
                1.0,
            )
        ]
    out = []
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        nxt = hour + timedelta(hours=1)
        overlap = (min(nxt, end) - max(hour, start)).total_seconds()
        if overlap > 0:
            out.append((hour, nxt, overlap / total))
        hour = nxt
    return out


def _fmt(value: float | None) -> str:
    return "NULL" if value is None else repr(round(value, 10))


def write_focus_export(path: str | Path, usages: Iterable[Usage | Mapping[str, Any]]) -> Path:
    """Write a FOCUS 1.2 CSV with one row per usage record and clock hour, cost split by time.

    Each usage is a :class:`Usage` or a dict with its fields (``start``, ``end``, ``service``,
    ``cost`` required; ``currency``, ``provider``, ``resource_id``, ``tags``, ``quantity``,
    ``unit``, ``charge_category`` ...). Naive datetimes are taken as UTC. Null cells are written
    as ``NULL`` and ``Tags`` as a JSON object, as providers' FOCUS exports do. Returns the path.

    >>> write_focus_export("billing.csv", [{"start": t0, "end": t1, "service": "AWS Lambda",
    ...     "cost": 0.42, "tags": {"poc": "checkout-async"}}])          # doctest: +SKIP
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, str]] = []
    for n, raw in enumerate(usages):
        usage = _as_usage(raw)
        start, end = _utc(usage.start), _utc(usage.end)
        if end < start:
            raise UsageError(f"usage record {n}: end {end} is before start {start}")
        list_cost = usage.cost if usage.list_cost is None else usage.list_cost
        for h_start, h_end, share in _hours(start, end):
            period_start = h_start.replace(day=1, hour=0)
            period_end = (period_start + timedelta(days=32)).replace(day=1)
            qty = None if usage.quantity is None else usage.quantity * share
            billed = usage.cost * share
            lst = list_cost * share
            is_usage = usage.charge_category == "Usage"
            row = dict.fromkeys(FOCUS_12_COLUMNS, "NULL")
            row.update(
                {
                    "BilledCost": _fmt(billed),
                    "BillingAccountId": usage.account_id,
                    "BillingAccountName": "pockit-demo",
                    "BillingAccountType": "Billing Account",
                    "BillingCurrency": usage.currency,
                    "BillingPeriodEnd": _z(period_end),
                    "BillingPeriodStart": _z(period_start),
                    "ChargeCategory": usage.charge_category,
                    "ChargeDescription": f"{usage.service} {usage.unit or 'usage'} in {usage.region}",
                    "ChargeFrequency": "Usage-Based" if is_usage else "One-Time",
                    "ChargePeriodEnd": _z(h_end),
                    "ChargePeriodStart": _z(h_start),
                    "ConsumedQuantity": _fmt(qty) if is_usage else "NULL",
                    "ConsumedUnit": (usage.unit or "NULL") if is_usage else "NULL",
                    "ContractedCost": _fmt(billed),
                    "EffectiveCost": _fmt(billed),
                    "InvoiceIssuerName": usage.provider,
                    "ListCost": _fmt(lst),
                    "PricingCategory": "Standard" if is_usage else "NULL",
                    "PricingCurrency": usage.currency,
                    "PricingQuantity": _fmt(qty) if is_usage else "NULL",
                    "PricingUnit": (usage.unit or "NULL") if is_usage else "NULL",
                    "ProviderName": usage.provider,
                    "PublisherName": usage.provider,
                    "RegionId": usage.region,
                    "RegionName": usage.region,
                    "ResourceId": usage.resource_id or "NULL",
                    "ResourceName": (usage.resource_id or "NULL")
                    .rsplit("/", 1)[-1]
                    .rsplit(":", 1)[-1],
                    "ServiceCategory": usage.service_category,
                    "ServiceName": usage.service,
                    "SubAccountId": usage.account_id,
                    "SubAccountName": "pockit-demo",
                    "Tags": json.dumps(dict(usage.tags), sort_keys=True) if usage.tags else "NULL",
                }
            )
            if qty and is_usage:
                row["ListUnitPrice"] = _fmt(lst / qty)
                row["ContractedUnitPrice"] = _fmt(billed / qty)
            rows.append(row)
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(FOCUS_12_COLUMNS), quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        writer.writerows(rows)
    return out
