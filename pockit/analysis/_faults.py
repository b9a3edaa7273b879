"""What happens around events: detection of and recovery from injected faults, cold starts after
idle gaps.

All read ``events.jsonl`` (``fault_start``/``fault_end``, ``idle_gap_end``: the kinds in
:class:`pockit._contract.EventKind`, written by the load's faults and shape) and the samples of the
same run.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pockit._constants import CONFIDENCE
from pockit._contract import DEFAULT_COLD_PROBE, EventKind, events_of, parse_iso
from pockit.analysis._intervals import Sides
from pockit.analysis._quantiles import METHOD_QUANTILE, Estimate, quantiles_of
from pockit.analysis._requests import DEFAULT_HEALTHY_P95_FACTOR, Requests, as_requests
from pockit.analysis._samples import RunInfo

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

#: A run counts as recovered once this many consecutive 1 s buckets are healthy.
RECOVERY_SETTLE_BUCKETS = 3
#: Error rate of a healthy bucket when the spec has no error-rate criterion.
DEFAULT_HEALTHY_ERROR_RATE = 0.01

METHOD_RECOVERY = (
    "time from fault_end until {settle} consecutive {bucket:g} s buckets are healthy "
    "(error rate <= {err:g}{lat}); worst fault; interval = bucket resolution"
)


@dataclass(frozen=True)
class Recovery:
    """One fault's recovery: which run, which fault, and seconds until healthy (inf: never)."""

    run_id: str
    fault: str
    fault_end: datetime
    recovery_s: float


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _events(info: RunInfo, kind: EventKind) -> list[dict[str, object]]:
    return events_of(info.events, kind)


