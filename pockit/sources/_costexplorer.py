"""AWS Cost Explorer ``GetCostAndUsage`` → the billing frame.

Cost Explorer aggregates: one row per time bucket (HOURLY or DAILY) and service, already filtered
by the tags, so rows carry no resource id and their tags are the filter's. boto3 has no paginator
for this call, so ``NextPageToken`` is followed by hand. Hourly granularity covers only the last
14 days and must be enabled in the account; DAILY always works.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from pockit._errors import SourceError, UsageError
from pockit.sources._aws import aws_errors, client
from pockit.sources._frame import ESTIMATED_SUFFIX, as_utc, billing_schema, tag_pairs
from pockit.sources._registry import ReadContext, register_reader

if TYPE_CHECKING:
    import polars as pl

#: --cost choice → Cost Explorer metric. CE has no list-price metric.
CE_METRICS = {
    "billed": "UnblendedCost",
    "unblended": "UnblendedCost",
    "effective": "AmortizedCost",
    "net": "NetUnblendedCost",
}
GRANULARITIES = ("HOURLY", "DAILY")
#: Safety stop for a paging loop that never ends (a server that repeats its token).
MAX_PAGES = 1000


def _period(ts: datetime, granularity: str, *, ceil: bool) -> str:
    ts = as_utc(ts)  # a naive window is UTC, as attribution takes it (not the machine's zone)
    if granularity == "DAILY":
        day = ts.replace(hour=0, minute=0, second=0, microsecond=0)
        if ceil and day < ts:
            day += timedelta(days=1)
        return day.strftime("%Y-%m-%d")
    hour = ts.replace(minute=0, second=0, microsecond=0)
    if ceil and hour < ts:
        hour += timedelta(hours=1)
    return hour.strftime("%Y-%m-%dT%H:%M:%SZ")


def tag_expression(tags: Mapping[str, str]) -> dict[str, Any] | None:
    """Cost Explorer filter for ``tags`` (all must match); None when there are none."""
    parts = [
        {"Tags": {"Key": k, "Values": [v], "MatchOptions": ["EQUALS"]}} for k, v in tags.items()
    ]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"And": parts}


def _parse_time(text: str) -> datetime:
    ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def fetch_cost_explorer(
    start: datetime,
    end: datetime,
    *,
    tags: Mapping[str, str] | None = None,
    column: str = "effective",
    granularity: str = "DAILY",
    group_by_service: bool = True,
    ce_client: Any = None,
) -> pl.DataFrame:
    """Call ``GetCostAndUsage`` for [start, end) and the tags, following every page; billing frame."""
    import polars as pl

    granularity = granularity.upper()
    if granularity not in GRANULARITIES:
        raise UsageError(
            f"Cost Explorer granularity {granularity!r} is not one of {', '.join(GRANULARITIES)}"
        )
    metric = CE_METRICS.get(column)
    if metric is None:
        raise UsageError(
            f"Cost Explorer has no {column!r} cost; use one of {', '.join(CE_METRICS)}"
        )
    ce = ce_client or client("ce", region="us-east-1")
    request: dict[str, Any] = {
        "TimePeriod": {
            "Start": _period(start, granularity, ceil=False),
            "End": _period(end, granularity, ceil=True),
        },
        "Granularity": granularity,
        "Metrics": [metric, "UsageQuantity"],
    }
    expr = tag_expression(tags or {})
    if expr:
        request["Filter"] = expr
    if group_by_service:
        request["GroupBy"] = [{"Type": "DIMENSION", "Key": "SERVICE"}]
    records: list[dict[str, Any]] = []
    pairs = tag_pairs(tags)
    token: str | None = None
    with aws_errors("Cost Explorer GetCostAndUsage"):
        for _ in range(MAX_PAGES):
            page = ce.get_cost_and_usage(**request, **({"NextPageToken": token} if token else {}))
            records.extend(page_records(page, metric, pairs))
            token = page.get("NextPageToken")
            if not token:
                break
        else:
            raise SourceError(
                f"Cost Explorer kept returning pages after {MAX_PAGES}; narrow the window"
            )
    return pl.DataFrame(records, schema=billing_schema())


def _amount(value: Any, where: str) -> float:
    """A response's ``Amount`` as a finite number; SourceError naming where it is otherwise."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise SourceError(f"{where} is {value!r}, not a finite number")
    return number


