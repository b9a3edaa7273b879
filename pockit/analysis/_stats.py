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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from pockit._constants import CONFIDENCE, DEFAULT_PERCENTILES
from pockit._contract import RunField
from pockit._rundir import RunDir
from pockit.analysis._classes import request_classes
from pockit.analysis._intervals import Sides, poisson_rate, t_interval, wilson
from pockit.analysis._quantiles import (
    METHOD_QUANTILE,
    Estimate,
    pct_key,
    quantile_table,
    quantiles_of,
    rank_matrix,
)
from pockit.analysis._samples import (
    RunInfo,
    RunLike,
    Samples,
    as_runs,
    load_samples,
    run_duration_s,
)
from pockit.analysis._select import select_ranks

#: Fewer runs of a candidate than this and the run-to-run spread is too weak to lean on (a warning).
MIN_RUNS = 3

METHOD_RATE = "Wilson score interval"
_POISSON = "exact Poisson (Garwood) interval on the count"
#: Throughput over runs that recorded their load window (every ``pockit run``).
METHOD_THROUGHPUT = (
    "requests / measured load window (run.json load_window: load_start..load_stop, summed over "
    f"runs); {_POISSON}"
)
#: Throughput over runs that did not (imported runs): their run.json start..end.
METHOD_THROUGHPUT_RUN = (
    "requests / run duration (run.json start..end: these runs recorded no load_start..load_stop, "
    f"e.g. imported ones); {_POISSON}"
)
#: Some runs with a load window, some without.
METHOD_THROUGHPUT_MIXED = (
    "requests / measured load window where a run recorded one (run.json load_window), else its "
    f"run duration (start..end); {_POISSON}"
)


def throughput_method(windowed: Iterable[bool]) -> str:
    """The throughput method text for runs that did (True) or did not (False) record a load window."""
    seen = set(windowed)
    if seen == {True}:
        return METHOD_THROUGHPUT
    if seen == {False}:
        return METHOD_THROUGHPUT_RUN
    return METHOD_THROUGHPUT_MIXED if seen else METHOD_THROUGHPUT


def load_seconds(info: RunInfo, frame: pl.DataFrame | None = None) -> tuple[float, bool]:
    """What one run's throughput divides by, and whether it is the measured load window.

    The load window (run.json ``load_window``, written by ``pockit run`` from the capture plugin's
    load_start .. load_stop) is the time load was applied; start..end also holds Locust's start-up
    and shutdown. A run without one (``pockit import``) falls back to start..end
    (:func:`run_duration_s`). Every throughput pockit prints comes through here.
    """
    raw = info.record.raw if info.record is not None else {}
    window = raw.get(RunField.LOAD_WINDOW)
    seconds = window.get("seconds") if isinstance(window, dict) else None
    if (
        isinstance(seconds, int | float)
        and not isinstance(seconds, bool)
        and math.isfinite(seconds)
        and seconds > 0
    ):
        return float(seconds), True
    return run_duration_s(info, frame), False


def stats_method(throughput: str = METHOD_THROUGHPUT) -> str:
    """The ``pockit stats`` method text, with the throughput definition its runs used."""
    return (
        f"latency percentiles: {METHOD_QUANTILE}, over successful requests with a known latency (a "
        "description; a decision's latency criterion counts failed requests as over its threshold); "
        "successful requests whose latency is null, NaN, infinite or negative are skipped by the "
        "percentiles and counted in latency_skipped; "
        f"success/error rate over all requests: {METHOD_RATE}; throughput: {throughput}; "
        "intervals are two-sided at the stated confidence; with several runs of a candidate the run "
        "is the unit (per-run figures and their spread)"
    )


METHOD_STATS = stats_method()


@dataclass(frozen=True)
class GroupStats:
    """Figures for one group of requests (everything, one endpoint, one candidate, one run)."""

    n: int
    n_ok: int
    duration_s: float
    success_rate: Estimate
    error_rate: Estimate
    throughput_rps: Estimate
    latency_ms: dict[str, Estimate]
    latency_intended_ms: dict[str, Estimate] | None = None
    #: successful requests whose latency is unknown: in ``n`` and the rates, not in ``latency_ms``
    latency_skipped: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n": self.n,
            "n_ok": self.n_ok,
            "n_failed": self.n - self.n_ok,
            "latency_skipped": self.latency_skipped,
            "duration_s": _num(self.duration_s),
            "success_rate": _num(self.success_rate.value),
            "success_rate_ci": _ci(self.success_rate),
            "error_rate": _num(self.error_rate.value),
            "error_rate_ci": _ci(self.error_rate),
            "throughput_rps": _num(self.throughput_rps.value),
            "throughput_rps_ci": _ci(self.throughput_rps),
            "latency_ms": {k: v.to_dict() for k, v in self.latency_ms.items()},
        }
        if self.latency_intended_ms is not None:
            out["latency_intended_ms"] = {
                k: v.to_dict() for k, v in self.latency_intended_ms.items()
            }
        return out


