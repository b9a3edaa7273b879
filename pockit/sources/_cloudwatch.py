"""CloudWatch ``GetMetricData`` -> the metrics frame; the ``cloudwatch`` metric source.

``GetMetricData`` returns at most 100,800 datapoints per call and pages with ``NextToken``; it
takes at most 500 queries per call. Percentile statistics (``p95``) are passed through as ``Stat``;
moto, used in the tests, computes only Sum/Average/Minimum/Maximum/SampleCount.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pockit._errors import UsageError
from pockit.sources._aws import aws_errors, client
from pockit.sources._frame import as_utc, metrics_frame, tag_pairs
from pockit.sources._registry import MetricsRequest, register_metrics_reader

if TYPE_CHECKING:
    import polars as pl

    from pockit.spec import MetricSource

#: GetMetricData limits per call.
CW_MAX_DATAPOINTS = 100_800
CW_MAX_QUERIES = 500
MAX_PAGES = 1000


#: What GetMetricData accepts as a query ``Id`` (botocore refuses anything else, after the load).
CW_ID = re.compile(r"^[a-z][a-zA-Z0-9_]{0,254}$")


def cloudwatch_id(text: str, n: int) -> str:
    """A GetMetricData ``Id`` made from any name (``5xx_rate`` → ``m5xx_rate``, ``p95-ms`` → ``p95_ms``).

    The metric keeps its own name as the label; the id is only the request's key and is mapped
    back to the name when the results arrive.
    """
    safe = re.sub(r"[^a-zA-Z0-9_]", "_", text)[:240]
    if not safe or not ("a" <= safe[0] <= "z"):
        safe = f"m{safe or n}"
    return safe


def _cw_query(q: Mapping[str, Any], n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A pockit query dict (or a raw MetricDataQuery with ``Id``) → (MetricDataQuery, its metadata)."""
    if "Id" in q:
        if not CW_ID.match(str(q["Id"])):
            raise UsageError(
                f"CloudWatch query {n}: Id {q['Id']!r} must match {CW_ID.pattern} (a lowercase "
                "letter, then letters, digits, _); or give a pockit query (id, namespace, metric) "
                "and pockit makes the id"
            )
        return dict(q), {"name": q.get("Label") or q["Id"], "unit": None, "dimensions": {}}
    missing = [k for k in ("namespace", "metric") if k not in q]
    if missing:
        raise UsageError(
            f"CloudWatch query {n}: missing {', '.join(missing)} (keys: id, namespace, metric, dimensions, stat, period, unit)"
        )
    stat = str(q.get("stat", "Average"))
    qid = cloudwatch_id(str(q.get("id") or f"q{n}"), n)
    dims = {str(k): str(v) for k, v in (q.get("dimensions") or {}).items()}
    stat_block: dict[str, Any] = {
        "Metric": {
            "Namespace": q["namespace"],
            "MetricName": q["metric"],
            "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
        },
        "Period": int(q.get("period", 60)),
        "Stat": stat,
    }
    if q.get("unit"):
        stat_block["Unit"] = q["unit"]
    label = str(q.get("label") or f"{q['metric']}:{stat}")
    return (
        {"Id": qid, "MetricStat": stat_block, "Label": label, "ReturnData": True},
        {
            "name": label,
            "unit": q.get("unit"),
            "dimensions": {"Namespace": str(q["namespace"]), **dims},
        },
    )


def cloudwatch_records(
    results: Sequence[Mapping[str, Any]], meta: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Rows of ``MetricDataResults`` (``meta`` maps query id → name, unit, dimensions)."""
    records = []
    for res in results:
        info = meta.get(res["Id"], {})
        name = info.get("name") or res.get("Label") or res["Id"]
        dims = tag_pairs(info.get("dimensions") or {})
        for ts, value in zip(res.get("Timestamps", []), res.get("Values", []), strict=False):
            when = (
                ts
                if isinstance(ts, datetime)
                else datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
            )
            records.append(
                {
                    "ts": as_utc(when),
                    "metric": name,
                    "value": float(value),
                    "unit": info.get("unit"),
                    "dimensions": dims,
                    "source": "cloudwatch",
                }
            )
    return records


def fetch_cloudwatch(
    queries: Sequence[Mapping[str, Any]],
    *,
    start: datetime,
    end: datetime,
    cw_client: Any = None,
    max_datapoints: int = CW_MAX_DATAPOINTS,
) -> pl.DataFrame:
    """``GetMetricData`` for several queries, following ``NextToken``; metrics frame.

    A query is ``{"id": "p95", "namespace": "AWS/Lambda", "metric": "Duration",
    "dimensions": {"FunctionName": "checkout"}, "stat": "p95", "period": 60, "unit": "Milliseconds"}``
    or a raw ``MetricDataQuery`` (with ``Id``).
    """
    if not queries:
        raise UsageError("CloudWatch: give at least one query")
    built = [_cw_query(q, n) for n, q in enumerate(queries)]
    seen: set[str] = set()
    for n, (query, _info) in enumerate(built):
        if query["Id"] in seen and "id" in queries[n] and "Id" not in queries[n]:
            query["Id"] = f"{query['Id']}_{n}"  # two names that made the same safe id
        seen.add(query["Id"])
    ids = [b[0]["Id"] for b in built]
    if len(set(ids)) != len(ids):
        raise UsageError(f"CloudWatch query ids must be unique: {', '.join(ids)}")
    meta = {b[0]["Id"]: b[1] for b in built}
    cw = cw_client or client("cloudwatch")
    records: list[dict[str, Any]] = []
    with aws_errors("CloudWatch GetMetricData"):
        for i in range(0, len(built), CW_MAX_QUERIES):
            chunk = [b[0] for b in built[i : i + CW_MAX_QUERIES]]
            token: str | None = None
            for _ in range(MAX_PAGES):
                kwargs: dict[str, Any] = {
                    "MetricDataQueries": chunk,
                    "StartTime": as_utc(start),
                    "EndTime": as_utc(end),
                    "ScanBy": "TimestampAscending",
                    "MaxDatapoints": min(max_datapoints, CW_MAX_DATAPOINTS),
                }
                if token:
                    kwargs["NextToken"] = token
                page = cw.get_metric_data(**kwargs)
                records.extend(cloudwatch_records(page.get("MetricDataResults", []), meta))
                token = page.get("NextToken")
                if not token:
                    break
    return metrics_frame(records)


def _from_spec(src: MetricSource, candidate: str, start: datetime, end: datetime) -> MetricsRequest:
    query: dict[str, Any] = {
        "id": src.name,  # fetch_cloudwatch makes a GetMetricData-safe id of it
        "label": src.name,
        "namespace": src.namespace,
        "metric": src.metric_name,
        "dimensions": dict(src.dimensions),
        "stat": src.stat,
        "period": max(1, int(src.step_s)),
    }
    return MetricsRequest(source="cloudwatch", start=start, end=end, queries=[query])


@register_metrics_reader(
    "cloudwatch",
    description="CloudWatch GetMetricData (source 'cloudwatch'), with queries",
    selects=lambda source: source == "cloudwatch",
    from_spec=_from_spec,
)
def read_cloudwatch(req: MetricsRequest) -> pl.DataFrame:
    if not req.queries or req.start is None or req.end is None:
        raise UsageError("CloudWatch needs queries=, start= and end=")
    return fetch_cloudwatch(req.queries, start=req.start, end=req.end)