def page_records(
    page: Mapping[str, Any], metric: str, pairs: list[dict[str, str]], origin: str = "Cost Explorer"
) -> list[dict[str, Any]]:
    """Billing rows of one ``GetCostAndUsage`` response page (groups, or the total when ungrouped).

    An amount that is not a finite number raises SourceError naming ``origin``, the bucket and the
    service: it would otherwise make the total NaN.
    """
    records: list[dict[str, Any]] = []
    for b, bucket in enumerate(page.get("ResultsByTime", [])):
        t0 = _parse_time(bucket["TimePeriod"]["Start"])
        t1 = _parse_time(bucket["TimePeriod"]["End"])
        # An Estimated bucket (the current day or month) has not closed: its amount will still
        # grow, so it is marked in cost_column and attribute_cost reports the window uncovered.
        label = metric + (ESTIMATED_SUFFIX if bucket.get("Estimated") else "")
        groups = bucket.get("Groups") or []
        items = [(g.get("Keys", ["(total)"])[0], g.get("Metrics", {})) for g in groups]
        if not groups and bucket.get("Total"):
            items = [("(total)", bucket["Total"])]
        for service, metrics in items:
            cost = metrics.get(metric)
            if cost is None:
                continue
            usage = metrics.get("UsageQuantity") or {}
            where = f"{origin}: ResultsByTime[{b}] ({bucket['TimePeriod']['Start']}) {service!r}"
            amount = _amount(cost.get("Amount"), f"{where} {metric} Amount")
            quantity = usage.get("Amount")
            records.append(
                {
                    "charge_start": t0,
                    "charge_end": t1,
                    "cost": amount,
                    "currency": cost.get("Unit"),
                    "service": service,
                    "resource_id": None,
                    "tags": pairs,
                    "usage_quantity": _amount(quantity, f"{where} UsageQuantity Amount")
                    if quantity
                    else None,
                    "usage_unit": usage.get("Unit"),
                    "provider": "AWS",
                    "charge_category": "Usage",
                    "source": "cost-explorer",
                    "cost_column": label,
                    "ts_assumed_utc": False,
                }
            )
    return records


@register_reader(
    "cost-explorer",
    description="AWS Cost Explorer GetCostAndUsage (source 'cost-explorer' or 'cost-explorer://?granularity=HOURLY')",
    scheme="cost-explorer",
    costs=tuple(CE_METRICS),
)
def read_cost_explorer(ctx: ReadContext) -> pl.LazyFrame:
    """The API reader: needs the window (``--start``/``--end`` or the run's)."""
    if ctx.start is None or ctx.end is None:
        raise UsageError(
            "cost-explorer needs a window: give --start and --end (or --attach RUN_DIR)"
        )
    query = parse_qs(urlparse(ctx.source).query)
    granularity = query.get("granularity", ["DAILY"])[0]
    frame = fetch_cost_explorer(
        ctx.start, ctx.end, tags=ctx.tags, column=ctx.column, granularity=granularity
    )
    return frame.lazy()


@register_reader(
    "cost-explorer-json",
    description="a saved GetCostAndUsage response (one page, or a JSON list of pages), *.json",
    suffix=".json",
    costs=tuple(CE_METRICS),
)
def read_cost_explorer_json(ctx: ReadContext) -> pl.LazyFrame:
    """A Cost Explorer response saved to a file (``aws ce get-cost-and-usage > ce.json``)."""
    import json

    import polars as pl

    path = ctx.files[0]
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SourceError(f"{path}: not a JSON file ({exc})") from None
    pages = data if isinstance(data, list) else [data]
    if not pages or not all(isinstance(p, dict) and "ResultsByTime" in p for p in pages):
        raise SourceError(
            f"{path}: not a Cost Explorer GetCostAndUsage response (no 'ResultsByTime')"
        )
    metric = CE_METRICS[ctx.column]
    present = {
        m
        for p in pages
        for b in p["ResultsByTime"]
        for g in (b.get("Groups") or [{"Metrics": b.get("Total", {})}])
        for m in g.get("Metrics", {})
    }
    if present and metric not in present:
        raise SourceError(
            f"{path}: the response has no {metric} metric (it has {', '.join(sorted(present))}); pick --cost accordingly"
        )
    # The file does not say which tag filter produced it: rows carry null tags (see tag_filter).
    records = [
        {**r, "tags": None}
        for n, p in enumerate(pages)
        for r in page_records(p, metric, [], f"{path}" + (f" page {n}" if len(pages) > 1 else ""))
    ]
    return pl.DataFrame(records, schema=billing_schema()).lazy()
