"""Request classes: security denies, throttles, error classes and retries, from the sample columns.

The one rule every part uses (README "Request classes"):

- **denied**: HTTP status 401 or 403, whatever Locust's success flag says;
- **throttled**: HTTP status 429, whatever the flag;
- a failed request (``ok`` false) is exactly one of
  - **transport**: status 0, no response arrived (connection refused, reset, timeout);
  - **validation**: a status below 400 (a 2xx/3xx answer) that the locustfile marked failed with
    ``response.failure(...)`` under ``catch_response=True``: the body was wrong, not the transport;
  - **http**: status 400 or above (a ``response.failure`` on a 4xx/5xx counts here: the status
    alone already shows the failure);
- **retry**: the locustfile sent it with ``context={"retry": n}``, n >= 1 (the ``retry`` column).

A failed request whose status is unknown (null: a writer that left the column out) belongs to no
class; the rate criteria count such requests and report them INCONCLUSIVE rather than guess.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # polars loads on first use: the spec and stop_when import the names above
    import polars as pl

RequestClass = Literal["denied", "throttled", "transport", "http", "validation", "retry"]
#: Every class, in the order reports list them.
REQUEST_CLASSES: tuple[RequestClass, ...] = (
    "denied",
    "throttled",
    "transport",
    "http",
    "validation",
    "retry",
)
#: Criterion metric -> the class whose share of all requests it judges.
CLASS_METRICS: dict[str, RequestClass] = {
    "denied_rate": "denied",
    "throttled_rate": "throttled",
    "transport_error_rate": "transport",
    "http_error_rate": "http",
    "validation_error_rate": "validation",
    "retry_rate": "retry",
}
DENIED_STATUSES = (401, 403)
THROTTLED_STATUS = 429
#: Lowest status that is an HTTP error by itself.
HTTP_ERROR_MIN = 400

METHOD_CLASSES = (
    "denied = status 401/403, throttled = status 429; failed requests split by status: 0 "
    "transport, 1-399 validation (catch_response marked a 2xx/3xx failed), >= 400 http; retry = "
    'context={"retry": n >= 1}'
)


def class_expr(cls: RequestClass) -> pl.Expr:
    """True for the requests of class ``cls``; null where the columns cannot tell (status unknown)."""
    import polars as pl

    status, failed = pl.col("status"), pl.col("ok").not_()
    if cls == "denied":
        return status.is_in(DENIED_STATUSES)
    if cls == "throttled":
        return status == THROTTLED_STATUS
    if cls == "transport":
        return failed & (status == 0)
    if cls == "validation":
        return failed & (status > 0) & (status < HTTP_ERROR_MIN)
    if cls == "http":
        return failed & (status >= HTTP_ERROR_MIN)
    return pl.col("retry").fill_null(0) >= 1


def unknown_expr(cls: RequestClass) -> pl.Expr:
    """True for the requests whose membership in ``cls`` the columns cannot decide."""
    import polars as pl

    if cls == "retry":
        return pl.lit(False)
    if cls in ("denied", "throttled"):
        return pl.col("status").is_null()
    return pl.col("ok").not_() & pl.col("status").is_null()


def class_counts(frame: pl.DataFrame | pl.LazyFrame, by: str | None = None) -> pl.DataFrame:
    """Per group (``by``: e.g. ``name`` or ``run_id``; None: one row) ``n`` and each class's count
    (``denied``, ...) with ``<class>_unknown`` where the status is unknown."""
    import polars as pl

    exprs = [pl.len().alias("n")]
    for cls in REQUEST_CLASSES:
        exprs.append(class_expr(cls).fill_null(False).sum().alias(cls))
        exprs.append(unknown_expr(cls).sum().alias(f"{cls}_unknown"))
    lf = frame.lazy()
    out = lf.group_by(pl.col(by).cast(pl.String)).agg(exprs).sort(by) if by else lf.select(exprs)
    return out.collect()


def request_classes(frame: pl.DataFrame | pl.LazyFrame) -> dict[str, Any]:
    """Counts and shares of each class, overall and per endpoint (``pockit stats --json``
    ``request_classes``): ``{"overall": {"n", "denied", "denied_rate", ...}, "endpoints": {...}}``."""

    def row(r: dict[str, Any]) -> dict[str, Any]:
        n = int(r["n"])
        out: dict[str, Any] = {"n": n}
        for cls in REQUEST_CLASSES:
            k = int(r[cls] or 0)
            out[cls] = k
            out[f"{cls}_rate"] = k / n if n else None
            if r[f"{cls}_unknown"]:
                out[f"{cls}_unknown"] = int(r[f"{cls}_unknown"])
        return out

    columns = frame.collect_schema().names() if hasattr(frame, "collect_schema") else frame.columns
    if "status" not in columns:  # a frame without the columns: nothing to classify
        return {"overall": {}, "endpoints": {}, "method": METHOD_CLASSES}
    overall = class_counts(frame).row(0, named=True)
    endpoints = {str(r["name"]): row(r) for r in class_counts(frame, "name").iter_rows(named=True)}
    return {"overall": row(overall), "endpoints": endpoints, "method": METHOD_CLASSES}