def _floor(when: datetime, bucket_s: float) -> datetime:
    """The start of the epoch-aligned ``bucket_s`` bucket holding ``when`` (``dt.truncate``'s)."""
    width = round(bucket_s * 1e9)
    ns = (when - EPOCH) // timedelta(microseconds=1) * 1000
    return EPOCH + timedelta(microseconds=(ns - ns % width) // 1000)


def _recovered(
    chunks: Iterator[pl.DataFrame],
    te: datetime,
    *,
    err_thr: float,
    p95_thr: float | None,
    bucket_s: float,
    settle: int,
) -> float:
    """Seconds from ``te`` to the first of ``settle`` consecutive healthy buckets (inf: never).

    ``chunks`` hold the run's requests from the bucket of ``te`` on, whole buckets each, in time
    order; a missing second breaks the streak (it counts as unhealthy).
    """
    import polars as pl

    every = f"{round(bucket_s * 1e9)}ns"
    streak: list[datetime] = []
    for chunk in chunks:
        buckets = (
            chunk.with_columns(pl.col("t_start").dt.truncate(every).alias("b"))
            .group_by("b")
            .agg(
                pl.len().alias("n"),
                (~pl.col("ok")).mean().alias("err"),
                pl.col("latency_ms").filter(pl.col("ok")).quantile(0.95, "higher").alias("p95"),
            )
            .sort("b")
        )
        healthy = (buckets["err"] <= err_thr).fill_null(False)
        if p95_thr is not None:
            healthy = healthy & (buckets["p95"] <= p95_thr).fill_null(False)
        for t, ok in zip(buckets["b"].to_list(), healthy.to_list(), strict=True):
            if t + timedelta(seconds=bucket_s) <= te:
                continue
            follows = bool(streak) and (t - streak[-1]).total_seconds() <= bucket_s + 1e-9
            streak = [*streak, t] if ok and follows else [t] if ok else []
            if len(streak) == settle:
                return max(0.0, (streak[0] - te).total_seconds())
    return math.inf


def recoveries(
    frame: pl.DataFrame | Requests,
    infos: Sequence[RunInfo],
    *,
    error_threshold: float | None = None,
    p95_threshold_ms: float | None = None,
    bucket_s: float = 1.0,
    settle: int = RECOVERY_SETTLE_BUCKETS,
) -> list[Recovery]:
    """Seconds from each ``fault_end`` until the run is healthy again (see module constants):
    ``settle`` consecutive buckets whose error rate and P95 (of successful requests) are healthy.

    ``frame`` is a samples frame or :class:`~pockit.analysis._requests.Requests` (streamed runs
    are read from the fault's end on, a few buckets at a time, until the run is healthy).
    """
    reqs = as_requests(frame)
    err_thr = DEFAULT_HEALTHY_ERROR_RATE if error_threshold is None else error_threshold
    out: list[Recovery] = []
    present = reqs.run_counts()
    for info in infos:
        ends = _events(info, EventKind.FAULT_END)
        if not ends or info.id not in present:
            continue
        thr = p95_threshold_ms if p95_threshold_ms is not None else reqs.pre_fault_limit(info)
        for ev in ends:
            te = parse_iso(str(ev["ts"]))
            chunks = reqs.rows(info.id, _floor(te, bucket_s), None, align_s=bucket_s)
            rec = _recovered(
                chunks, te, err_thr=err_thr, p95_thr=thr, bucket_s=bucket_s, settle=settle
            )
            out.append(Recovery(info.id, str(ev.get("fault", "")), te, rec))
    return out


def recovery_estimate(
    recs: Sequence[Recovery], *, bucket_s: float = 1.0, method: str = ""
) -> Estimate:
    """The worst recovery over faults; its interval is the bucket resolution, not sampling noise."""
    if not recs:
        return Estimate.missing(method)
    worst = max(r.recovery_s for r in recs)
    low = max(0.0, worst - bucket_s) if math.isfinite(worst) else math.inf
    return Estimate(worst, low, worst, len(recs), method)


METHOD_DETECT = (
    "time from fault_start to the start of the first 1 s bucket (aligned on fault_start, up to the "
    "fault's end) whose client-side error rate or latency percentile breaches the spec's threshold "
    "(error_rate / success_rate and the first latency criterion; else error rate > "
    f"{DEFAULT_HEALTHY_ERROR_RATE:g}, P95 > {DEFAULT_HEALTHY_P95_FACTOR:g}x the pre-fault P95); "
    "slowest fault; bounds = that bucket (the breach happened within it); never breached = inf"
)


@dataclass(frozen=True)
class Detection:
    """One fault's time to detect: seconds from fault_start to the breaching bucket (inf: never),
    what breached (``error_rate`` or ``latency_pNN``) and the rule used."""

    run_id: str
    fault: str
    fault_start: datetime
    detect_s: float
    by: str
    rule: str


def _fault_window_end(info: RunInfo, start: dict[str, object], ts: datetime) -> datetime | None:
    """When the fault that started at ``ts`` ended (its fault_end), else the run's end."""
    for ev in _events(info, EventKind.FAULT_END):
        te = parse_iso(str(ev["ts"]))
        if ev.get("fault") == start.get("fault") and te >= ts:
            return te
    end: datetime | None = info.end
    return end


def _first_breach(
    chunks: Iterator[pl.DataFrame],
    ts: datetime,
    *,
    err_thr: float,
    q: float,
    thr: float | None,
    lat_name: str,
    bucket_s: float,
) -> tuple[float, str]:
    """Seconds from ``ts`` to the first bucket (counted from ``ts``) that breaches, and by what."""
    import polars as pl

    for chunk in chunks:
        offset = (pl.col("t_start") - pl.lit(ts)).dt.total_nanoseconds() / 1e9
        buckets = (
            chunk.with_columns((offset // bucket_s).cast(pl.Int64).alias("i"))
            .group_by("i")
            .agg(
                (~pl.col("ok")).mean().alias("err"),
                pl.col("latency_ms").filter(pl.col("ok")).quantile(q, "higher").alias("lat"),
            )
            .sort("i")
        )
        for i, err, lat in buckets.iter_rows():
            if err is not None and err > err_thr:
                return float(i) * bucket_s, "error_rate"
            if thr is not None and lat is not None and lat > thr:
                return float(i) * bucket_s, lat_name
    return math.inf, ""


def detections(
    frame: pl.DataFrame | Requests,
    infos: Sequence[RunInfo],
    *,
    error_threshold: float | None = None,
    quantile: float | None = None,
    latency_threshold_ms: float | None = None,
    bucket_s: float = 1.0,
) -> list[Detection]:
    """Per ``fault_start``: seconds until the first bucket that breaches (see METHOD_DETECT).

    Buckets start at the fault_start itself, so the estimate is within one bucket of the truth;
    a bucket without requests is no evidence either way and is passed over. ``frame`` is a samples
    frame or :class:`~pockit.analysis._requests.Requests` (streamed runs are read over the
    fault's window only, a few buckets at a time).
    """
    reqs = as_requests(frame)
    err_thr = DEFAULT_HEALTHY_ERROR_RATE if error_threshold is None else error_threshold
    out: list[Detection] = []
    for info in infos:
        starts = _events(info, EventKind.FAULT_START)
        if not starts:
            continue
        q, thr = (quantile, latency_threshold_ms) if quantile is not None else (0.95, None)
        if latency_threshold_ms is None or quantile is None:
            thr = reqs.pre_fault_limit(info)
        lat_name = f"latency_p{q * 100:g}"
        rule = f"error rate > {err_thr:g}" + (
            f" or {lat_name} > {thr:g} ms" if thr is not None else ""
        )
        for ev in starts:
            ts = parse_iso(str(ev["ts"]))
            until = _fault_window_end(info, ev, ts)
            found, by = _first_breach(
                reqs.rows(info.id, ts, until, align_s=bucket_s),
                ts,
                err_thr=err_thr,
                q=q,
                thr=thr,
                lat_name=lat_name,
                bucket_s=bucket_s,
            )
            out.append(Detection(info.id, str(ev.get("fault", "")), ts, found, by, rule))
    return out


def detection_estimate(
    found: Sequence[Detection], *, bucket_s: float = 1.0, method: str = ""
) -> Estimate:
    """The slowest detection over faults; bounds: its bucket (inf when a fault went unseen)."""
    if not found:
        return Estimate.missing(method)
    worst = max(d.detect_s for d in found)
    high = worst + bucket_s if math.isfinite(worst) else math.inf
    return Estimate(worst, worst, high, len(found), method)


def cold_start_latencies(
    frame: pl.DataFrame | Requests, infos: Sequence[RunInfo], *, failures_as_inf: bool = False
) -> np.ndarray:
    """Latencies of the first ``probe`` successful requests after each ``idle_gap_end`` event.

    With ``failures_as_inf`` (what a criterion judges), the first ``probe`` requests whatever
    their outcome, a failed one as +inf: a cold start that times out is the worst cold start.
    Requests that started at the same time keep the order the samples hold them in.
    """
    import numpy as np
    import polars as pl

    reqs = as_requests(frame)
    chunks: list[np.ndarray] = []
    for info in infos:
        for ev in _events(info, EventKind.IDLE_GAP_END):
            te = parse_iso(str(ev["ts"]))
            probe = ev.get("probe", DEFAULT_COLD_PROBE)
            n = int(probe) if isinstance(probe, int | float) else DEFAULT_COLD_PROBE
            taken: list[pl.DataFrame] = []
            for part in reqs.rows(info.id, te, None, align_s=1.0):
                if failures_as_inf:
                    part = part.with_columns(
                        pl.when(pl.col("ok")).then(pl.col("latency_ms")).otherwise(math.inf)
                    )
                else:
                    part = part.filter(pl.col("ok") & pl.col("latency_ms").is_not_null())
                taken.append(part)
                if sum(p.height for p in taken) >= n:
                    break
            if not taken:
                chunks.append(np.array([], dtype=np.float64))
                continue
            first = pl.concat(taken).sort("t_start", maintain_order=True).head(n)
            chunks.append(first["latency_ms"].to_numpy())
    return np.concatenate(chunks) if chunks else np.array([], dtype=np.float64)


def cold_start_estimate(
    frame: pl.DataFrame | Requests,
    infos: Sequence[RunInfo],
    q: float = 0.95,
    *,
    confidence: float = CONFIDENCE,
    sides: Sides = "two",
) -> Estimate:
    """P95 (or ``q``) of cold-start latencies with its order-statistic interval."""
    values = cold_start_latencies(frame, infos)
    return quantiles_of(values, [q], confidence=confidence, sides=sides, method=METHOD_QUANTILE)[0]
