"""Prometheus ``query_range`` -> the metrics frame; the ``prometheus`` metric source.

Prometheus returns at most 11,000 points per series per call, so long ranges are fetched in
slices. A spec's query may say ``{candidate}``: the candidate's name goes in as a PromQL string
value, escaped so it can neither end the string nor add label matchers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pockit._errors import SourceError, UsageError
from pockit.sources._frame import as_utc, metrics_frame, tag_pairs
from pockit.sources._registry import MetricsRequest, register_metrics_reader

if TYPE_CHECKING:
    import polars as pl

    from pockit.spec import MetricSource

#: Prometheus refuses query_range calls that would return more points than this per series.
PROM_MAX_POINTS = 11_000


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
    t0, t1 = as_utc(start), as_utc(end)
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
    return metrics_frame(records)


CANDIDATE_PLACEHOLDER = "{candidate}"


def promql_string(value: str, quote: str = '"') -> str:
    """``value`` escaped for the inside of a PromQL string literal quoted with ``quote``.

    PromQL escapes as Go does, and its lexer accepts ``\\`` + the literal's own quote but no other
    quote: a backslash and that quote are escaped, control characters written as escapes, so a
    name can neither end the literal nor add label matchers. A raw (backtick) literal has no
    escapes: a name with a backtick is refused.
    """
    if quote == "`":
        if "`" in value:
            raise UsageError(
                f"candidate name {value!r} has a backtick; it cannot go in a `raw` PromQL string"
            )
        return value
    out = value.replace("\\", "\\\\").replace(quote, "\\" + quote)
    for raw, esc in (("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        out = out.replace(raw, esc)
    return "".join(c if c >= " " else f"\\x{ord(c):02x}" for c in out)


def promql_substitute(query: str, candidate: str) -> str:
    """``query`` with each ``{candidate}`` replaced by the name as a PromQL string value.

    Inside quotes (``job="{candidate}"``, ``job='{candidate}'``) the name is escaped for that
    quote; outside quotes it becomes a whole double-quoted literal.
    """
    parts = query.split(CANDIDATE_PLACEHOLDER)
    out = parts[0]
    for part in parts[1:]:
        quote = out[-1:] if out[-1:] in ('"', "'", "`") else ""
        if quote:
            out += promql_string(candidate, quote)
        else:
            out += '"' + promql_string(candidate) + '"'
        out += part
    return out


def _selects(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _from_spec(src: MetricSource, candidate: str, start: datetime, end: datetime) -> MetricsRequest:
    if not src.url:
        raise SourceError(f"metrics source {src.name!r}: prometheus needs url")
    return MetricsRequest(
        source=src.url,
        start=start,
        end=end,
        query=promql_substitute(src.query or "", candidate),
        step_s=src.step_s,
        name=src.name,
    )


@register_metrics_reader(
    "prometheus",
    description="a live Prometheus server (http:// URL): PromQL every step_s",
    selects=_selects,
    from_spec=_from_spec,
)
def read_prometheus(req: MetricsRequest) -> pl.DataFrame:
    if not req.query or req.start is None or req.end is None:
        raise UsageError("Prometheus needs query=, start= and end=")
    return fetch_prometheus(
        req.source, req.query, start=req.start, end=req.end, step_s=req.step_s, name=req.name
    )
