"""Saved metrics: a Prometheus ``query_range`` or CloudWatch ``GetMetricData`` response (JSON), or a
metrics frame (Parquet); the ``file`` metric source, which takes any source no other one takes.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pockit._errors import SourceError
from pockit.sources._cloudwatch import cloudwatch_records
from pockit.sources._frame import as_utc, metrics_frame, metrics_schema
from pockit.sources._prometheus import prometheus_records
from pockit.sources._registry import MetricsRequest, register_metrics_reader

if TYPE_CHECKING:
    import polars as pl

    from pockit.spec import MetricSource


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
    return metrics_frame(records)


def _from_spec(src: MetricSource, candidate: str, start: datetime, end: datetime) -> MetricsRequest:
    return MetricsRequest(source=str(src.path), start=start, end=end, name=src.name)


@register_metrics_reader(
    "file",
    description="a saved query_range / GetMetricData response (.json) or a metrics frame (.parquet)",
    selects=None,  # any path
    from_spec=_from_spec,
)
def read_metrics_file(req: MetricsRequest) -> pl.DataFrame:
    import polars as pl

    path = Path(req.source).expanduser()
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
    frame = _read_json(path, name=req.name)
    if req.start is not None:
        frame = frame.filter(pl.col("ts") >= as_utc(req.start))
    if req.end is not None:
        frame = frame.filter(pl.col("ts") <= as_utc(req.end))
    return frame