@dataclass(frozen=True)
class CandidateStats:
    """One candidate: its pooled figures, each run's, and the spread across runs."""

    name: str
    pooled: GroupStats
    runs: list[str]
    unit: str  # "pooled" or "run"
    per_run: dict[str, GroupStats] = field(default_factory=dict)
    spread: dict[str, dict[str, float | None]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.pooled.to_dict(),
            "runs": self.runs,
            "unit": self.unit,
            "per_run": {rid: _brief(g) for rid, g in self.per_run.items()},
            "spread": self.spread,
            "warnings": self.warnings,
        }


@dataclass(frozen=True)
class RunStats:
    """Everything ``pockit stats`` reports; ``to_dict()`` is its ``--json`` shape."""

    overall: GroupStats
    endpoints: dict[str, GroupStats]
    candidates: dict[str, CandidateStats]
    runs: list[str]
    percentiles: tuple[float, ...]
    confidence: float
    #: successful requests skipped by the latency percentiles, by reason (null, nan, infinite, negative)
    latency_skipped: dict[str, int]
    #: failed requests with no usable latency (counted as failures; nothing to skip)
    failed_without_latency: int
    warnings: list[str]
    method: str = METHOD_STATS
    #: denies, throttles, error classes and retries, overall and per endpoint (analysis/_classes.py)
    request_classes: dict[str, Any] = field(default_factory=dict)

    # convenient views of the headline figures
    @property
    def n(self) -> int:
        return self.overall.n

    @property
    def success_rate(self) -> float:
        return self.overall.success_rate.value

    @property
    def throughput_rps(self) -> float:
        return self.overall.throughput_rps.value

    @property
    def latency_ms(self) -> dict[str, Estimate]:
        return self.overall.latency_ms

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.overall.to_dict(),
            "endpoints": {name: g.to_dict() for name, g in self.endpoints.items()},
            "candidates": {name: c.to_dict() for name, c in self.candidates.items()},
            "runs": self.runs,
            "percentiles": list(self.percentiles),
            "confidence": self.confidence,
            "latency_skipped_by_reason": self.latency_skipped,
            "failed_without_latency": self.failed_without_latency,
            "warnings": self.warnings,
            "method": self.method,
            "request_classes": self.request_classes,
        }

    def _repr_html_(self) -> str:
        """JupyterLab: candidates side by side with units and intervals (a missing end footnoted)."""
        from pockit._display import stats_html

        data = self.to_dict()
        per = data["candidates"] or {"all runs": data}
        return stats_html(per, method=self.method)

    def __repr__(self) -> str:
        p95 = self.overall.latency_ms.get("p95")
        tail = f", p95={p95.value:.4g} ms" if p95 is not None else ""
        return (
            f"RunStats(n={self.n}, runs={len(self.runs)}, candidates={list(self.candidates)}, "
            f"success_rate={self.success_rate:.4f}, throughput_rps={self.throughput_rps:.4g}{tail})"
        )


def _num(x: float) -> float | None:
    return float(x) if isinstance(x, int | float) and math.isfinite(x) else None


def _ci(e: Estimate) -> dict[str, float | None]:
    return {"ci_low": _num(e.ci_low), "ci_high": _num(e.ci_high)}


def _brief(g: GroupStats) -> dict[str, Any]:
    return {
        "n": g.n,
        "success_rate": _num(g.success_rate.value),
        "throughput_rps": _num(g.throughput_rps.value),
        "latency_ms": {k: _num(v.value) for k, v in g.latency_ms.items()},
    }


# -- building blocks ------------------------------------------------------------------------------


