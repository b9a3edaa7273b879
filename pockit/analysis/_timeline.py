"""Per-time-bucket figures: requests, rate, errors and exact percentiles with intervals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import polars as pl

from pockit._constants import CONFIDENCE
from pockit.analysis._quantiles import pct_key, quantile_table
from pockit.analysis._samples import RunLike, Samples, load_samples

if TYPE_CHECKING:
    import pandas as pd

TIMELINE_PERCENTILES = (50.0, 95.0, 99.0)


def _every(bucket_s: float) -> str:
    return f"{round(bucket_s * 1e9)}ns"


def timeline_frame(
    frame: pl.DataFrame,
    bucket_s: float = 1.0,
    *,
    percentiles: Sequence[float] = TIMELINE_PERCENTILES,
    confidence: float = CONFIDENCE,
) -> pl.DataFrame:
    """The timeline as polars: one row per candidate, run and bucket that saw a request.

    Percentiles are over successful requests of the bucket (null when none succeeded), with
    order-statistic intervals (``p95_lo``/``p95_hi``; infinite when the bucket is too small).
    """
    keys = ["candidate", "run_id", "ts"]
    bucketed = frame.with_columns(pl.col("t_start").dt.truncate(_every(bucket_s)).alias("ts"))
    counts = bucketed.group_by(keys).agg(
        pl.len().alias("requests"), (~pl.col("ok")).sum().cast(pl.Int64).alias("errors")
    )
    qs = [p / 100.0 for p in percentiles]
    lat = quantile_table(
        bucketed.filter(pl.col("ok")).select(*keys, "latency_ms"),
        qs,
        by=keys,
        confidence=confidence,
    ).drop("n")
    out = (
        counts.join(lat, on=keys, how="left")
        .with_columns(
            (pl.col("requests") / bucket_s).alias("rps"),
            (pl.col("errors") / pl.col("requests")).alias("error_rate"),
        )
        .sort(keys)
    )
    pcols = []
    for p in percentiles:
        k = pct_key(p)
        pcols += [k, f"{k}_lo", f"{k}_hi"]
    return out.select(
        "ts", "requests", "rps", "errors", "error_rate", *pcols, "candidate", "run_id"
    )


def timeline(
    runs: RunLike | Iterable[RunLike] | Samples,
    bucket_s: float = 1.0,
    *,
    percentiles: Sequence[float] = TIMELINE_PERCENTILES,
) -> pd.DataFrame:
    """Per ``bucket_s`` bucket of each run: ts, requests, rps, errors, error_rate, p50, p95, p99.

    A pandas frame (what an analyst plots); candidate and run_id are plain strings.
    """
    if not bucket_s > 0:
        from pockit._errors import UsageError

        raise UsageError(f"bucket_s must be > 0, got {bucket_s}")
    samples = runs if isinstance(runs, Samples) else load_samples(runs)
    tl = timeline_frame(samples.frame, bucket_s, percentiles=percentiles)
    tl = tl.with_columns(pl.col("candidate").cast(pl.String), pl.col("run_id").cast(pl.String))
    return tl.to_pandas()
