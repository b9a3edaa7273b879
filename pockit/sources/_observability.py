"""The spec's ``observability:`` Prometheus over a run's window: ``up`` and the series count.

Stored in the run's ``sources/metrics.parquet`` under the names the observability criteria read
(:data:`pockit.criteria.OBS_UP`, :data:`pockit.criteria.OBS_SERIES`), beside the spec's ``metrics:``
points, so a decision and a report rebuild offline.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pockit._contract import RunField
from pockit._errors import PockitError
from pockit._rundir import RunDir
from pockit.criteria import OBS_SERIES, OBS_UP
from pockit.sources._attach import attach_metrics, run_window
from pockit.sources._prometheus import fetch_prometheus

if TYPE_CHECKING:
    import polars as pl

    from pockit.spec import Observability

#: Every series Prometheus holds at each step (``count`` of every metric name).
SERIES_QUERY = 'count({__name__=~".+"})'
#: Whether each scrape target answered its last scrape (1) or not (0); labels job and instance.
UP_QUERY = "up"
#: run.json ``metrics_errors`` key of a failed observability fetch.
ERROR_KEY = "observability"


def fetch_observability(
    url: str, *, start: datetime, end: datetime, step_s: float = 1.0
) -> pl.DataFrame:
    """``up`` and the series count over [start, end] every ``step_s``, as one metrics frame."""
    import polars as pl

    frames = [
        fetch_prometheus(url, UP_QUERY, start=start, end=end, step_s=step_s, name=OBS_UP),
        fetch_prometheus(url, SERIES_QUERY, start=start, end=end, step_s=step_s, name=OBS_SERIES),
    ]
    return pl.concat(frames, how="vertical_relaxed")


def attach_observability(
    run_dir: str | Path | RunDir, obs: Observability, *, pad_s: float = 5.0
) -> str:
    """Fetch the spec's ``observability`` data for the run's window (± ``pad_s``) into
    ``sources/metrics.parquet``; ``"ok"`` or the error, which run.json ``metrics_errors`` keeps
    (never fatal: the samples stay, the observability criteria are INCONCLUSIVE and say why)."""
    run = run_dir if isinstance(run_dir, RunDir) else RunDir.open(run_dir)
    start, end = run_window(run)
    lo, hi = start - timedelta(seconds=pad_s), end + timedelta(seconds=pad_s)
    try:
        frame = fetch_observability(obs.url, start=lo, end=hi, step_s=obs.step_s)
        attach_metrics(run, frame, pad_s=pad_s)
        return "ok"
    except (PockitError, OSError) as exc:
        errors = run.meta.get(RunField.METRICS_ERRORS)
        kept = dict(errors) if isinstance(errors, dict) else {}
        run.update_meta(**{RunField.METRICS_ERRORS: {**kept, ERROR_KEY: str(exc)}})
        return str(exc)
