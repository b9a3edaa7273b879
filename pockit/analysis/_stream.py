"""``pockit stats`` in bounded memory: exact percentiles from streaming passes over row groups.

The in-memory path (:mod:`pockit.analysis._samples` -> one frame) needs every sample at once: about
50 bytes a request, 2.4 GB for 50M. Here the Parquet files are read one batch at a time (pyarrow
``iter_batches``) and nothing grows with the number of rows:

1. **Count pass.** Per leaf (run x endpoint) it counts requests, successes, latencies it keeps and
   the unusable ones by reason (:func:`pockit.analysis._samples.clean`'s rules), and a sparse
   histogram of latency over bins of the float64 bit pattern (top 20 bits: bins ~0.4% wide).
   Non-negative float64 values order exactly like their bit patterns read as integers; negative
   ones (possible in intended latency) are mapped so the order holds for them too. Every group's
   histogram (overall, endpoint, candidate, run) is a sum of leaf histograms.
2. **Locate.** For every rank a figure needs (the estimate ``ceil(nq)`` and the interval's two
   ranks from :func:`pockit.analysis._intervals.quantile_ci_ranks`) the cumulative counts name the
   bin holding it and the rank inside the bin.
3. **Exact pass.** Values inside the located bins are collected and the ranks read off exactly.
   A bin holding more than :data:`COLLECT_CAP` values (heavy ties, or a billion samples in a few
   bins) is split instead: a further pass histograms its next 22 bits, and at the last level a bin
   is one bit pattern, i.e. one value, so nothing has to be collected at all.

The figures are identical to the in-memory path's (tests compare them on data with ties, failures,
unusable latencies, several endpoints, runs and candidates). Peak memory is the batch (~1M rows),
the histograms (occupied cells only) and at most ``COLLECT_CAP`` collected values per pass.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pockit._constants import CONFIDENCE
from pockit._errors import InputError
from pockit._rundir import RunDir
from pockit.analysis._arrays import NULL_NAME
from pockit.analysis._classes import request_classes
from pockit.analysis._quantiles import rank_matrix
from pockit.analysis._samples import LATENCY_PROBLEMS, RunInfo, Samples, run_info, scan_runs
from pockit.analysis._stats import (
    CandidateStats,
    GroupStats,
    RunStats,
    _estimates,
    candidate_stats,
    intended_latency_expr,
    load_seconds,
    rate_estimate,
    stats_method,
    throughput_estimate,
    throughput_method,
)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

#: Rows per batch read from Parquet.
BATCH_ROWS = 1 << 20
#: Bit shifts of the successive histogram levels: 20 top bits, then 22 more, then the value itself.
SHIFTS = (44, 22, 0)
#: Values collected in one exact pass at most (8 bytes each, plus 8 for the leaf): 256 MB.
COLLECT_CAP = 1 << 24
#: Distinct endpoint names per run directory set (leaf = name code x runs + run).
MAX_NAMES = 1 << 16
#: Per-batch dense histogram at most this many cells; beyond it np.unique counts instead.
DENSE_CELLS = 1 << 23

_FLIP = np.int64(0x7FFF_FFFF_FFFF_FFFF)


def order_key(values: F64) -> I64:
    """Integer keys ordered exactly like the (non-NaN) float64 ``values``."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    out: I64 = np.where(bits < 0, bits ^ _FLIP, bits)
    return out


def key_value(key: int) -> float:
    """The float64 whose :func:`order_key` is ``key``."""
    bits = np.int64(key)
    if bits < 0:
        bits = bits ^ _FLIP
    return float(np.array([bits], dtype=np.int64).view(np.float64)[0])


def _count_cells(combined: I64) -> tuple[I64, I64]:
    """Distinct values of ``combined`` and how often each occurs (dense bincount when narrow)."""
    if combined.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lo, hi = int(combined.min()), int(combined.max())
    if hi - lo < DENSE_CELLS:
        counts = np.bincount(combined - lo, minlength=hi - lo + 1)
        nz = np.flatnonzero(counts)
        return (nz + lo).astype(np.int64), counts[nz].astype(np.int64)
    uniq, cnt = np.unique(combined, return_counts=True)
    return uniq.astype(np.int64), cnt.astype(np.int64)


