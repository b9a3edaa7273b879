"""Per-time-bucket figures: requests, rate, errors and exact percentiles with intervals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from pockit._constants import CONFIDENCE
from pockit.analysis._quantiles import group_codes, pct_key, quantile_table
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
    keys = ["candidate", "run_id", "_b"]
    bucket_ns = round(bucket_s * 1e9)
    if frame.height == 0:
        t0 = 0
    else:
        t0 = int(
            frame.select(pl.col("t_start").min().dt.truncate(_every(bucket_s)).to_physical()).item()
        )
    bucketed = frame.select(
        "candidate",
        "run_id",
        "ok",
        "latency_ms",
        ((pl.col("t_start").to_physical() - t0) // bucket_ns).alias("_b"),
    )
    okmask = bucketed["ok"].to_numpy()
    code, _space = group_codes(bucketed, keys)
    qs = [p / 100.0 for p in percentiles]
    lat = quantile_table(bucketed, qs, by=keys, confidence=confidence, where=okmask).drop("n")
    # requests and errors per bucket by counting codes (cheaper than a second group-by)
    uniq = np.flatnonzero(np.bincount(code)) if code.size else np.zeros(0, dtype=np.int64)
    first = np.searchsorted(code, uniq) if bool(np.all(np.diff(code) >= 0)) else None
    if first is None:
        counts = bucketed.group_by(keys).agg(
            pl.len().alias("requests"), (~pl.col("ok")).sum().cast(pl.Int64).alias("errors")
        )
    else:
        n_all = np.bincount(code)[uniq]
        n_err = np.bincount(code, weights=~okmask)[uniq].astype(np.int64)
        counts = bucketed.select(keys)[first].with_columns(
            pl.Series("requests", n_all, dtype=pl.UInt32), pl.Series("errors", n_err)
        )
    out = (
        counts.join(lat, on=keys, how="left")
        .with_columns(
            (pl.col("requests") / bucket_s).alias("rps"),
            (pl.col("errors") / pl.col("requests")).alias("error_rate"),
            (pl.col("_b") * bucket_ns + t0).cast(pl.Datetime("ns", "UTC")).alias("ts"),
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
