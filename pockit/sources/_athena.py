"""Billing through Athena: a parameterised query over a CUR table for the window and tags.

This is how pockit goes past one machine's memory: the scan and the filter run in Athena and only
the matching line items come back. Source form::

    athena://DATABASE.TABLE?output=s3://bucket/athena-results/&workgroup=primary&schema=cur2

``schema=cur2`` (default) reads ``resource_tags['user_<key>']``; ``schema=legacy`` reads the legacy
CUR table's ``resource_tags_user_<key>`` columns. Values travel as ``ExecutionParameters``; only the
table and tag column names are spliced into the SQL, after checking they are plain identifiers.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from pockit._errors import SourceError, UsageError
from pockit.sources._aws import aws_errors, client
from pockit.sources._frame import (
    as_utc,
    athena_mangle,
    billing_schema,
    finite_number,
    parse_timestamp,
    tag_pairs,
)
from pockit.sources._registry import ReadContext, register_reader

if TYPE_CHECKING:
    import polars as pl

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: How often and how long to wait for a query to finish.
POLL_S = 0.5
TIMEOUT_S = 600.0

_COST_SQL = {
    "billed": "line_item_unblended_cost",
    "unblended": "line_item_unblended_cost",
    "net": "line_item_net_unblended_cost",
    "list": "pricing_public_on_demand_cost",
    "effective": "line_item_unblended_cost",  # built per table by effective_cost_sql
}

_SP_COLUMNS = (
    "savings_plan_savings_plan_effective_cost",
    "savings_plan_total_commitment_to_date",
    "savings_plan_used_commitment",
)
_RI_COLUMNS = (
    "reservation_effective_cost",
    "reservation_unused_amortized_upfront_fee_for_billing_period",
    "reservation_unused_recurring_fee",
    "reservation_reservation_a_r_n",
)


def effective_cost_sql(columns: Collection[str] | None, notes: list[str]) -> str:
    """The amortized ("effective") cost as SQL, the same rules as the local CUR reader.

    Savings Plan and reservation clauses are written only when the table has their columns (a
    legacy CUR table gains them only once the account buys one; referencing a missing column fails
    the query). With the columns unknown, the unblended cost is used and ``notes`` says so.
    """
    if columns is None:
        notes.append(
            "the Athena table's columns could not be read from the Glue catalog, so the amortized "
            "cost could not be built: line_item_unblended_cost is used (RI/Savings Plan fees are "
            "not amortized); allow glue:GetTable or pick --cost unblended"
        )
        return "line_item_unblended_cost"
    have = {c.lower() for c in columns}
    clauses = []
    if all(c in have for c in _SP_COLUMNS):
        clauses += [
            " WHEN 'SavingsPlanCoveredUsage' THEN savings_plan_savings_plan_effective_cost",
            " WHEN 'SavingsPlanRecurringFee' THEN savings_plan_total_commitment_to_date - savings_plan_used_commitment",
            " WHEN 'SavingsPlanNegation' THEN 0 WHEN 'SavingsPlanUpfrontFee' THEN 0",
        ]
    if all(c in have for c in _RI_COLUMNS):
        clauses += [
            " WHEN 'DiscountedUsage' THEN reservation_effective_cost",
            " WHEN 'RIFee' THEN reservation_unused_amortized_upfront_fee_for_billing_period + reservation_unused_recurring_fee",
            # the RI's upfront fee is amortized into DiscountedUsage/RIFee rows: counting it too doubles it
            " WHEN 'Fee' THEN CASE WHEN coalesce(reservation_reservation_a_r_n, '') <> '' THEN 0"
            " ELSE line_item_unblended_cost END",
        ]
    if not clauses:
        return "line_item_unblended_cost"
    return "CASE line_item_line_item_type" + "".join(clauses) + " ELSE line_item_unblended_cost END"


def billing_months(start: datetime, end: datetime) -> list[tuple[int, int]]:
    """(year, month) of every billing period [start, end) touches, in UTC."""
    lo = as_utc(start)
    hi = as_utc(end) - timedelta(microseconds=1)
    months = []
    y, m = lo.year, lo.month
    while (y, m) <= (hi.year, hi.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def table_columns(database: str, table: str, *, glue_client: Any = None) -> set[str] | None:
    """The table's column and partition-key names from the Glue catalog; None when unreadable."""
    import botocore.exceptions as bex

    glue = glue_client or client("glue")
    try:
        found = glue.get_table(DatabaseName=database, Name=table)["Table"]
    except (bex.ClientError, bex.BotoCoreError):
        return None
    cols = found.get("StorageDescriptor", {}).get("Columns", []) + found.get("PartitionKeys", [])
    return {str(c["Name"]).lower() for c in cols}


