"""What happens around events: detection of and recovery from injected faults, cold starts after
idle gaps.

All read ``events.jsonl`` (``fault_start``/``fault_end``, ``idle_gap_end``: the kinds in
:class:`pockit._contract.EventKind`, written by the load's faults and shape) and the samples of the
same run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pockit._constants import CONFIDENCE
from pockit._contract import DEFAULT_COLD_PROBE, EventKind, events_of, parse_iso
from pockit.analysis._intervals import Sides
from pockit.analysis._quantiles import METHOD_QUANTILE, Estimate, quantiles_of
from pockit.analysis._samples import RunInfo

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

#: A run counts as recovered once this many consecutive 1 s buckets are healthy.
RECOVERY_SETTLE_BUCKETS = 3
#: Error rate of a healthy bucket when the spec has no error-rate criterion.
DEFAULT_HEALTHY_ERROR_RATE = 0.01
#: Without a latency criterion, a healthy bucket's P95 is within this factor of the pre-fault P95.
DEFAULT_HEALTHY_P95_FACTOR = 1.5

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


def _events(info: RunInfo, kind: EventKind) -> list[dict[str, object]]:
    return events_of(info.events, kind)


def _pre_fault_limit(run: pl.DataFrame, info: RunInfo) -> float | None:
    """Without a latency criterion: DEFAULT_HEALTHY_P95_FACTOR x the P95 of the successful
    requests before the first fault_start (None when fewer than 20 of them)."""
    import numpy as np
    import polars as pl

    starts = _events(info, EventKind.FAULT_START)
    if not starts:
        return None
    first = parse_iso(str(starts[0]["ts"]))
    known = pl.col("ok") & pl.col("latency_ms").is_not_null()
    pre = run.filter(known & (pl.col("t_start") < first))
    if pre.height < 20:
        return None
    return DEFAULT_HEALTHY_P95_FACTOR * float(np.quantile(pre["latency_ms"].to_numpy(), 0.95))


def recoveries(
    frame: pl.DataFrame,
    infos: Sequence[RunInfo],
    *,
    error_threshold: float | None = None,
    p95_threshold_ms: float | None = None,
    bucket_s: float = 1.0,
    settle: int = RECOVERY_SETTLE_BUCKETS,
) -> list[Recovery]:
    """Seconds from each ``fault_end`` until the run is healthy again (see module constants)."""
    import polars as pl

    err_thr = DEFAULT_HEALTHY_ERROR_RATE if error_threshold is None else error_threshold
    out: list[Recovery] = []
    every = f"{round(bucket_s * 1e9)}ns"
    for info in infos:
        ends = _events(info, EventKind.FAULT_END)
        if not ends:
            continue
        run = frame.filter(pl.col("run_id") == info.id)
        if run.height == 0:
            continue
        thr = p95_threshold_ms if p95_threshold_ms is not None else _pre_fault_limit(run, info)
        buckets = (
            run.with_columns(pl.col("t_start").dt.truncate(every).alias("b"))
            .group_by("b")
            .agg(
                pl.len().alias("n"),
                (~pl.col("ok")).mean().alias("err"),
                pl.col("latency_ms").filter(pl.col("ok")).quantile(0.95, "higher").alias("p95"),
            )
            .sort("b")
        )
        ts = buckets["b"].to_list()
        healthy = (buckets["err"] <= err_thr).fill_null(False)
        if thr is not None:
            healthy = healthy & (buckets["p95"] <= thr).fill_null(False)
        ok = healthy.to_numpy()
        for ev in ends:
            te = parse_iso(str(ev["ts"]))
            rec = math.inf
            # walk buckets from the one holding fault_end; a missing second counts as unhealthy
            idx = [i for i, t in enumerate(ts) if t + timedelta(seconds=bucket_s) > te]
            for pos, i in enumerate(idx):
                window = idx[pos : pos + settle]
                if len(window) < settle:
                    break
                contiguous = all(
                    (ts[window[j + 1]] - ts[window[j]]).total_seconds() <= bucket_s + 1e-9
                    for j in range(len(window) - 1)
                )
                if contiguous and all(ok[w] for w in window):
                    rec = max(0.0, (ts[i] - te).total_seconds())
                    break
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


def detections(
    frame: pl.DataFrame,
    infos: Sequence[RunInfo],
    *,
    error_threshold: float | None = None,
    quantile: float | None = None,
    latency_threshold_ms: float | None = None,
    bucket_s: float = 1.0,
) -> list[Detection]:
    """Per ``fault_start``: seconds until the first bucket that breaches (see METHOD_DETECT).

    Buckets start at the fault_start itself, so the estimate is within one bucket of the truth;
    a bucket without requests is no evidence either way and is passed over.
    """
    import polars as pl

    err_thr = DEFAULT_HEALTHY_ERROR_RATE if error_threshold is None else error_threshold
    out: list[Detection] = []
    for info in infos:
        starts = _events(info, EventKind.FAULT_START)
        if not starts:
            continue
        run = frame.filter(pl.col("run_id") == info.id)
        q, thr = (quantile, latency_threshold_ms) if quantile is not None else (0.95, None)
        if latency_threshold_ms is None or quantile is None:
            thr = _pre_fault_limit(run, info)
        lat_name = f"latency_p{q * 100:g}"
        rule = f"error rate > {err_thr:g}" + (
            f" or {lat_name} > {thr:g} ms" if thr is not None else ""
        )
        for ev in starts:
            ts = parse_iso(str(ev["ts"]))
            until = _fault_window_end(info, ev, ts)
            window = run.filter(pl.col("t_start") >= ts)
            if until is not None:
                window = window.filter(pl.col("t_start") < until)
            offset = (pl.col("t_start") - pl.lit(ts)).dt.total_nanoseconds() / 1e9
            buckets = (
                window.with_columns((offset // bucket_s).cast(pl.Int64).alias("i"))
                .group_by("i")
                .agg(
                    (~pl.col("ok")).mean().alias("err"),
                    pl.col("latency_ms").filter(pl.col("ok")).quantile(q, "higher").alias("lat"),
                )
                .sort("i")
            )
            found, by = math.inf, ""
            for i, err, lat in buckets.iter_rows():
                if err is not None and err > err_thr:
                    found, by = float(i) * bucket_s, "error_rate"
                    break
                if thr is not None and lat is not None and lat > thr:
                    found, by = float(i) * bucket_s, lat_name
                    break
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
    frame: pl.DataFrame, infos: Sequence[RunInfo], *, failures_as_inf: bool = False
) -> np.ndarray:
    """Latencies of the first ``probe`` successful requests after each ``idle_gap_end`` event.

    With ``failures_as_inf`` (what a criterion judges), the first ``probe`` requests whatever
    their outcome, a failed one as +inf: a cold start that times out is the worst cold start.
    """
    import numpy as np
    import polars as pl

    chunks: list[np.ndarray] = []
    for info in infos:
        ends = _events(info, EventKind.IDLE_GAP_END)
        if not ends:
            continue
        run = frame.filter(pl.col("run_id") == info.id)
        if failures_as_inf:
            run = run.with_columns(
                pl.when(pl.col("ok")).then(pl.col("latency_ms")).otherwise(math.inf)
            )
        else:
            run = run.filter(pl.col("ok") & pl.col("latency_ms").is_not_null())
        run = run.sort("t_start")
        for ev in ends:
            te = parse_iso(str(ev["ts"]))
            probe = ev.get("probe", DEFAULT_COLD_PROBE)
            n = int(probe) if isinstance(probe, int | float) else DEFAULT_COLD_PROBE
            first = run.filter(pl.col("t_start") >= te).head(n)
            chunks.append(first["latency_ms"].to_numpy())
    return np.concatenate(chunks) if chunks else np.array([], dtype=np.float64)


def cold_start_estimate(
    frame: pl.DataFrame,
    infos: Sequence[RunInfo],
    q: float = 0.95,
    *,
    confidence: float = CONFIDENCE,
    sides: Sides = "two",
) -> Estimate:
    """P95 (or ``q``) of cold-start latencies with its order-statistic interval."""
    values = cold_start_latencies(frame, infos)
    return quantiles_of(values, [q], confidence=confidence, sides=sides, method=METHOD_QUANTILE)[0]
