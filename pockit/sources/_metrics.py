"""Server-side metrics -> the metrics frame, through the registered metric sources.

``read_metrics(source, ...)`` asks each registered source (:mod:`pockit.sources._builtin`) in turn
whether it takes ``source``:

* ``http://`` / ``https://`` — a live Prometheus server; ``query`` is PromQL, evaluated every
  ``step_s`` (:mod:`pockit.sources._prometheus`).
* ``cloudwatch`` — ``GetMetricData`` with ``queries`` (:mod:`pockit.sources._cloudwatch`).
* any other path — a saved Prometheus ``query_range`` or ``GetMetricData`` response, or a
  metrics frame (:mod:`pockit.sources._metric_files`).

A spec's ``metrics:`` entry is read by the source its ``kind`` names (:func:`read_spec_metric`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pockit.sources._builtin  # noqa: F401  (registers the sources chosen here)
from pockit.sources._registry import METRICS_READERS, MetricsRequest

if TYPE_CHECKING:
    import polars as pl

    from pockit.spec import MetricSource


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
    request = MetricsRequest(
        source=str(source),
        start=start,
        end=end,
        query=query,
        queries=queries,
        step_s=step_s,
        name=name,
    )
    return _read(request)


def read_spec_metric(
    src: MetricSource, candidate: str, *, start: datetime, end: datetime
) -> pl.DataFrame:
    """The points of one spec ``metrics:`` entry over [start, end], through the source of its kind."""
    return _read(METRICS_READERS[src.kind].from_spec(src, candidate, start, end))


def _read(request: MetricsRequest) -> pl.DataFrame:
    sources = METRICS_READERS.values()
    chosen = [r for r in sources if r.selects is not None and r.selects(request.source)]
    # else the one that takes what no other takes (saved files: any path)
    reader = chosen[0] if chosen else next(r for r in sources if r.selects is None)
    return reader.read(request)
