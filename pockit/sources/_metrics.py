"""Server-side metrics → the metrics frame: CloudWatch ``GetMetricData`` and Prometheus ``query_range``.

``read_metrics(source, ...)`` picks by the source:

* ``http://`` / ``https://`` — a live Prometheus server; ``query`` is PromQL, evaluated every ``step_s``.
* ``cloudwatch`` — ``GetMetricData`` with ``queries`` (see :func:`fetch_cloudwatch`).
* a ``.json`` file — a saved Prometheus ``query_range`` response or a saved ``GetMetricData`` response.

Prometheus returns at most 11,000 points per series per call, so long ranges are fetched in
slices. ``GetMetricData`` returns at most 100,800 datapoints per call and pages with ``NextToken``;
it takes at most 500 queries per call. Percentile statistics (``p95``) are passed through as
``Stat``; moto, used in the tests, computes only Sum/Average/Minimum/Maximum/SampleCount.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pockit._errors import SourceError, UsageError
from pockit.sources._aws import aws_errors, client
from pockit.sources._frame import metrics_schema, tag_pairs

if TYPE_CHECKING:
    import polars as pl

#: Prometheus refuses query_range calls that would return more points than this per series.
PROM_MAX_POINTS = 11_000
#: GetMetricData limits per call.
CW_MAX_DATAPOINTS = 100_800
CW_MAX_QUERIES = 500
MAX_PAGES = 1000


def _frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    import polars as pl

    return pl.DataFrame(records, schema=metrics_schema()).sort("metric", "ts")


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


# -- Prometheus --------------------------------------------------------------------------------


def prometheus_records(
    data: Mapping[str, Any], *, name: str | None = None, query: str | None = None
) -> list[dict[str, Any]]:
    """Rows of a Prometheus API response (``matrix`` or ``vector``), whole body or its ``data``."""
    body = data.get("data", data)
    if data.get("status") == "error":
        raise SourceError(f"Prometheus error ({data.get('errorType')}): {data.get('error')}")
    kind = body.get("resultType")
    if kind not in ("matrix", "vector"):
        raise SourceError(
            f"Prometheus response has resultType {kind!r}; expected matrix (query_range) or vector"
        )
    records = []
    for series in body.get("result", []):
        labels = dict(series.get("metric", {}))
        metric = name or labels.pop("__name__", None) or query or "value"
        labels.pop("__name__", None)
        points = series.get("values") if kind == "matrix" else [series.get("value")]
        for ts, value in points or []:
            records.append(
                {
                    "ts": datetime.fromtimestamp(float(ts), tz=UTC),
                    "metric": metric,
                    "value": float(value),  # "NaN", "+Inf" parse too
                    "unit": None,
                    "dimensions": tag_pairs(labels),
                    "source": "prometheus",
                }
            )
    return records


def fetch_prometheus(
    url: str,
    query: str,
    *,
    start: datetime,
    end: datetime,
    step_s: float = 15.0,
    name: str | None = None,
    timeout_s: float = 10.0,
) -> pl.DataFrame:
    """``/api/v1/query_range`` on a live server, in slices of ≤ 11,000 points; metrics frame."""
    import requests

    if step_s <= 0:
        raise UsageError(f"step must be > 0 s, got {step_s}")
    t0, t1 = _utc(start), _utc(end)
    if t1 <= t0:
        raise UsageError(f"empty range: end {t1.isoformat()} is not after start {t0.isoformat()}")
    base = url.rstrip("/") + "/api/v1/query_range"
    span = timedelta(seconds=step_s * (PROM_MAX_POINTS - 1))
    records: list[dict[str, Any]] = []
    lo = t0
    while lo <= t1:
        hi = min(lo + span, t1)
        params: dict[str, str | float] = {
            "query": query,
            "start": lo.timestamp(),
            "end": hi.timestamp(),
            "step": step_s,
        }
        try:
            resp = requests.get(base, params=params, timeout=timeout_s)
        except requests.RequestException as exc:
            raise SourceError(
                f"cannot reach Prometheus at {url} ({exc.__class__.__name__}); is it running?"
            ) from None
        try:
            body = resp.json()
        except ValueError:
            raise SourceError(
                f"{base}: HTTP {resp.status_code}, not a Prometheus API response"
            ) from None
        if resp.status_code != 200 or body.get("status") != "success":
            raise SourceError(
                f"Prometheus rejected {query!r}: {body.get('error') or resp.status_code}"
            )
        records.extend(prometheus_records(body, name=name, query=query))
        if hi >= t1:
            break
        lo = hi + timedelta(seconds=step_s)
    return _frame(records)


# -- CloudWatch --------------------------------------------------------------------------------


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
                    "ts": _utc(when),
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
                    "StartTime": _utc(start),
                    "EndTime": _utc(end),
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
    return _frame(records)


# -- dispatch ----------------------------------------------------------------------------------


def _read_json(path: Path, *, name: str | None) -> pl.DataFrame:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SourceError(f"{path}: not a JSON file ({exc})") from None
    pages = data if isinstance(data, list) else [data]
    records: list[dict[str, Any]] = []
    for page in pages:
        if not isinstance(page, dict):
            raise SourceError(f"{path}: expected a JSON object (or a list of them)")
        if "MetricDataResults" in page:
            records.extend(cloudwatch_records(page["MetricDataResults"], {}))
        elif "data" in page or "resultType" in page:
            records.extend(prometheus_records(page, name=name))
        else:
            raise SourceError(
                f"{path}: neither a Prometheus query_range response ('data.resultType') "
                "nor a CloudWatch GetMetricData response ('MetricDataResults')"
            )
    return _frame(records)


def read_metrics(
    source: str | Path,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    query: str | None = None,
    step_s: float = 15.0,
    queries: Sequence[Mapping[str, Any]] | None = None,
    name: str | None = None,
) -> pl.DataFrame:
    """Metric points from Prometheus (URL), CloudWatch (``"cloudwatch"``) or a saved JSON response.

    Returns the metrics frame (``ts``, ``metric``, ``value``, ``unit``, ``dimensions``, ``source``)
    in memory: metric series over a test window are small.
    """
    import polars as pl

    text = str(source)
    if text.startswith(("http://", "https://")):
        if not query or start is None or end is None:
            raise UsageError("Prometheus needs query=, start= and end=")
        return fetch_prometheus(text, query, start=start, end=end, step_s=step_s, name=name)
    if text == "cloudwatch":
        if not queries or start is None or end is None:
            raise UsageError("CloudWatch needs queries=, start= and end=")
        return fetch_cloudwatch(queries, start=start, end=end)
    path = Path(text).expanduser()
    if not path.is_file():
        raise SourceError(
            f"{path}: no such metrics file (or give an http:// Prometheus URL, or 'cloudwatch')"
        )
    if path.suffix.lower() == ".parquet":
        frame = pl.read_parquet(path)
        missing = [c for c in metrics_schema() if c not in frame.columns]
        if missing:
            raise SourceError(f"{path}: not a metrics frame; lacks {', '.join(missing)}")
        return frame.select(list(metrics_schema()))
    frame = _read_json(path, name=name)
    if start is not None:
        frame = frame.filter(pl.col("ts") >= _utc(start))
    if end is not None:
        frame = frame.filter(pl.col("ts") <= _utc(end))
    return frame