def _ident(name: str, what: str) -> str:
    if not _IDENT.match(name):
        raise UsageError(f"Athena {what} {name!r} is not a plain identifier (letters, digits, _)")
    return name


def build_query(
    database: str,
    table: str,
    *,
    start: datetime,
    end: datetime,
    tags: Mapping[str, str],
    column: str,
    schema: str,
    columns: Collection[str] | None = None,
    notes: list[str] | None = None,
) -> tuple[str, list[str]]:
    """SQL and its ExecutionParameters (SQL literals) for the window and tags.

    ``columns`` (from :func:`table_columns`) decides the amortized-cost clauses and the partition
    predicate: ``billing_period`` (CUR 2.0) or ``year``/``month`` (legacy CUR) limited to the
    window's months, so Athena scans those partitions only. ``notes`` collects what was assumed.
    """
    notes = notes if notes is not None else []
    cost = effective_cost_sql(columns, notes) if column == "effective" else _COST_SQL[column]
    where = [
        "line_item_usage_start_date < from_iso8601_timestamp(?)",
        "line_item_usage_end_date > from_iso8601_timestamp(?)",
    ]
    # a naive window is UTC, as attribution takes it (astimezone would read it as local time)
    params = [_lit(as_utc(end).isoformat()), _lit(as_utc(start).isoformat())]
    have = {c.lower() for c in columns or ()}
    months = billing_months(start, end)
    if "billing_period" in have:
        where.append(f"billing_period IN ({', '.join('?' for _ in months)})")
        params += [_lit(f"{y:04d}-{m:02d}") for y, m in months]
    elif {"year", "month"} <= have:
        parts = []
        for y, m in months:
            parts.append("(year = ? AND month IN (?, ?))")
            params += [_lit(str(y)), _lit(str(m)), _lit(f"{m:02d}")]
        where.append(f"({' OR '.join(parts)})")
    for key, value in tags.items():
        if schema == "cur2":
            where.append("element_at(resource_tags, ?) = ?")
            params += [_lit(f"user_{key}"), _lit(value)]
        else:
            where.append(f"{_ident('resource_tags_user_' + athena_mangle(key), 'tag column')} = ?")
            params.append(_lit(value))
    sql = (
        "SELECT line_item_usage_start_date, line_item_usage_end_date, "
        f"{cost} AS cost, line_item_currency_code, line_item_product_code, line_item_resource_id, "
        "line_item_usage_amount, pricing_unit, line_item_line_item_type "
        f'FROM "{_ident(database, "database")}"."{_ident(table, "table")}" '
        f"WHERE {' AND '.join(where)}"
    )
    return sql, params