@dataclass
class _Sparse:
    """A sparse histogram: ``combined = sub_bin * n_leaves + leaf`` -> count, merged lazily."""

    n_leaves: int
    parts: list[tuple[I64, I64]] = field(default_factory=list)

    def add(self, sub: I64, leaf: I64) -> None:
        if sub.size:
            self.parts.append(_count_cells(sub * self.n_leaves + leaf))
            if len(self.parts) > 64:
                self.parts = [self.merged()]

    def merged(self) -> tuple[I64, I64]:
        if not self.parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        keys = np.concatenate([k for k, _ in self.parts])
        counts = np.concatenate([c for _, c in self.parts])
        uniq, inv = np.unique(keys, return_inverse=True)
        total = np.bincount(inv, weights=counts, minlength=uniq.size).astype(np.int64)
        self.parts = [(uniq.astype(np.int64), total)]
        return self.parts[0]

    def group(self, member: npt.NDArray[np.bool_]) -> tuple[I64, I64]:
        """Sub-bins (sorted) and counts of the leaves where ``member`` is true."""
        keys, counts = self.merged()
        leaf = keys % self.n_leaves
        keep = member[leaf]
        sub = keys[keep] // self.n_leaves
        uniq, inv = np.unique(sub, return_inverse=True)
        return uniq, np.bincount(inv, weights=counts[keep], minlength=uniq.size).astype(np.int64)


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


@dataclass
class _Target:
    """One wanted order statistic: rank ``rank`` (1-based) of group ``group`` of ``kind``."""

    kind: str
    member: npt.NDArray[np.bool_]
    rank: int
    level: int = 0
    parent: int = 0  # absolute prefix at the previous level (level > 0)
    prefix: int = 0  # absolute prefix at this level once located
    offset: int = 0  # rank inside the located bin
    value: float = math.nan
    done: bool = False


def _sub(key: I64, level: int, parent: int) -> I64:
    shift = SHIFTS[level]
    if level == 0:
        return (key >> shift) + (1 << (63 - shift))  # >= 0
    d = SHIFTS[level - 1] - shift
    return (key >> shift) - (parent << d)


def _absolute(sub: int, level: int, parent: int) -> int:
    shift = SHIFTS[level]
    if level == 0:
        return sub - (1 << (63 - shift))
    return (parent << (SHIFTS[level - 1] - shift)) + sub


