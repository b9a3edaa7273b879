"""Per-time-bucket figures: requests, rate, errors and exact percentiles with intervals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from pockit._constants import CONFIDENCE
from pockit._errors import InputError
from pockit.analysis._arrays import SampleArrays
from pockit.analysis._quantiles import pct_key, rank_matrix
from pockit.analysis._samples import RunLike, Samples, as_runs, load_samples
from pockit.analysis._select import select_ranks

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from pockit._rundir import RunDir

if TYPE_CHECKING:
    import pandas as pd

TIMELINE_PERCENTILES = (50.0, 95.0, 99.0)


def _labels(col: pl.Series) -> tuple[np.ndarray, list[str]]:
    """Physical code per row and the label of each code, for an enum/categorical key column."""
    import polars as pl

    if not isinstance(col.dtype, pl.Enum):
        col = col.cast(pl.String).fill_null("None")
        col = col.cast(pl.Enum(sorted(set(col.unique().to_list()))))
    assert isinstance(col.dtype, pl.Enum)
    return col.to_physical().to_numpy(), list(col.dtype.categories.to_list())


def _run_keys(frame: pl.DataFrame) -> tuple[np.ndarray | None, list[tuple[str, str]]]:
    """Per row, a code for its (candidate, run_id) in their sort order (None when a single run),
    and the (candidate, run_id) of each code."""
    import numpy as np
    import polars as pl

    bounds = frame.select(
        *(pl.col(c).to_physical().min().alias(f"{c}_lo") for c in ("candidate", "run_id")),
        *(pl.col(c).to_physical().max().alias(f"{c}_hi") for c in ("candidate", "run_id")),
    ).row(0, named=True)
    if all(bounds[f"{c}_lo"] == bounds[f"{c}_hi"] for c in ("candidate", "run_id")):
        first = frame.select(pl.col("candidate", "run_id").first().cast(pl.String)).row(0)
        return None, [(str(first[0]), str(first[1]))]
    cand, cand_names = _labels(frame["candidate"])
    run, run_names = _labels(frame["run_id"])
    code = cand.astype(np.int64) * len(run_names) + run
    keys = [(c, r) for c in cand_names for r in run_names]
    return code, keys


def _timeline_arrays(
    arr: SampleArrays,
    bucket_s: float,
    percentiles: Sequence[float],
    confidence: float,
) -> pl.DataFrame:
    """The timeline from a frame's shared numpy arrays (see :func:`timeline_frame`)."""
    import numpy as np
    import polars as pl

    frame = arr.frame
    bucket_ns = round(bucket_s * 1e9)
    qs = [p / 100.0 for p in percentiles]
    pcols = [f"{pct_key(p)}{s}" for p in percentiles for s in ("", "_lo", "_hi")]
    if arr.n == 0:
        schema: dict[str, pl.DataType] = {
            "ts": pl.Datetime("ns", "UTC"),
            "requests": pl.UInt32(),
            "rps": pl.Float64(),
            "errors": pl.Int64(),
            "error_rate": pl.Float64(),
            **{c: pl.Float64() for c in pcols},
            "candidate": frame.schema["candidate"],
            "run_id": frame.schema["run_id"],
        }
        return pl.DataFrame(schema=schema)
    ts = arr.t_start_ns
    t0 = (int(ts.min()) // bucket_ns) * bucket_ns  # what dt.truncate does for a fixed duration
    bucket = ts - t0
    bucket //= bucket_ns
    n_buckets = int(bucket.max()) + 1
    runs, keys = _run_keys(frame)
    code = bucket if runs is None else runs * n_buckets + bucket
    space = len(keys) * n_buckets
    requests = np.bincount(code, minlength=space)
    errors = (
        np.zeros(space, dtype=np.int64)
        if arr.all_ok
        else np.bincount(code[arr.failed], minlength=space)
    )
    groups = np.flatnonzero(requests)  # (candidate, run, bucket) cells that saw a request
    if groups.size < space:  # renumber densely so the histogram has no empty groups
        dense = np.zeros(space, dtype=np.int64)
        dense[groups] = np.arange(groups.size)
        code = dense[code]
    where = None if arr.all_measured else arr.measured  # successful, with a known latency
    n_ok = (
        requests[groups] if where is None else np.bincount(code[where], minlength=groups.size)
    ).astype(np.int64)
    est, lo, hi = rank_matrix(n_ok, qs, confidence, "two")
    got, _ = select_ranks(
        arr.latency, code, groups.size, np.concatenate([est, lo, hi], axis=1), where=where
    )
    k = len(qs)
    pdata: dict[str, np.ndarray] = {}
    for j, p in enumerate(percentiles):
        name = pct_key(p)
        miss = n_ok == 0
        pdata[name] = np.where(miss, np.nan, got[:, j])
        pdata[name + "_lo"] = np.where(miss, np.nan, np.where(lo[:, j] < 1, -np.inf, got[:, k + j]))
        pdata[name + "_hi"] = np.where(
            miss, np.nan, np.where(hi[:, j] > n_ok, np.inf, got[:, 2 * k + j])
        )
    req = requests[groups]
    err = errors[groups].astype(np.int64)
    key_idx = groups // n_buckets
    cands = [keys[i][0] for i in key_idx] if len(keys) > 1 else [keys[0][0]] * groups.size
    run_ids = [keys[i][1] for i in key_idx] if len(keys) > 1 else [keys[0][1]] * groups.size
    return pl.DataFrame(
        [
            pl.Series("ts", (groups % n_buckets) * bucket_ns + t0).cast(pl.Datetime("ns", "UTC")),
            pl.Series("requests", req, dtype=pl.UInt32),
            pl.Series("rps", req / bucket_s),
            pl.Series("errors", err),
            pl.Series("error_rate", err / req),
            *(pl.Series(c, pdata[c], nan_to_null=True) for c in pcols),
            pl.Series("candidate", cands, dtype=frame.schema["candidate"]),
            pl.Series("run_id", run_ids, dtype=frame.schema["run_id"]),
        ]
    )


def timeline_frame(
    frame: pl.DataFrame,
    bucket_s: float = 1.0,
    *,
    percentiles: Sequence[float] = TIMELINE_PERCENTILES,
    confidence: float = CONFIDENCE,
    arrays: SampleArrays | None = None,
) -> pl.DataFrame:
    """The timeline as polars: one row per candidate, run and bucket that saw a request, in that order.

    Requests and errors count every request; percentiles are over successful requests of the
    bucket whose latency is known (null when there are none), with
    order-statistic intervals (``p95_lo``/``p95_hi``; infinite when the bucket is too small).
    ``arrays`` (from ``Samples.arrays()``) lets the timeline reuse what ``run_stats`` derived.
    Rows without a start time cannot be placed in a bucket and are left out.
    """
    import polars as pl

    if frame["t_start"].null_count():
        frame = frame.filter(pl.col("t_start").is_not_null())
        arrays = None
    if arrays is None or arrays.frame is not frame:
        arrays = SampleArrays(frame)
    return _timeline_arrays(arrays, bucket_s, percentiles, confidence)


def stream_timeline(
    rundirs: Sequence[RunDir], bucket_s: float, percentiles: Sequence[float]
) -> pl.DataFrame:
    """:func:`timeline_frame` of every sample of ``rundirs`` without holding them: each run is
    read a window of whole buckets at a time (:mod:`pockit.analysis._windows`) and the buckets
    of each window computed as in memory, in the same order (candidate, run, bucket)."""
    import polars as pl

    from pockit.analysis._windows import RowGroupIndex

    index = RowGroupIndex(rundirs)
    width = round(bucket_s * 1e9)
    order = sorted(range(len(rundirs)), key=lambda r: (rundirs[r].candidate, r))
    parts = []
    for r in order:
        span = index.span(r)
        if span is None:
            continue
        start = span[0] - span[0] % width  # the buckets are epoch-aligned (dt.truncate's)
        for frame in index.frames(r, start, None, width):
            parts.append(timeline_frame(frame, bucket_s, percentiles=percentiles))
    if not parts:
        return timeline_frame(index.read(0, 0, 0), bucket_s, percentiles=percentiles)
    return pl.concat(parts)


def timeline(
    runs: RunLike | Iterable[RunLike] | Samples,
    bucket_s: float = 1.0,
    *,
    percentiles: Sequence[float] = TIMELINE_PERCENTILES,
    stream: bool | None = None,
) -> pd.DataFrame:
    """Per ``bucket_s`` bucket of each run: ts, requests, rps, errors, error_rate, p50, p95, p99.

    A pandas frame (what an analyst plots); candidate and run_id are plain strings. Runs of
    ``STREAM_ROWS`` samples or more (or any, with ``stream=True``) are read a window at a time in
    bounded memory: the same frame.
    """
    import polars as pl

    if not bucket_s > 0:
        from pockit._errors import UsageError

        raise UsageError(f"bucket_s must be > 0, got {bucket_s}")
    if isinstance(runs, Samples):
        samples = runs
    else:
        from pockit.analysis._run_stats import streams

        rundirs = as_runs(runs)
        if streams(rundirs, stream):
            if not rundirs:
                raise InputError(
                    "no run directories given; pass at least one runs/<run-id>/ folder"
                )
            tl = stream_timeline(rundirs, bucket_s, percentiles)
            tl = tl.with_columns(
                pl.col("candidate").cast(pl.String), pl.col("run_id").cast(pl.String)
            )
            return tl.to_pandas()
        samples = load_samples(rundirs)
    tl = timeline_frame(samples.frame, bucket_s, percentiles=percentiles, arrays=samples.arrays())
    tl = tl.with_columns(pl.col("candidate").cast(pl.String), pl.col("run_id").cast(pl.String))
    return tl.to_pandas()
