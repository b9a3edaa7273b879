"""The streaming decision's data: counts and histograms of every request, from passes over Parquet.

``decide`` on runs too large to hold (``STREAM_ROWS`` samples or more) reads the samples batch by
batch, as ``pockit stats`` does (:mod:`pockit.analysis._stream`), and keeps per *leaf* what the
criteria ask of them. A leaf is a request name x run x segment: the segment's two bits say whether
the request started before its run's first ``fault_start`` (the pre-fault P95 of time to detect
and recovery) and whether it was offered before the end of the last step a ``capacity`` ramp
held (the criteria that name its knee). Any group a criterion reads (a candidate, an endpoint, a
run, the held steps) is a set of leaves, so its figures are sums over leaves:

1. **Count pass**: requests, successes, known latencies, intended starts and request classes per
   leaf (the classes by the very polars expressions of the in-memory path), unusable latencies
   per run and reason, each run's span, and the root histograms of latency that
   :class:`pockit.analysis._exact._Selector` locates ranks in.
2. **Resolve**: the counts under each latency threshold the criteria test and the order
   statistics they report, exactly, in as few passes as ties need. Which ones is found by judging
   every criterion once with placeholders (:meth:`StreamSource.collect`); asking for one that
   was not collected still works, with a pass of its own.
3. **Windows**: the rows of a run inside a time window (after a fault, after an idle gap) come
   from the row groups that overlap it (:mod:`pockit.analysis._windows`).

Memory holds one batch, the per-leaf counts and the histograms' occupied cells, never the rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from pockit._errors import InputError
from pockit._rundir import RunDir
from pockit.analysis._batches import (
    MAX_NAMES,
    _Batch,
    _Reader,
    _values,
    count_problems,
    problem_counts,
)
from pockit.analysis._classes import REQUEST_CLASSES, class_expr, unknown_expr
from pockit.analysis._exact import _Selector, _Target
from pockit.analysis._histogram import I64
from pockit.analysis._requests import first_fault
from pockit.analysis._samples import LATENCY_PROBLEMS, RunInfo, Samples

#: Segments of a leaf: bit 0 before the run's first fault, bit 1 offered before its held cut.
SEGS = 4
PRE_FAULT = 1
HELD = 2
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COUNTS = ("n", "ok", "lat", "ti", "ti_ok", "int")
_NO_TIME = np.iinfo(np.int64).max
_CLASS_COLS = tuple(c for cls in REQUEST_CLASSES for c in (cls, f"{cls}_u"))


def epoch_ns(when: datetime) -> int:
    """``when`` as integer nanoseconds since the epoch (exact to the microsecond it holds)."""
    return (when - EPOCH) // timedelta(microseconds=1) * 1000


@dataclass
class _DecideBatch(_Batch):
    status: pl.Series | None = None
    retry: pl.Series | None = None
    ts_valid: npt.NDArray[np.bool_] | None = None


class _SegmentReader(_Reader):
    """The stats reader with each leaf split by segment, and the class columns read too."""

    extra = ("status", "retry")

    def __init__(
        self, rundirs: Sequence[RunDir], faults: list[int | None], cuts: list[float | None]
    ) -> None:
        super().__init__(rundirs)
        self.faults = faults  # per run: first fault_start, ns (None: no fault)
        self.cuts = cuts  # per run: held cut, epoch seconds (NaN: not a ramp or none held)
        self.passes = 0  # passes over the samples begun

    def batches(self, *, times: bool) -> Iterator[_Batch]:
        self.passes += 1
        return super().batches(times=True)

    def _batch(self, rb: pa.RecordBatch, r: int, runs: int, where: str) -> _Batch:
        b = super()._batch(rb, r, runs, where)
        names = rb.schema.names
        n = rb.num_rows
        ts_valid = (
            ~rb.column("t_start").is_null().to_numpy(zero_copy_only=False)
            if "t_start" in names
            else np.zeros(n, dtype=bool)
        )
        seg = np.zeros(n, dtype=np.int64)
        fault = self.faults[r]
        if fault is not None and b.t_start is not None:
            seg |= PRE_FAULT * (ts_valid & (b.t_start < fault))
        cut = self.cuts[r]
        if cut is not None and not math.isnan(cut) and b.t_start is not None:
            when, known = b.t_start, ts_valid
            if b.t_intended is not None and b.ti_valid is not None:
                when, known = np.where(b.ti_valid, b.t_intended, b.t_start), b.ti_valid | ts_valid
            seg |= HELD * (known & (when.astype(np.float64) / 1e9 < cut))

        def column(name: str) -> pl.Series:
            if name in names:
                got = pl.from_arrow(rb.column(name))
                assert isinstance(got, pl.Series)
                return got.cast(pl.Int16, strict=False)
            return pl.repeat(None, n, dtype=pl.Int16, eager=True)

        return _DecideBatch(
            b.run,
            b.leaf * SEGS + seg,
            b.ok,
            b.lat,
            b.reason,
            b.t_start,
            b.t_intended,
            b.ti_valid,
            status=column("status"),
            retry=column("retry"),
            ts_valid=ts_valid,
        )


def _add(acc: dict[str, I64], key: str, values: I64) -> None:
    have = acc.get(key)
    if have is None or have.size < values.size:
        grown = np.zeros(values.size, dtype=np.int64)
        if have is not None:
            grown[: have.size] = have
        have = grown
    have[: values.size] += values
    acc[key] = have


class StreamSource:
    """Counts, histograms and windows of runs read in passes (see the module docstring)."""

    def __init__(
        self,
        rundirs: Sequence[RunDir],
        infos: Sequence[RunInfo],
        *,
        held: Mapping[str, float | None] | None = None,
    ) -> None:
        if not rundirs:
            raise InputError("no run directories given; pass at least one runs/<run-id>/ folder")
        self.rundirs, self.infos = list(rundirs), list(infos)
        self.runs = len(self.rundirs)
        self.held = dict(held or {})
        faults = [epoch_ns(f) if (f := first_fault(i)) is not None else None for i in self.infos]
        cuts: list[float | None] = [
            (math.nan if self.held[i.id] is None else self.held[i.id])
            if i.id in self.held
            else None
            for i in self.infos
        ]
        self.reader = _SegmentReader(self.rundirs, faults, cuts)
        self.selector = _Selector(self.reader, MAX_NAMES * self.runs * SEGS)
        self.counts: dict[str, I64] = {}
        self.thresholds: dict[tuple[str, float, bool], I64] = {}
        self.ranks: dict[tuple[str, bytes, int], float] = {}
        self.collecting = False
        self._pending_thr: set[tuple[str, float, bool]] = set()
        self._pending_ranks: dict[tuple[str, bytes, int], npt.NDArray[np.bool_]] = {}
        self._index: Any = None
        self._count_pass()

    # -- the count pass -----------------------------------------------------------------------

    def _count_pass(self) -> None:
        problems = np.zeros((self.runs, 2, len(LATENCY_PROBLEMS)), dtype=np.int64)
        span: dict[int, list[int]] = {}
        aggs = [
            e
            for cls in REQUEST_CLASSES
            for e in (
                class_expr(cls).fill_null(False).sum().alias(cls),
                unknown_expr(cls).sum().alias(f"{cls}_u"),
            )
        ]
        acc = self.counts
        for b in self.reader.batches(times=True):
            assert isinstance(b, _DecideBatch)
            usable = b.reason < 0
            ti = b.ti_valid if b.ti_valid is not None else np.zeros(b.leaf.size, dtype=bool)
            for key, rows in zip(
                _COUNTS,
                (None, b.ok, b.ok & usable, ti, ti & b.ok, ti & b.ok & usable),
                strict=True,
            ):
                _add(acc, key, np.bincount(b.leaf if rows is None else b.leaf[rows]))
            count_problems(problems, b)
            s = span.setdefault(b.run, [_NO_TIME, -_NO_TIME, 0])  # first, last t_start; rows
            valid = b.ts_valid if b.ts_valid is not None else np.zeros(b.leaf.size, dtype=bool)
            if b.t_start is not None and valid.any():
                s[0] = min(s[0], int(b.t_start[valid].min()))
                s[1] = max(s[1], int(b.t_start[valid].max()))
            s[2] += int(b.leaf.size)
            if not b.leaf.size:
                continue
            frame = pl.DataFrame({"leaf": b.leaf, "ok": b.ok, "status": b.status, "retry": b.retry})
            per = frame.group_by("leaf").agg(aggs)
            leaves = per["leaf"].to_numpy()
            for col in _CLASS_COLS:
                add = np.zeros(int(leaves.max()) + 1, dtype=np.int64)
                add[leaves] = per[col].to_numpy()
                _add(acc, col, add)
            self.selector.count_root(b)
        self.size = len(self.reader.names) * self.runs * SEGS
        for key in (*_COUNTS, *_CLASS_COLS):
            _add(acc, key, np.zeros(self.size, dtype=np.int64))
        self.skipped, self.failed = problem_counts(
            problems, [i.id for i in self.infos], LATENCY_PROBLEMS
        )
        self.span = {  # a run without a start time spans nothing (as in memory)
            self.infos[r].id: (s[0], s[1], s[2]) if s[0] <= s[1] else (0, 0, s[2])
            for r, s in span.items()
        }
        leaf = np.arange(self.size)
        self.seg_of = leaf % SEGS
        self.run_of = (leaf // SEGS) % self.runs
        self.name_of = leaf // SEGS // self.runs
        self.labels = sorted(self.reader.names, key=self.reader.names.__getitem__)

    def samples_view(self) -> Samples:
        """An empty-frame :class:`Samples` carrying the skip counts (their warnings and totals)."""
        return Samples(
            frame=pl.DataFrame(),
            runs=self.infos,
            skipped=self.skipped,
            failed_without_latency=self.failed,
        )

    # -- leaves -------------------------------------------------------------------------------

    def run_index(self, run_id: str) -> int:
        return next(r for r, i in enumerate(self.infos) if i.id == run_id)

    def mask(self, runs: Sequence[int]) -> npt.NDArray[np.bool_]:
        """The leaves of ``runs``."""
        out: npt.NDArray[np.bool_] = np.isin(self.run_of, np.asarray(runs, dtype=np.int64))
        return out

    def total(self, key: str, member: npt.NDArray[np.bool_]) -> int:
        return int(self.counts[key][member].sum())

    def per_run(self, key: str, member: npt.NDArray[np.bool_]) -> I64:
        """``key`` summed per run over the leaves of ``member``."""
        out: I64 = np.bincount(
            self.run_of[member], weights=self.counts[key][member], minlength=self.runs
        ).astype(np.int64)
        return out

    # -- thresholds and ranks -----------------------------------------------------------------

    def under(
        self, kind: str, threshold: float, strict: bool, member: npt.NDArray[np.bool_]
    ) -> int:
        """Known values of ``kind`` (``lat`` or ``int``) in ``member`` under ``threshold``."""
        key = (kind, float(threshold), strict)
        if key not in self.thresholds:
            self._pending_thr.add(key)
            if self.collecting:
                return 0
            self.resolve()
        return int(self.thresholds[key][member].sum())

    def ranked(self, kind: str, member: npt.NDArray[np.bool_], ranks: Sequence[int]) -> list[float]:
        """The known values of ``kind`` in ``member`` at 1-based ``ranks``, exactly."""
        code = member.tobytes()
        keys = [(kind, code, int(r)) for r in ranks]
        for key in keys:
            if key not in self.ranks:
                self._pending_ranks[key] = member
        if any(k not in self.ranks for k in keys):
            if self.collecting:
                return [math.nan] * len(keys)
            self.resolve()
        return [self.ranks[k] for k in keys]

    @contextmanager
    def collect(self) -> Iterator[None]:
        """Within: questions that need a pass are noted and answered with placeholders (NaN,
        0), windows of rows are empty; :meth:`resolve` then answers every one noted, in as few
        passes as it can."""
        self.collecting = True
        try:
            yield
        finally:
            self.collecting = False

    def resolve(self) -> None:
        """Answer every question noted: counts under thresholds and order statistics."""
        thr = sorted(self._pending_thr - set(self.thresholds))
        asks = [(k, m) for k, m in self._pending_ranks.items() if k not in self.ranks]
        self._pending_thr.clear()
        self._pending_ranks.clear()
        if not thr and not asks:
            return
        got = {key: np.zeros(self.size, dtype=np.int64) for key in thr}

        def count(b: _Batch) -> None:
            for kind in sorted({k for k, _, _ in thr}):
                vals, leaf = _values(b, kind)
                for key in (k for k in thr if k[0] == kind):
                    below = vals < key[1] if key[2] else vals <= key[1]
                    got[key] += np.bincount(leaf[below], minlength=self.size)[: self.size]

        targets = [_Target(kind, member, rank) for (kind, _, rank), member in asks]
        self.selector.resolve(targets, on_batch=count if thr else None)
        self.thresholds.update(got)
        for (key, _), t in zip(asks, targets, strict=True):
            self.ranks[key] = t.value

    # -- windows ------------------------------------------------------------------------------

    def frames(
        self, run_id: str, start: datetime, end: datetime | None, align_s: float
    ) -> Iterator[pl.DataFrame]:
        """The run's samples in ``[start, end)`` as frames of whole buckets (``_windows``);
        none while collecting."""
        if self.collecting:
            return
        if self._index is None:
            from pockit.analysis._windows import RowGroupIndex

            self._index = RowGroupIndex(self.rundirs, self.infos)
        end_ns = None if end is None else epoch_ns(end)
        align = max(1, round(align_s * 1e9))
        yield from self._index.frames(self.run_index(run_id), epoch_ns(start), end_ns, align)