def _lit(value: str) -> str:
    """A SQL string literal for an ExecutionParameter (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def query_athena(
    database: str,
    table: str,
    *,
    start: datetime,
    end: datetime,
    tags: Mapping[str, str] | None = None,
    column: str = "effective",
    output: str | None = None,
    workgroup: str | None = None,
    schema: str = "cur2",
    athena_client: Any = None,
    glue_client: Any = None,
    timeout_s: float = TIMEOUT_S,
    notes: list[str] | None = None,
) -> pl.DataFrame:
    """Run the CUR query in Athena, wait for it, page through the results; billing frame.

    The table's columns are read from the Glue catalog first (see :func:`build_query`); what had
    to be assumed is appended to ``notes``.
    """
    import polars as pl

    if schema not in ("cur2", "legacy"):
        raise UsageError(f"Athena schema {schema!r} is not cur2 or legacy")
    if column not in _COST_SQL:
        raise UsageError(f"Athena: cost {column!r} is not one of {', '.join(_COST_SQL)}")
    notes = notes if notes is not None else []
    columns = table_columns(database, table, glue_client=glue_client)
    sql, params = build_query(
        database,
        table,
        start=start,
        end=end,
        tags=tags or {},
        column=column,
        schema=schema,
        columns=columns,
        notes=notes,
    )
    label = column
    if column == "effective":
        label = (
            "amortized (Athena CASE over line_item_line_item_type)"
            if columns is not None
            else "line_item_unblended_cost (not amortized: the table's columns were unreadable)"
        )
    athena = athena_client or client("athena")
    request: dict[str, Any] = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": database},
        "ExecutionParameters": params,
    }
    if output:
        request["ResultConfiguration"] = {"OutputLocation": output}
    if workgroup:
        request["WorkGroup"] = workgroup
    where = f"Athena query on {database}.{table}"
    with aws_errors(where):
        qid = athena.start_query_execution(**request)["QueryExecutionId"]
        deadline = time.monotonic() + timeout_s
        while True:
            status = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
            state = status.get("State")
            if state == "SUCCEEDED":
                break
            if state in ("FAILED", "CANCELLED"):
                reason = status.get("StateChangeReason", "no reason given")
                raise SourceError(f"{where} {state.lower()}: {reason}")
            if time.monotonic() > deadline:
                athena.stop_query_execution(QueryExecutionId=qid)
                raise SourceError(f"{where} did not finish in {timeout_s:.0f} s; stopped it")
            time.sleep(POLL_S)
        names: list[str] = []
        values: list[list[str | None]] = []
        token: str | None = None
        first = True
        while True:
            page = athena.get_query_results(
                QueryExecutionId=qid, **({"NextToken": token} if token else {})
            )
            result = page.get("ResultSet", {})
            if not names:
                names = [
                    c.get("Name") or c.get("Label")
                    for c in result.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                ]
            rows = result.get("Rows", [])
            for n, row in enumerate(rows):
                cells = [d.get("VarCharValue") for d in row.get("Data", [])]
                if first and n == 0 and (not names or cells == names):
                    names = names or [str(c) for c in cells]
                    continue  # Athena's first row of the first page is the header
                values.append(cells)
            first = False
            token = page.get("NextToken")
            if not token:
                break
    pairs = tag_pairs(tags)
    if not values:
        return pl.DataFrame(schema=billing_schema())
    raw = pl.DataFrame(values, schema=names, orient="row")
    cost, bad_cost = finite_number("cost")
    broken = raw.with_row_index("_row", offset=1).filter(bad_cost)
    if broken.height:
        head = broken.row(0, named=True)
        raise SourceError(
            f"{where}: result row {head['_row']} ({head.get('line_item_product_code')}, "
            f"{head.get('line_item_usage_start_date')}): cost is {head['cost']!r}, not a finite "
            f"number; {broken.height} such row(s) in all"
        )

    def ts(col: str) -> pl.Expr:
        return parse_timestamp(col)

    frame = raw.select(
        ts("line_item_usage_start_date").alias("charge_start"),
        ts("line_item_usage_end_date").alias("charge_end"),
        cost.alias("cost"),
        pl.col("line_item_currency_code").alias("currency"),
        pl.col("line_item_product_code").alias("service"),
        pl.col("line_item_resource_id").replace("", None).alias("resource_id"),
        pl.lit(pairs, dtype=pl.List(pl.Struct({"key": pl.String, "value": pl.String}))).alias(
            "tags"
        ),
        pl.col("line_item_usage_amount").cast(pl.Float64).alias("usage_quantity"),
        pl.col("pricing_unit").alias("usage_unit"),
        pl.lit("AWS").alias("provider"),
        pl.col("line_item_line_item_type")
        .replace_strict(
            {
                "Tax": "Tax",
                "Credit": "Credit",
                "Refund": "Credit",
                "Fee": "Purchase",
                "RIFee": "Purchase",
            },
            default="Usage",
            return_dtype=pl.String,
        )
        .alias("charge_category"),
        pl.lit("athena").alias("source"),
        pl.lit(label).alias("cost_column"),
        pl.lit(False).alias("ts_assumed_utc"),
    )
    return frame


@register_reader(
    "athena",
    description="a CUR table queried through Athena (athena://DATABASE.TABLE?output=s3://...&schema=cur2|legacy)",
    scheme="athena",
    costs=tuple(_COST_SQL),
)
def read_athena(ctx: ReadContext) -> pl.LazyFrame:
    """The API reader: parses ``athena://DATABASE.TABLE?...`` and queries the window and tags."""
    if ctx.start is None or ctx.end is None:
        raise UsageError("athena needs a window: give --start and --end (or --attach RUN_DIR)")
    url = urlparse(ctx.source)
    database, _, table = url.netloc.partition(".")
    if not database or not table:
        raise UsageError(
            f"{ctx.source}: expected athena://DATABASE.TABLE?output=s3://bucket/prefix/"
        )
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    frame = query_athena(
        database,
        table,
        start=ctx.start,
        end=ctx.end,
        tags=ctx.tags,
        column=ctx.column,
        output=q.get("output"),
        workgroup=q.get("workgroup"),
        schema=q.get("schema", "cur2"),
    )
    return frame.lazy()
