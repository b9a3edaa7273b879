"""Server-side points a criterion reads: one metric's rows of the candidate, cut to its load windows.

Shared by the headroom and observability metrics (the rows ``sources/metrics.parquet`` holds, read
by the decision into ``CandidateData.metrics``). The load window (run.json ``load_window``) is the
time load was applied; a run without one (``pockit import``) uses its start..end.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pockit._contract import RunField
from pockit.criteria._base import CandidateData

if TYPE_CHECKING:
    import polars as pl


def _stamp(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            got = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return got if got.tzinfo is not None else got.replace(tzinfo=UTC)
    return None


def load_windows(data: CandidateData) -> list[tuple[str, datetime, datetime]]:
    """Each run's ``(id, start, end)`` of load: run.json ``load_window``, else start..end."""
    out = []
    for info in data.infos:
        raw = info.record.raw if info.record is not None else {}
        window = raw.get(RunField.LOAD_WINDOW)
        lo = _stamp(window.get("start")) if isinstance(window, dict) else None
        hi = _stamp(window.get("end")) if isinstance(window, dict) else None
        if lo is None or hi is None or hi <= lo:
            lo, hi = _stamp(info.start), _stamp(info.end or info.start)
        if lo is not None and hi is not None:
            out.append((info.id, lo, hi))
    return out


def points(data: CandidateData, metric: str) -> pl.DataFrame | None:
    """The rows of ``metric`` inside the candidate's load windows, sorted by time, with the run's
    id in ``run``; None when no metrics were fetched for the candidate at all."""
    import polars as pl

    m = data.metrics
    if m is None or m.height == 0 or "metric" not in m.columns:
        return None
    sub = m.filter(pl.col("metric").cast(pl.String) == metric)
    ts = pl.col("ts").cast(pl.Datetime("us", "UTC"))
    parts = [
        sub.filter((ts >= lo) & (ts <= hi)).with_columns(pl.lit(rid).alias("run"))
        for rid, lo, hi in load_windows(data)
    ]
    if not parts:
        return sub.with_columns(pl.lit("").alias("run")).sort("ts")
    return pl.concat(parts, how="diagonal_relaxed").sort("ts")


def present(data: CandidateData) -> str:
    """The metric names fetched for the candidate (first 20), for a "metric absent" reason."""
    import polars as pl

    m = data.metrics
    if m is None or m.height == 0:
        return "none"
    return ", ".join(sorted(set(m["metric"].cast(pl.String).to_list()))[:20])


def fetch_errors(data: CandidateData) -> str:
    """What run.json ``metrics_errors`` recorded for the candidate's runs ("" when nothing)."""
    out = []
    for info in data.infos:
        raw = info.record.raw if info.record is not None else {}
        errors = raw.get(RunField.METRICS_ERRORS)
        if isinstance(errors, dict):
            out += [f"run {info.id}: {k}: {v}" for k, v in errors.items()]
    return "; ".join(out)


def dims(pairs: Any) -> dict[str, str]:
    """A stored ``dimensions`` value (a list of ``{key, value}``) as a dict."""
    if not isinstance(pairs, list):
        return {}
    return {str(p["key"]): str(p["value"]) for p in pairs if isinstance(p, dict)}