def rate_estimate(
    k: int, n: int, *, confidence: float = CONFIDENCE, sides: Sides = "two"
) -> Estimate:
    """Share ``k / n`` with its Wilson interval."""
    if n <= 0:
        return Estimate.missing(METHOD_RATE)
    lo, hi = wilson(k, n, confidence=confidence, sides=sides)
    return Estimate(k / n, float(lo), float(hi), n, METHOD_RATE)


def throughput_estimate(
    n: int,
    duration_s: float,
    *,
    confidence: float = CONFIDENCE,
    sides: Sides = "two",
    method: str = METHOD_THROUGHPUT,
) -> Estimate:
    """Requests per second over ``duration_s`` (see :func:`load_seconds`), with the Poisson
    interval of the count."""
    if not (duration_s > 0):
        return Estimate.missing(method)
    lo, hi = poisson_rate(n, duration_s, confidence=confidence, sides=sides)
    return Estimate(n / duration_s, lo, hi, n, method)


def intended_latency_expr() -> pl.Expr:
    """``latency_ms + (t_start - t_intended)`` in ms, as an expression (see :func:`intended_latency`)."""
    return (
        pl.col("latency_ms")
        + (pl.col("t_start") - pl.col("t_intended")).dt.total_nanoseconds().cast(pl.Float64) / 1e6
    )


def intended_latency(frame: pl.DataFrame) -> pl.Series:
    """Latency measured from the intended send time (open-model runs): free of coordinated omission.

    ``latency_ms + (t_start - t_intended)``: a request the load generator sent late because the
    system was slow is charged the time it waited to be sent. Rows without ``t_intended`` or a
    latency are left out.
    """
    sub = frame.filter(pl.col("t_intended").is_not_null() & pl.col("latency_ms").is_not_null())
    return sub.select(intended_latency_expr().alias("latency_intended_ms")).to_series()


def _latency_dict(
    values: np.ndarray, qs: Sequence[float], confidence: float, sides: Sides
) -> dict[str, Estimate]:
    ests = quantiles_of(values, qs, confidence=confidence, sides=sides)
    return {pct_key(q * 100): e for q, e in zip(qs, ests, strict=True)}


def group_stats(
    frame: pl.DataFrame,
    duration_s: float,
    qs: Sequence[float],
    *,
    confidence: float = CONFIDENCE,
    sides: Sides = "two",
) -> GroupStats:
    """Figures of one group of samples over ``duration_s`` seconds (latency: see module docstring)."""
    n = frame.height
    okmask = frame["ok"].to_numpy()
    n_ok = int(okmask.sum()) if n else 0
    lat = frame["latency_ms"].to_numpy()
    if n_ok != n:
        lat = lat[okmask]
    lat = lat[~np.isnan(lat)]  # null (unusable) latencies read as NaN
    intended = None
    if n and frame["t_intended"].null_count() < n:
        iv = intended_latency(frame.filter(pl.col("ok"))).to_numpy()
        intended = _latency_dict(iv, qs, confidence, sides)
    return GroupStats(
        n=n,
        n_ok=n_ok,
        duration_s=duration_s,
        success_rate=rate_estimate(n_ok, n, confidence=confidence, sides=sides),
        error_rate=rate_estimate(n - n_ok, n, confidence=confidence, sides=sides),
        throughput_rps=throughput_estimate(n, duration_s, confidence=confidence, sides=sides),
        latency_ms=_latency_dict(lat, qs, confidence, sides),
        latency_intended_ms=intended,
        latency_skipped=n_ok - int(lat.size),
    )


