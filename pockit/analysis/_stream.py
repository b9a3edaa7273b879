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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from pockit._constants import CONFIDENCE
from pockit._errors import InputError
from pockit._rundir import RunDir
from pockit.analysis._batches import MAX_NAMES, _Reader, count_problems, problem_counts
from pockit.analysis._classes import request_classes
from pockit.analysis._exact import _Selector, _Target
from pockit.analysis._groups import _estimates, candidate_stats
from pockit.analysis._histogram import F64, I64
from pockit.analysis._quantiles import rank_matrix
from pockit.analysis._results import CandidateStats, GroupStats, RunStats
from pockit.analysis._samples import LATENCY_PROBLEMS, RunInfo, Samples, run_info, scan_runs
from pockit.analysis._stats import (
    load_seconds,
    rate_estimate,
    stats_method,
    throughput_estimate,
    throughput_method,
)


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
        count_problems(problems, b)
        if b.ti_valid is not None:
            ti_any += np.bincount(b.leaf[b.ti_valid], minlength=n_leaves)
            n_int += np.bincount(b.leaf[b.ok & usable & b.ti_valid], minlength=n_leaves)
        if b.t_start is not None and b.leaf.size:
            lo, hi = int(b.t_start.min()), int(b.t_start.max())
            s = span.setdefault(b.run, [lo, hi, 0])
            s[0], s[1], s[2] = min(s[0], lo), max(s[1], hi), s[2] + int(b.leaf.size)
        selector.count_root(b)
    skipped, failed = problem_counts(problems, [i.id for i in infos], LATENCY_PROBLEMS)
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
