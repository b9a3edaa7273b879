"""Run statistics: the figures of ``pockit stats`` with their 95% intervals.

Rates and throughput are over **every** request. Latency percentiles are over **successful**
requests with a known latency: a fast 500 must not make P95 look better (failures are judged by
the success rate), and a successful request whose latency is unknown (null, NaN, negative) cannot
be placed among the others, so it is skipped and counted (``latency_skipped``). The pooled figures
hold all requests of a candidate together; whenever a candidate has several runs, declared repeats
or not, the run is the unit of replication: each run gets its own figures and their spread across
runs is reported, with a warning when there are too few runs to trust it. Throughput divides by
the measured load window (:func:`load_seconds`), start..end only for runs without one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import polars as pl

from pockit._constants import CONFIDENCE, DEFAULT_PERCENTILES
from pockit._rundir import RunDir
from pockit.analysis._classes import request_classes
from pockit.analysis._groups import candidate_stats, group_stats, overall_and_endpoints
from pockit.analysis._results import CandidateStats, GroupStats, RunStats
from pockit.analysis._samples import RunInfo, RunLike, Samples, as_runs, load_samples
from pockit.analysis._stats import load_seconds, stats_method, throughput_method

#: From this many samples (all runs together) ``run_stats`` streams instead of loading a frame.
STREAM_ROWS = 5_000_000


def sample_rows(rundirs: Sequence[RunDir]) -> int:
    """Samples in ``rundirs`` from the Parquet footers (no data read); unreadable files count 0."""
    import pyarrow.parquet as pq

    total = 0
    for run in rundirs:
        for path in run.sample_files():
            try:
                total += pq.ParquetFile(path).metadata.num_rows
            except (OSError, ValueError):
                continue  # the reading path names it
    return total


def streams(rundirs: Sequence[RunDir], stream: bool | None) -> bool:
    """Whether to read ``rundirs`` in passes: ``stream`` when given, else from STREAM_ROWS up."""
    return sample_rows(rundirs) >= STREAM_ROWS if stream is None else stream


def run_stats(
    runs: RunLike | Iterable[RunLike] | Samples,
    *,
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
    by_endpoint: bool = True,
    confidence: float = CONFIDENCE,
    stream: bool | None = None,
) -> RunStats:
    """Statistics of run directories: percentiles with intervals, rates, throughput, per endpoint.

    Runs of :data:`STREAM_ROWS` samples or more (or any, with ``stream=True``) are read batch by
    batch in bounded memory (:mod:`pockit.analysis._stream`): the same figures, exactly.

    >>> stats = run_stats(["runs/20261126T062843Z-async-r0-3f9a"])     # doctest: +SKIP
    >>> stats.latency_ms["p95"].value, stats.latency_ms["p95"].ci_high  # doctest: +SKIP
    """
    qs = [float(p) / 100.0 for p in percentiles]
    for q in qs:
        if not 0.0 < q < 1.0:
            from pockit._errors import UsageError

            raise UsageError(f"percentile {q * 100:g} is outside (0, 100)")
    if isinstance(runs, Samples):
        samples = runs
    else:
        rundirs = as_runs(runs)
        if streams(rundirs, stream):
            from pockit.analysis._stream import stream_run_stats

            return stream_run_stats(
                rundirs, qs, percentiles, by_endpoint=by_endpoint, confidence=confidence
            )
        samples = load_samples(rundirs)
    frame = samples.frame
    infos = samples.runs
    windows = {i.id: load_seconds(i, frame) for i in infos}
    durations = {rid: seconds for rid, (seconds, _) in windows.items()}
    total_s = float(np.nansum(list(durations.values()))) if durations else math.nan
    overall, endpoints = overall_and_endpoints(
        samples, total_s, qs, by_endpoint=by_endpoint, confidence=confidence
    )

    warnings = list(samples.warnings)
    if frame.height == 0:
        warnings.append("no samples in the given run(s)")
    elif overall.n_ok == 0:
        warnings.append("every request failed: no latency figures")
    elif overall.latency_skipped == overall.n_ok:
        warnings.append("no successful request has a usable latency: no latency figures")
    candidates: dict[str, CandidateStats] = {}
    by_cand: dict[str, list[RunInfo]] = {}
    for info in infos:
        by_cand.setdefault(info.candidate, []).append(info)
    for name, cinfos in by_cand.items():
        sub = frame if len(by_cand) == 1 else frame.filter(pl.col("candidate") == name)
        dur = float(np.nansum([durations[i.id] for i in cinfos]))
        pooled = overall if len(by_cand) == 1 else group_stats(sub, dur, qs, confidence=confidence)
        per_run: dict[str, GroupStats] = {}
        if len(cinfos) > 1:
            for info in cinfos:
                rsub = sub.filter(pl.col("run_id") == info.id)
                per_run[info.id] = group_stats(rsub, durations[info.id], qs, confidence=confidence)
        candidates[name] = candidate_stats(name, cinfos, pooled, per_run, confidence, warnings)
    return RunStats(
        overall=overall,
        endpoints=endpoints,
        candidates=candidates,
        runs=[i.id for i in infos],
        percentiles=tuple(float(p) for p in percentiles),
        confidence=confidence,
        latency_skipped=samples.latency_skipped(),
        failed_without_latency=sum(samples.failed_without_latency.values()),
        warnings=warnings,
        method=stats_method(throughput_method(w for _, w in windows.values())),
        request_classes=request_classes(samples.frame),
    )