def endpoint_stats(
    frame: pl.DataFrame,
    duration_s: float,
    qs: Sequence[float],
    *,
    confidence: float = CONFIDENCE,
    sides: Sides = "two",
) -> dict[str, GroupStats]:
    """Per endpoint (``name``): one sort per endpoint, all endpoints at once."""
    counts = frame.group_by("name").agg(pl.len().alias("n"), pl.col("ok").sum().alias("ok"))
    measured = (pl.col("ok") & pl.col("latency_ms").is_not_null()).alias("m")
    where = frame.select(measured).to_series().to_numpy()
    table = quantile_table(frame, qs, by=["name"], confidence=confidence, sides=sides, where=where)
    lat_rows = {str(r["name"]): r for r in table.iter_rows(named=True)}
    out: dict[str, GroupStats] = {}
    for row in sorted(counts.iter_rows(named=True), key=lambda r: str(r["name"])):
        name = str(row["name"])
        n, k = int(row["n"]), int(row["ok"])
        lr = lat_rows.get(name)
        lat: dict[str, Estimate] = {}
        for q in qs:
            key = pct_key(q * 100)
            if lr is None:
                lat[key] = Estimate.missing(METHOD_QUANTILE)
            else:
                lat[key] = Estimate(
                    lr[key], lr[key + "_lo"], lr[key + "_hi"], int(lr["n"]), METHOD_QUANTILE
                )
        out[name] = GroupStats(
            n=n,
            n_ok=k,
            duration_s=duration_s,
            success_rate=rate_estimate(k, n, confidence=confidence, sides=sides),
            error_rate=rate_estimate(n - k, n, confidence=confidence, sides=sides),
            throughput_rps=throughput_estimate(n, duration_s, confidence=confidence, sides=sides),
            latency_ms=lat,
            latency_skipped=k - (int(lr["n"]) if lr is not None else 0),
        )
    return out


def _estimates(
    got: np.ndarray, lo: np.ndarray, hi: np.ndarray, n: int, qs: Sequence[float]
) -> dict[str, Estimate]:
    """One group's selected order statistics (estimate, low, high per quantile) as Estimates."""
    if n == 0:
        return {pct_key(q * 100): Estimate.missing(METHOD_QUANTILE) for q in qs}
    k = len(qs)
    return {
        pct_key(q * 100): Estimate(
            float(got[j]),
            -math.inf if lo[j] < 1 else float(got[k + j]),
            math.inf if hi[j] > n else float(got[2 * k + j]),
            n,
            METHOD_QUANTILE,
        )
        for j, q in enumerate(qs)
    }


def overall_and_endpoints(
    samples: Samples,
    duration_s: float,
    qs: Sequence[float],
    *,
    by_endpoint: bool = True,
    confidence: float = CONFIDENCE,
    sides: Sides = "two",
) -> tuple[GroupStats, dict[str, GroupStats]]:
    """Figures of all requests and of each endpoint, from one radix-select pass.

    The pooled histogram is the sum of the endpoints' histograms, so the overall percentiles
    cost no extra pass over the data; counts come from ``bincount`` over the endpoint codes.
    """
    frame = samples.frame
    arr = samples.arrays()
    n, n_ok, n_lat = arr.n, arr.n_ok, arr.n_measured
    # latency percentiles are over successful requests with a known latency
    where = None if arr.all_measured else arr.measured
    est, lo, hi = rank_matrix(np.array([n_lat]), qs, confidence, sides)
    pooled_ranks = np.concatenate([est, lo, hi], axis=1)[0]
    names: list[str] = []
    if by_endpoint and n:
        codes, names, n_all = arr.names
        g = len(names)
        n_good = n_all if arr.all_ok else n_all - np.bincount(codes[arr.failed], minlength=g)
        n_known = n_all if where is None else np.bincount(codes[where], minlength=g)
        gest, glo, ghi = rank_matrix(n_known.astype(np.int64), qs, confidence, sides)
        granks = np.concatenate([gest, glo, ghi], axis=1)
        got, pooled = select_ranks(arr.latency, codes, g, granks, pooled_ranks, where)
    else:
        got1, _ = select_ranks(arr.latency, None, 1, pooled_ranks[None, :], where=where)
        pooled = got1[0]
    intended = None
    if n and frame["t_intended"].null_count() < n:
        iv = intended_latency(frame.filter(pl.col("ok"))).to_numpy()
        intended = _latency_dict(iv, qs, confidence, sides)

    def figures(cnt: int, good: int, latency: dict[str, Estimate], known: int) -> dict[str, Any]:
        return {
            "n": cnt,
            "n_ok": good,
            "duration_s": duration_s,
            "success_rate": rate_estimate(good, cnt, confidence=confidence, sides=sides),
            "error_rate": rate_estimate(cnt - good, cnt, confidence=confidence, sides=sides),
            "throughput_rps": throughput_estimate(
                cnt, duration_s, confidence=confidence, sides=sides
            ),
            "latency_ms": latency,
            "latency_skipped": good - known,
        }

    overall = GroupStats(
        **figures(n, n_ok, _estimates(pooled, lo[0], hi[0], n_lat, qs), n_lat),
        latency_intended_ms=intended,
    )
    endpoints: dict[str, GroupStats] = {}
    for i in sorted(range(len(names)), key=lambda i: names[i]):
        cnt, good, known = int(n_all[i]), int(n_good[i]), int(n_known[i])
        if cnt:
            lat_i = _estimates(got[i], glo[i], ghi[i], known, qs)
            endpoints[names[i]] = GroupStats(**figures(cnt, good, lat_i, known))
    return overall, endpoints


