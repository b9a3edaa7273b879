"""Figures of groups of samples in memory: all requests, each endpoint, each run, each candidate.

Latency percentiles are over successful requests with a known latency (module docstring of
:mod:`pockit.analysis._run_stats`); the spread of each headline figure across runs comes with a t
interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from pockit._constants import CONFIDENCE
from pockit.analysis._intervals import Sides, t_interval
from pockit.analysis._quantiles import (
    METHOD_QUANTILE,
    Estimate,
    pct_key,
    quantile_table,
    quantiles_of,
    rank_matrix,
)
from pockit.analysis._results import CandidateStats, GroupStats, _num
from pockit.analysis._samples import RunInfo, Samples
from pockit.analysis._select import select_ranks
from pockit.analysis._stats import (
    intended_latency,
    rate_estimate,
    repeat_warnings,
    throughput_estimate,
    use_run_unit,
)


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
