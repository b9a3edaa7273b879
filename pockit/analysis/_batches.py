"""The streaming path's reader: every run's samples in Parquet batches, endpoints coded stably."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pockit._errors import InputError
from pockit._rundir import RunDir
from pockit.analysis._arrays import NULL_NAME
from pockit.analysis._histogram import F64, I64
from pockit.analysis._stats import intended_latency_expr

#: Rows per batch read from Parquet.
BATCH_ROWS = 1 << 20
#: Distinct endpoint names per run directory set (leaf = name code x runs + run).
MAX_NAMES = 1 << 16


@dataclass
class _Batch:
    run: int
    leaf: I64  # name code * runs + run, of every row
    ok: npt.NDArray[np.bool_]
    lat: F64  # NaN where unusable
    reason: npt.NDArray[np.int8]  # -1 usable, else index into LATENCY_PROBLEMS
    t_start: I64 | None
    t_intended: I64 | None  # ns; None when the batch has none
    ti_valid: npt.NDArray[np.bool_] | None


class _Reader:
    """Batches of every run's samples with stable endpoint codes across passes."""

    #: Further sample columns a subclass reads into its batches (when a file has them).
    extra: tuple[str, ...] = ()

    def __init__(self, rundirs: Sequence[RunDir]) -> None:
        self.rundirs = list(rundirs)
        self.names: dict[str, int] = {}
        self.has_intended = False

    def _codes(self, col: pa.ChunkedArray | pa.Array, where: str) -> I64:
        arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        if not pa.types.is_dictionary(arr.type):
            arr = pc.cast(arr, pa.string()).dictionary_encode()
        labels = [NULL_NAME if v is None else str(v) for v in arr.dictionary.to_pylist()]
        table = np.empty(len(labels) + 1, dtype=np.int64)
        for i, label in enumerate(labels):
            code = self.names.setdefault(label, len(self.names))
            table[i] = code
        table[-1] = self.names.setdefault(NULL_NAME, len(self.names)) if arr.null_count else 0
        if len(self.names) > MAX_NAMES:
            raise InputError(f"{where}: more than {MAX_NAMES} distinct request names")
        idx = arr.indices.to_numpy(zero_copy_only=False)
        if arr.null_count:
            idx = np.where(arr.is_null().to_numpy(zero_copy_only=False), len(labels), idx)
        out: I64 = table[np.asarray(idx, dtype=np.int64)]
        return out

    def batches(self, *, times: bool) -> Iterator[_Batch]:
        runs = len(self.rundirs)
        for r, run in enumerate(self.rundirs):
            for path in run.sample_files():
                try:
                    pf = pq.ParquetFile(path)
                    have = set(pf.schema_arrow.names)
                    if "latency_ms" not in have or "name" not in have:
                        raise InputError(
                            f"{path}: samples lack column latency_ms or name; expected the sample "
                            "schema of architecture.md contract 1 (t_start, latency_ms, name, ok, ...)"
                        )
                    cols = ["latency_ms", "name"] + [c for c in ("ok",) if c in have]
                    if times:
                        cols += [c for c in ("t_start", "t_intended") if c in have]
                    cols += [c for c in self.extra if c in have]
                    for rb in pf.iter_batches(batch_size=BATCH_ROWS, columns=cols):
                        yield self._batch(rb, r, runs, str(path))
                except (OSError, pa.ArrowException) as exc:
                    raise InputError(f"{path}: cannot read samples ({exc})") from None

    def _batch(self, rb: pa.RecordBatch, r: int, runs: int, where: str) -> _Batch:
        n = rb.num_rows
        names = rb.schema.names
        leaf = self._codes(rb.column("name"), where) * runs + r
        if "ok" in names:
            ok = pc.fill_null(pc.cast(rb.column("ok"), pa.bool_()), False)
            okv = ok.to_numpy(zero_copy_only=False).astype(bool)
        else:
            okv = np.ones(n, dtype=bool)
        lat_col = pc.cast(rb.column("latency_ms"), pa.float64())
        lat = lat_col.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)  # null->NaN
        isnull = lat_col.is_null().to_numpy(zero_copy_only=False)
        with np.errstate(invalid="ignore"):
            reason = np.full(n, -1, dtype=np.int8)
            reason[lat < 0] = 3
            reason[np.isinf(lat)] = 2
            reason[np.isnan(lat)] = 1
            reason[isnull] = 0
        lat = np.where(reason >= 0, np.nan, lat)
        ts = ti = tiv = None
        if "t_start" in names:
            ts = _ns(rb.column("t_start"))
        if "t_intended" in names and rb.column("t_intended").null_count < n:
            col = rb.column("t_intended")
            ti = _ns(col)
            tiv = ~col.is_null().to_numpy(zero_copy_only=False)
            self.has_intended = True
        return _Batch(r, leaf, okv, lat, reason, ts, ti, tiv)


def count_problems(problems: I64, b: _Batch) -> None:
    """Add ``b``'s unusable latencies to ``problems`` (run x ok x reason, LATENCY_PROBLEMS)."""
    bad = b.reason >= 0
    if bad.any():
        reasons = problems.shape[2]
        problems[b.run] += np.bincount(
            b.ok[bad].astype(np.int64) * reasons + b.reason[bad], minlength=2 * reasons
        ).reshape(2, reasons)


def problem_counts(
    problems: I64, run_ids: Sequence[str], reasons: Sequence[str]
) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """``Samples.skipped`` (successful requests by reason) and ``failed_without_latency`` per run
    from the counts :func:`count_problems` gathered."""
    skipped: dict[str, dict[str, int]] = {}
    failed: dict[str, int] = {}
    for r, rid in enumerate(run_ids):
        if problems[r, 1].any():
            skipped[rid] = {k: int(v) for k, v in zip(reasons, problems[r, 1], strict=True)}
        if problems[r, 0].any():
            failed[rid] = int(problems[r, 0].sum())
    return skipped, failed


def _ns(col: pa.Array) -> I64:
    if pa.types.is_timestamp(col.type):
        col = pc.cast(col, pa.timestamp("ns", tz=col.type.tz))
    out: I64 = np.asarray(
        pc.fill_null(pc.cast(col, pa.int64()), 0).to_numpy(zero_copy_only=False), dtype=np.int64
    )
    return out


def _values(b: _Batch, kind: str) -> tuple[F64, I64]:
    """The values ranked for ``kind`` (``lat`` or ``int``) in a batch, and their leaves."""
    if kind == "lat":
        m = b.ok & ~np.isnan(b.lat)
        return b.lat[m], b.leaf[m]
    if b.t_intended is None or b.t_start is None or b.ti_valid is None:
        return np.zeros(0), np.zeros(0, np.int64)
    m = b.ok & ~np.isnan(b.lat) & b.ti_valid
    # the very expression of the in-memory path, so every value is the same to the last bit
    frame = pl.DataFrame(
        {
            "latency_ms": b.lat[m],
            "t_start": pl.Series(b.t_start[m]).cast(pl.Datetime("ns", "UTC")),
            "t_intended": pl.Series(b.t_intended[m]).cast(pl.Datetime("ns", "UTC")),
        }
    )
    vals = frame.select(intended_latency_expr()).to_series().to_numpy()
    return np.asarray(vals, dtype=np.float64), b.leaf[m]