def spread_across_runs(
    per_run: dict[str, GroupStats], *, confidence: float = CONFIDENCE
) -> dict[str, dict[str, float | None]]:
    """Mean, sd, min, max and a t interval of each headline figure across runs."""
    if not per_run:
        return {}
    figures: dict[str, list[float]] = {"success_rate": [], "throughput_rps": []}
    for g in per_run.values():
        figures["success_rate"].append(g.success_rate.value)
        figures["throughput_rps"].append(g.throughput_rps.value)
        for key, est in g.latency_ms.items():
            figures.setdefault(f"latency_{key}_ms", []).append(est.value)
    out: dict[str, dict[str, float | None]] = {}
    for name, values in figures.items():
        arr = np.asarray(values, dtype=np.float64)
        arr = arr[np.isfinite(arr)]
        if arr.size == 0:
            continue
        mean, lo, hi = t_interval(arr, confidence=confidence)
        out[name] = {
            "mean": _num(mean),
            "sd": _num(float(arr.std(ddof=1))) if arr.size > 1 else None,
            "min": _num(float(arr.min())),
            "max": _num(float(arr.max())),
            "ci_low": _num(lo),
            "ci_high": _num(hi),
            "runs": int(arr.size),
        }
    return out


def use_run_unit(infos: Sequence[RunInfo], repeats: int | None = None) -> bool:
    """The run is the unit whenever a candidate has several runs, declared repeats or not.

    Separate ``pockit run`` invocations or several imported files vary from run to run (a warm
    cache, a noisy neighbour, another deploy); pooling their requests as if independent hides
    that spread and lets a candidate at its threshold PASS far more than 5% of the time.
    ``repeats`` (the spec's plan) only shapes the warnings.
    """
    return len(infos) >= 2


def repeat_warnings(name: str, infos: Sequence[RunInfo], repeats: int | None = None) -> list[str]:
    if use_run_unit(infos, repeats) and len(infos) < MIN_RUNS:
        return [
            f"{name}: only {len(infos)} run(s); the run is the unit, and the run-to-run spread "
            f"needs at least {MIN_RUNS} to be trusted"
        ]
    if repeats and repeats > 1 and len(infos) < repeats:
        return [f"{name}: {len(infos)} of {repeats} planned repeats present"]
    return []


# -- the public entry point --------------------------------------------------------------------

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


def candidate_stats(
    name: str,
    infos: Sequence[RunInfo],
    pooled: GroupStats,
    per_run: dict[str, GroupStats],
    confidence: float,
    warnings: list[str],
) -> CandidateStats:
    """One candidate's figures: pooled, per run, the unit, the spread; its warnings join ``warnings``
    (shared by the in-memory and the streaming path, so both say the same)."""
    cw = repeat_warnings(name, infos)
    warnings.extend(cw)
    return CandidateStats(
        name=name,
        pooled=pooled,
        runs=[i.id for i in infos],
        unit="run" if use_run_unit(infos) else "pooled",
        per_run=per_run,
        spread=spread_across_runs(per_run, confidence=confidence),
        warnings=cw,
    )


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
        if stream is None:
            stream = sample_rows(rundirs) >= STREAM_ROWS
        if stream:
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


METHOD_BURN = "error rate / (1 - SLO target), Wilson interval of the error rate scaled alike"


def error_budget_burn(
    errors: int,
    n: int,
    slo_target: float,
    *,
    confidence: float = CONFIDENCE,
    sides: Sides = "two",
) -> Estimate:
    """Error-budget burn rate: 1.0 spends the budget exactly at the SLO's pace, 10 ten times faster."""
    if not 0.0 < slo_target < 1.0 or n <= 0:
        return Estimate.missing(METHOD_BURN)
    budget = 1.0 - slo_target
    rate = rate_estimate(errors, n, confidence=confidence, sides=sides)
    return Estimate(
        rate.value / budget, rate.ci_low / budget, rate.ci_high / budget, n, METHOD_BURN
    )