class _Selector:
    """Resolves targets exactly with as many passes over the data as the ties require."""

    def __init__(self, reader: _Reader, n_leaves: int) -> None:
        self.reader = reader
        self.n_leaves = n_leaves
        self.root: dict[str, _Sparse] = {"lat": _Sparse(n_leaves), "int": _Sparse(n_leaves)}

    def count_root(self, b: _Batch) -> None:
        for kind in ("lat", "int"):
            vals, leaf = _values(b, kind)
            if vals.size:
                self.root[kind].add(_sub(order_key(vals), 0, 0), leaf)

    def _locate(self, targets: list[_Target], hists: dict[tuple[str, int, int], _Sparse]) -> None:
        cache: dict[tuple[str, int, int, bytes], tuple[I64, I64]] = {}
        for t in targets:
            if t.done:
                continue
            h = hists[(t.kind, t.level, t.parent)]
            ck = (t.kind, t.level, t.parent, t.member.tobytes())
            if ck not in cache:
                subs, counts = h.group(t.member)
                cache[ck] = (subs, np.cumsum(counts))
            subs, cum = cache[ck]
            i = int(np.searchsorted(cum, t.rank, side="left"))
            before = int(cum[i - 1]) if i else 0
            t.offset = t.rank - before
            t.prefix = _absolute(int(subs[i]), t.level, t.parent)
            if t.level == len(SHIFTS) - 1:  # one bit pattern: the value itself
                t.value, t.done = key_value(t.prefix), True

    def resolve(self, targets: list[_Target]) -> None:
        hists: dict[tuple[str, int, int], _Sparse] = {
            ("lat", 0, 0): self.root["lat"],
            ("int", 0, 0): self.root["int"],
        }
        self._locate(targets, hists)
        while any(not t.done for t in targets):
            # cells of every leaf at the located bins: collect the small ones, split the big ones
            collect: dict[tuple[str, int, int], None] = {}
            split: dict[tuple[str, int, int], None] = {}
            budget = COLLECT_CAP
            for t in targets:
                if t.done:
                    continue
                cell = (t.kind, t.level, t.prefix)
                if cell in collect or cell in split:
                    continue
                size = self._cell_size(hists, t)
                if size <= budget:
                    collect[cell] = None
                    budget -= size
                elif size > COLLECT_CAP:
                    split[cell] = None
            got = self._pass(list(collect), list(split), hists)
            for t in targets:
                if t.done:
                    continue
                cell = (t.kind, t.level, t.prefix)
                if cell in got:
                    leaves, vals = got[cell]
                    mine = np.sort(vals[t.member[leaves]])
                    t.value, t.done = float(mine[t.offset - 1]), True
                elif cell in split:
                    # the rank inside the bin becomes the rank within its finer histogram
                    t.level, t.parent, t.rank = t.level + 1, t.prefix, t.offset
            self._locate(targets, hists)

    def _cell_size(self, hists: dict[tuple[str, int, int], _Sparse], t: _Target) -> int:
        h = hists[(t.kind, t.level, t.parent)]
        keys, counts = h.merged()
        sub = _sub(np.array([t.prefix], dtype=np.int64) << SHIFTS[t.level], t.level, t.parent)
        return int(counts[keys // h.n_leaves == int(sub[0])].sum())

    def _pass(
        self,
        collect: list[tuple[str, int, int]],
        split: list[tuple[str, int, int]],
        hists: dict[tuple[str, int, int], _Sparse],
    ) -> dict[tuple[str, int, int], tuple[I64, F64]]:
        parts: dict[tuple[str, int, int], list[tuple[I64, F64]]] = {c: [] for c in collect}
        for kind, level, prefix in split:
            hists[(kind, level + 1, prefix)] = _Sparse(self.n_leaves)
        kinds = {c[0] for c in collect} | {c[0] for c in split}
        times = "int" in kinds
        for b in self.reader.batches(times=times):
            for kind in kinds:
                vals, leaf = _values(b, kind)
                if not vals.size:
                    continue
                key = order_key(vals)
                for level in range(len(SHIFTS)):
                    mine = [c for c in collect if c[0] == kind and c[1] == level]
                    cut = [c for c in split if c[0] == kind and c[1] == level]
                    if not mine and not cut:
                        continue
                    pre = key >> SHIFTS[level]
                    wanted = np.array([c[2] for c in mine + cut], dtype=np.int64)
                    idx = np.flatnonzero(np.isin(pre, wanted))
                    if not idx.size:
                        continue
                    spre, skey, sleaf, svals = pre[idx], key[idx], leaf[idx], vals[idx]
                    for cell in mine:
                        m = spre == cell[2]
                        if m.any():
                            parts[cell].append((sleaf[m], svals[m]))
                    for cell in cut:
                        m = spre == cell[2]
                        if m.any():
                            hists[(kind, level + 1, cell[2])].add(
                                _sub(skey[m], level + 1, cell[2]), sleaf[m]
                            )
        out: dict[tuple[str, int, int], tuple[I64, F64]] = {}
        for cell, chunks in parts.items():
            if chunks:
                out[cell] = (
                    np.concatenate([c[0] for c in chunks]),
                    np.concatenate([c[1] for c in chunks]),
                )
            else:
                out[cell] = (np.zeros(0, np.int64), np.zeros(0))
        return out


@dataclass
class StreamCounts:
    """What the count pass learnt: per leaf counts, per run problems and sample spans."""

    n: I64
    n_ok: I64
    n_lat: I64
    ti_any: I64  # rows with a t_intended (any outcome)
    n_int: I64  # intended latencies kept
    skipped: dict[str, dict[str, int]]
    failed_without_latency: dict[str, int]
    span_ns: dict[str, tuple[int, int, int]]  # run id -> (min, max, rows)


@dataclass
class StreamedSamples:
    """Counts and exact order statistics of runs read batch by batch (no frame of samples)."""

    infos: list[RunInfo]
    names: list[str]
    counts: StreamCounts
    selector: _Selector

    @property
    def runs(self) -> int:
        return len(self.infos)

    def samples_view(self) -> Samples:
        """An empty-frame :class:`Samples` carrying the skip counts (its warnings and totals)."""
        return Samples(
            frame=pl.DataFrame(),
            runs=self.infos,
            skipped=self.counts.skipped,
            failed_without_latency=self.counts.failed_without_latency,
        )

    def leaves(self, *, runs: Sequence[int] | None = None, name: int | None = None) -> Any:
        """Boolean leaf mask: the given runs (all if None) and endpoint code (all if None)."""
        r = len(self.infos)
        mask = np.zeros((MAX_NAMES, r), dtype=bool)
        rows = slice(None) if name is None else slice(name, name + 1)
        cols = list(range(r)) if runs is None else list(runs)
        mask[rows, cols] = True
        return mask.reshape(-1)

    def quantiles(
        self,
        requests: list[tuple[str, npt.NDArray[np.bool_], int]],
        qs: Sequence[float],
        confidence: float,
    ) -> list[tuple[F64, I64, I64, int]]:
        """For each (kind, leaf mask, n) the values of the estimate, low and high ranks (as
        ``_stats._estimates`` reads them) with the rank arrays and ``n``."""
        targets: list[_Target] = []
        plans = []
        for kind, member, n in requests:
            est, lo, hi = rank_matrix(np.array([n]), qs, confidence, "two")
            ranks = np.concatenate([est, lo, hi], axis=1)[0]
            idx = []
            for r in ranks:
                if 1 <= r <= n:
                    idx.append(len(targets))
                    targets.append(_Target(kind, member, int(r)))
                else:
                    idx.append(-1)
            plans.append((idx, lo[0], hi[0], n))
        self.selector.resolve(targets)
        out = []
        for idx, lo, hi, n in plans:
            got = np.array([targets[i].value if i >= 0 else math.nan for i in idx])
            out.append((got, lo, hi, n))
        return out


def stream_samples(rundirs: Sequence[RunDir]) -> StreamedSamples:
    """The count pass over ``rundirs`` (see the module docstring)."""
    if not rundirs:
        raise InputError("no run directories given; pass at least one runs/<run-id>/ folder")
    infos = [run_info(r) for r in rundirs]
    runs = len(rundirs)
    n_leaves = MAX_NAMES * runs
    reader = _Reader(rundirs)
    selector = _Selector(reader, n_leaves)
    n, n_ok, n_lat, ti_any, n_int = (np.zeros(n_leaves, np.int64) for _ in range(5))
    problems = np.zeros((runs, 2, len(LATENCY_PROBLEMS)), dtype=np.int64)  # run, ok, reason
    span: dict[int, list[int]] = {}
    for b in reader.batches(times=True):
        n += np.bincount(b.leaf, minlength=n_leaves)
        n_ok += np.bincount(b.leaf[b.ok], minlength=n_leaves)
        usable = b.reason < 0
        n_lat += np.bincount(b.leaf[b.ok & usable], minlength=n_leaves)
        bad = ~usable
        if bad.any():
            problems[b.run] += np.bincount(
                b.ok[bad].astype(np.int64) * len(LATENCY_PROBLEMS) + b.reason[bad],
                minlength=2 * len(LATENCY_PROBLEMS),
            ).reshape(2, len(LATENCY_PROBLEMS))
        if b.ti_valid is not None:
            ti_any += np.bincount(b.leaf[b.ti_valid], minlength=n_leaves)
            n_int += np.bincount(b.leaf[b.ok & usable & b.ti_valid], minlength=n_leaves)
        if b.t_start is not None and b.leaf.size:
            lo, hi = int(b.t_start.min()), int(b.t_start.max())
            s = span.setdefault(b.run, [lo, hi, 0])
            s[0], s[1], s[2] = min(s[0], lo), max(s[1], hi), s[2] + int(b.leaf.size)
        selector.count_root(b)
    skipped: dict[str, dict[str, int]] = {}
    failed: dict[str, int] = {}
    for r, info in enumerate(infos):
        if problems[r, 1].any():
            skipped[info.id] = {
                k: int(v) for k, v in zip(LATENCY_PROBLEMS, problems[r, 1], strict=True)
            }
        if problems[r, 0].any():
            failed[info.id] = int(problems[r, 0].sum())
    names = sorted(reader.names, key=reader.names.__getitem__)
    counts = StreamCounts(
        n=n,
        n_ok=n_ok,
        n_lat=n_lat,
        ti_any=ti_any,
        n_int=n_int,
        skipped=skipped,
        failed_without_latency=failed,
        span_ns={infos[r].id: (s[0], s[1], s[2]) for r, s in span.items()},
    )
    return StreamedSamples(infos, names, counts, selector)


def stream_duration_s(info: RunInfo, span: tuple[int, int, int] | None) -> float:
    """:func:`pockit.analysis._samples.run_duration_s` from the count pass's t_start span."""
    dur = info.duration_s
    if dur is not None and dur > 0:
        return dur
    if span is not None and span[2] >= 2:
        value = span[1] - span[0]
        return float(value) / 1e9 if value else math.nan
    return math.nan


def stream_run_stats(
    rundirs: Sequence[RunDir],
    qs: Sequence[float],
    percentiles: Sequence[float],
    *,
    by_endpoint: bool = True,
    confidence: float = CONFIDENCE,
) -> RunStats:
    """:func:`pockit.analysis._stats.run_stats` without a frame: the same figures, bounded memory."""
    data = stream_samples(rundirs)
    c = data.counts
    infos = data.infos
    windows: dict[str, tuple[float, bool]] = {}
    for info in infos:
        seconds, windowed = load_seconds(info)
        if not windowed:
            seconds = stream_duration_s(info, c.span_ns.get(info.id))
        windows[info.id] = (seconds, windowed)
    durations = {rid: s for rid, (s, _) in windows.items()}
    total_s = float(np.nansum(list(durations.values()))) if durations else math.nan

    def figures(
        member: npt.NDArray[np.bool_], duration_s: float, *, intended: bool
    ) -> tuple[dict[str, Any], list[tuple[str, npt.NDArray[np.bool_], int]]]:
        cnt, good = int(c.n[member].sum()), int(c.n_ok[member].sum())
        known = int(c.n_lat[member].sum())
        asks = [("lat", member, known)]
        if intended and int(c.ti_any[member].sum()) > 0:
            asks.append(("int", member, int(c.n_int[member].sum())))
        fig = {
            "n": cnt,
            "n_ok": good,
            "duration_s": duration_s,
            "success_rate": rate_estimate(good, cnt, confidence=confidence),
            "error_rate": rate_estimate(cnt - good, cnt, confidence=confidence),
            "throughput_rps": throughput_estimate(cnt, duration_s, confidence=confidence),
            "latency_skipped": good - known,
        }
        return fig, asks

    # every group: (key, figures, quantile requests); the order statistics in one resolve
    plan: list[tuple[tuple[str, ...], dict[str, Any], list[Any]]] = []
    fig, asks = figures(data.leaves(), total_s, intended=True)
    plan.append((("overall",), fig, asks))
    if by_endpoint:
        for name in sorted(data.names):
            member = data.leaves(name=data.names.index(name))
            fig, asks = figures(member, total_s, intended=False)
            if fig["n"]:
                plan.append((("endpoint", name), fig, asks))
    by_cand: dict[str, list[int]] = {}
    for r, info in enumerate(infos):
        by_cand.setdefault(info.candidate, []).append(r)
    for name, rs in by_cand.items():
        if len(by_cand) > 1:
            dur = float(np.nansum([durations[infos[r].id] for r in rs]))
            fig, asks = figures(data.leaves(runs=rs), dur, intended=True)
            plan.append((("candidate", name), fig, asks))
        if len(rs) > 1:
            for r in rs:
                rid = infos[r].id
                fig, asks = figures(data.leaves(runs=[r]), durations[rid], intended=True)
                plan.append((("run", rid), fig, asks))
    requests = [a for _, _, asks in plan for a in asks]
    got = iter(data.quantiles(requests, qs, confidence))
    built: dict[tuple[str, ...], GroupStats] = {}
    for key, fig, asks in plan:
        lat_got, lat_lo, lat_hi, n = next(got)
        extra: dict[str, Any] = {}
        if len(asks) > 1:
            i_got, i_lo, i_hi, i_n = next(got)
            extra["latency_intended_ms"] = _estimates(i_got, i_lo, i_hi, i_n, qs)
        built[key] = GroupStats(
            **fig, latency_ms=_estimates(lat_got, lat_lo, lat_hi, n, qs), **extra
        )
    overall = built[("overall",)]
    endpoints = {k[1]: g for k, g in built.items() if k[0] == "endpoint"}
    view = data.samples_view()
    warnings = list(view.warnings)
    if overall.n == 0:
        warnings.append("no samples in the given run(s)")
    elif overall.n_ok == 0:
        warnings.append("every request failed: no latency figures")
    elif overall.latency_skipped == overall.n_ok:
        warnings.append("no successful request has a usable latency: no latency figures")
    candidates: dict[str, CandidateStats] = {}
    for name, rs in by_cand.items():
        cinfos = [infos[r] for r in rs]
        pooled = overall if len(by_cand) == 1 else built[("candidate", name)]
        per_run = {i.id: built[("run", i.id)] for i in cinfos} if len(rs) > 1 else {}
        candidates[name] = candidate_stats(name, cinfos, pooled, per_run, confidence, warnings)
    # the class counts are group-by sums over four small columns, read off the files by polars
    classes = request_classes(scan_runs(rundirs, columns=("name", "ok", "status", "retry")))
    return RunStats(
        overall=overall,
        endpoints=endpoints,
        candidates=candidates,
        runs=[i.id for i in infos],
        percentiles=tuple(float(p) for p in percentiles),
        confidence=confidence,
        latency_skipped=view.latency_skipped(),
        failed_without_latency=sum(view.failed_without_latency.values()),
        warnings=warnings,
        request_classes=classes,
        method=stats_method(throughput_method(w for _, w in windows.values())),
    )
