"""The normalised billing and metrics frames (architecture.md contract 2) and the helpers that build them.

Billing frame, one row per charge line, whatever the source format::

    charge_start     Datetime(us, UTC)   inclusive start of the charge period
    charge_end       Datetime(us, UTC)   exclusive end of the charge period
    cost             Float64             the chosen cost column (see ``cost_column``); credits are negative
    currency         String              ISO 4217 code, as billed
    service          String              provider's service name (``ServiceName``, ``product_servicecode``)
    resource_id      String              null for charges without a resource (tax, support, credits)
    tags             List(Struct{key: String, value: String})   user and provider tags, see below
    usage_quantity   Float64             consumed quantity, null when the format has none
    usage_unit       String
    provider         String              ``AWS``, ``Microsoft``, ``Google Cloud``, ...
    charge_category  String              FOCUS ChargeCategory (Usage, Purchase, Tax, Credit, Adjustment)
    source           String              reader name (``focus``, ``cur2``, ``cur-csv``, ...)
    cost_column      String              the column ``cost`` came from, e.g. ``EffectiveCost``; ends in
                                         ``" (estimated)"`` when the provider says the amount is not final
    ts_assumed_utc   Boolean             true when the export's timestamps had no offset and UTC was assumed
    problem          String              null for a usable row; else why it is not, naming the file,
                                         data row and column (tags that are not a JSON object, a cost
                                         that is not a finite number). Attribution refuses such a row
                                         in the window (or counts it, in lenient mode): never dropped

Tags are stored as a list of ``{key, value}`` structs (the Arrow layout of a map, which pandas and
Parquet both keep) with keys spelt the way the user wrote them: CUR's ``user_`` / ``resourceTags/user:``
prefixes are removed. Legacy CUR in Athena form lowercases keys and turns other characters into ``_``;
:func:`tag_filter` matches those by applying the same mangling. Valueless tags carry ``"true"``.

Metrics frame: ``ts`` Datetime(us, UTC), ``metric`` String, ``value`` Float64, ``unit`` String,
``dimensions`` (same list-of-struct layout as ``tags``), ``source`` String.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

#: Column order of the normalised billing frame.
BILLING_COLUMNS = (
    "charge_start",
    "charge_end",
    "cost",
    "currency",
    "service",
    "resource_id",
    "tags",
    "usage_quantity",
    "usage_unit",
    "provider",
    "charge_category",
    "source",
    "cost_column",
    "ts_assumed_utc",
    "problem",
)

#: Column order of the normalised metrics frame.
METRICS_COLUMNS = ("ts", "metric", "value", "unit", "dimensions", "source")

#: Aggregated sources whose rows were filtered by tag at the source (a saved Cost Explorer
#: response): their rows carry null tags and pass any tag filter, and the result says so.
PREFILTERED_SOURCES = ("cost-explorer",)

#: Suffix on ``cost_column`` for an amount the provider marks as not final (Cost Explorer's
#: ``Estimated: true`` bucket, e.g. today's): a window it overlaps is not covered yet.
ESTIMATED_SUFFIX = " (estimated)"

_MANGLE = re.compile(r"[^a-z0-9]+")


def as_utc(ts: datetime) -> datetime:
    """A datetime in UTC; a naive one *is* UTC (never the machine's local time).

    Every reader and attribution take a naive window this way, so a window passed to Cost
    Explorer or Athena selects the same hours that attribution then prorates.
    """
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def tags_dtype() -> pl.DataType:
    """``List(Struct{key: String, value: String})``: how tags and dimensions are stored."""
    import polars as pl

    return pl.List(pl.Struct({"key": pl.String, "value": pl.String}))


def billing_schema() -> dict[str, pl.DataType]:
    """The billing frame's schema, column → dtype, in order."""
    import polars as pl

    ts = pl.Datetime("us", "UTC")
    return {
        "charge_start": ts,
        "charge_end": ts,
        "cost": pl.Float64(),
        "currency": pl.String(),
        "service": pl.String(),
        "resource_id": pl.String(),
        "tags": tags_dtype(),
        "usage_quantity": pl.Float64(),
        "usage_unit": pl.String(),
        "provider": pl.String(),
        "charge_category": pl.String(),
        "source": pl.String(),
        "cost_column": pl.String(),
        "ts_assumed_utc": pl.Boolean(),
        "problem": pl.String(),
    }


def metrics_schema() -> dict[str, pl.DataType]:
    """The metrics frame's schema, column → dtype, in order."""
    import polars as pl

    return {
        "ts": pl.Datetime("us", "UTC"),
        "metric": pl.String(),
        "value": pl.Float64(),
        "unit": pl.String(),
        "dimensions": tags_dtype(),
        "source": pl.String(),
    }


def metrics_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    """Metric points (dicts of the metrics columns) as the metrics frame, by metric and time."""
    import polars as pl

    return pl.DataFrame(records, schema=metrics_schema()).sort("metric", "ts")


def empty_billing() -> pl.LazyFrame:
    """A billing frame with no rows (and the right schema)."""
    import polars as pl

    return pl.LazyFrame(schema=billing_schema())


def athena_mangle(key: str) -> str:
    """How legacy CUR in Athena spells a tag key in a column name: lowercase, runs of others → ``_``."""
    return _MANGLE.sub("_", key.lower()).strip("_")


def tag_pairs(tags: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """A mapping as the stored list of ``{key, value}``; ``True`` (a valueless tag) becomes ``"true"``."""
    if not tags:
        return []
    out = []
    for key, value in tags.items():
        if value is None:
            continue
        text = "true" if value is True else "false" if value is False else str(value)
        out.append({"key": str(key), "value": text})
    return out


def _tags_object(text: str | None) -> tuple[bool, dict[str, Any] | None]:
    """(readable, the object): a null/empty/``NULL`` cell is readable and carries no tags."""
    if text is None:
        return True, None
    text = text.strip()
    if not text or text.upper() == "NULL":
        return True, None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return False, None
    return (True, data) if isinstance(data, dict) else (False, None)


def parse_tags_json(text: str | None) -> list[dict[str, str]] | None:
    """Parse a FOCUS ``Tags`` JSON object string; ``None`` for null/empty/unparseable.

    An unparseable cell is not "no tags": :func:`tags_unreadable` flags it, and the reader turns
    it into the row's ``problem``.
    """
    _, data = _tags_object(text)
    return None if data is None else tag_pairs(data)


def tags_unreadable(series: pl.Series) -> pl.Series:
    """True for each cell that holds text but not a JSON object (e.g. ``{'poc': 'a'}``)."""
    import polars as pl

    uniq = series.unique().to_list()
    lookup = pl.DataFrame(
        {"k": uniq, "bad": [not _tags_object(u)[0] for u in uniq]},
        schema={"k": pl.String, "bad": pl.Boolean},
    )
    frame = series.cast(pl.String).to_frame("k")
    joined = frame.join(lookup, on="k", how="left", nulls_equal=True, maintain_order="left")
    return joined["bad"].fill_null(False).alias(series.name)


def finite_number(col: str) -> tuple[pl.Expr, pl.Expr]:
    """``col`` as Float64 (null when unreadable), and true where a value is present but is not a
    finite number (text such as ``abc``, ``NaN``, ``Inf``): such a cost would turn a total into
    NaN or be summed as nothing."""
    import polars as pl

    value = pl.col(col).cast(pl.Float64, strict=False)
    bad = pl.col(col).is_not_null() & (value.is_null() | value.is_finite().not_())
    return value, bad.fill_null(True)


def row_problem(checks: list[tuple[pl.Expr, str, str | None]]) -> pl.Expr:
    """The ``problem`` column: ``FILE row N: COLUMN is VALUE, WHY`` for the first failing check.

    Each check is (failing-row expression, column name, why); the value shown is the cell's text.
    Needs the ``_file``/``_row`` columns that :meth:`ReadContext.scan` adds.
    """
    import polars as pl

    expr = pl.lit(None, pl.String)
    for bad, col, why in reversed(checks):
        text = pl.col(col).cast(pl.String).str.slice(0, 80)
        msg = pl.format(
            "{} row {}: {} is {}, " + (why or "not a finite number"),
            pl.col("_file"),
            pl.col("_row"),
            pl.lit(col),
            text,
        )
        expr = pl.when(bad).then(msg).otherwise(expr)
    return expr


def json_tags_to_list(series: pl.Series) -> pl.Series:
    """Turn a column of JSON object strings into the stored tags layout.

    Exports repeat few distinct tag sets across many rows, so each distinct string is parsed once
    and the result joined back in row order.
    """
    import polars as pl

    dtype = tags_dtype()
    uniq = series.unique().to_list()
    lookup = pl.DataFrame(
        {"k": uniq, "v": [parse_tags_json(u) for u in uniq]},
        schema={"k": pl.String, "v": dtype},
    )
    frame = series.cast(pl.String).to_frame("k")
    joined = frame.join(lookup, on="k", how="left", nulls_equal=True, maintain_order="left")
    return joined["v"].alias(series.name)


def tags_to_dict(pairs: list[dict[str, str]] | None) -> dict[str, str]:
    """The stored list of ``{key, value}`` back as a dict (for display and JSON)."""
    return {p["key"]: p["value"] for p in pairs or [] if p is not None}


def tag_filter(tags: Mapping[str, str]) -> pl.Expr:
    """Expression that is true for rows carrying *every* ``key=value`` in ``tags``.

    Keys are matched exactly, except rows of a saved Cost Explorer response (null tags: the saved
    query's filter applies, and attribution says so), and in rows from legacy CUR in Athena form, whose column names
    lowercase the key and replace other characters with ``_`` (``Cost Center`` → ``cost_center``).

    >>> lf.filter(tag_filter({"poc": "checkout-async"}))   # doctest: +SKIP
    """
    import polars as pl

    expr = pl.lit(True)
    for key, value in tags.items():
        el = pl.element().struct
        exact = (
            pl.col("tags")
            .list.eval((el.field("key") == key) & (el.field("value") == str(value)))
            .list.any()
        )
        mangled = (
            pl.col("tags")
            .list.eval((el.field("key") == athena_mangle(key)) & (el.field("value") == str(value)))
            .list.any()
        )
        match = (
            pl.when(pl.col("tags").is_null() & pl.col("source").is_in(PREFILTERED_SOURCES))
            .then(pl.lit(True))
            .when(pl.col("source") == "cur-athena")
            .then(mangled)
            .otherwise(exact)
        )
        expr = expr & match.fill_null(False)
    return expr


def parse_timestamp(col: str) -> pl.Expr:
    """Parse an ISO-8601 string column to UTC; an offset is honoured, a naive value is taken as UTC."""
    import polars as pl

    text = pl.col(col).cast(pl.String).str.strip_chars().str.replace(r"Z$", "+00:00")
    return text.str.to_datetime(time_unit="us", time_zone="UTC", strict=True)


def to_utc(col: str, dtype: pl.DataType) -> pl.Expr:
    """Bring a column to ``Datetime(us, UTC)`` from a string, naive or zoned datetime, or date."""
    import polars as pl

    if dtype == pl.String:
        return parse_timestamp(col)
    if isinstance(dtype, pl.Datetime):
        expr = pl.col(col).cast(pl.Datetime("us", dtype.time_zone))
        if dtype.time_zone is None:
            return expr.dt.replace_time_zone("UTC")
        return expr.dt.convert_time_zone("UTC")
    if dtype == pl.Date:
        return pl.col(col).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    return parse_timestamp(col)


def looks_naive(sample: str | None) -> bool:
    """True when an ISO timestamp string carries no offset (``Z`` or ``±HH:MM``)."""
    if not sample:
        return False
    return re.search(r"(Z|[+-]\d\d:?\d\d)$", sample.strip()) is None
