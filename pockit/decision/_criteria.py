"""Judging one criterion for one candidate: estimate, one-sided bounds, outcome, reason.

Decision rule (architecture.md contract 3). Each PASS or FAIL is a one-sided claim, so each is backed by a
one-sided bound at the decision confidence (95%): PASS needs the bound on the bad side of the
estimate to clear the threshold, FAIL needs the bound on the good side to miss it; otherwise
INCONCLUSIVE. The reported ``[ci_low, ci_high]`` is that pair of one-sided 95% bounds (together a
two-sided 90% interval). This makes a true value exactly at the threshold PASS at most 5% of the
time, and it is why 59 samples are the fewest that can show P95 below a threshold (299 for P99).

Latency percentiles: "P95 < T" is tested as "the share of requests under T is at least 0.95",
with an exact Clopper-Pearson bound on that share. The share is over every request: a failed one
(a timeout, a 500) never got a good answer under T, so it counts as +inf latency; otherwise
timeouts could never fail a P95 criterion. ``pockit stats`` percentiles, a description rather
than a test, stay over successful requests. A successful request whose latency is unknown (the
samples hold null, NaN or a negative value) may have been as fast as 0 or as slow as +inf: the
criterion is judged at both extremes and PASSes or FAILs only when both agree (INCONCLUSIVE when
the unknown share could flip it). Rates count every request, whatever its latency. Rows that
``pockit import --skip-bad-rows`` skipped (:attr:`CandidateData.rows_unknown`) are requests of
unknown outcome: rates, burn, latency and throughput are judged with them all OK (and 0 ms) and all
failed (and +inf), and PASS or FAIL only when both agree. With several
runs of a candidate, declared repeats or not, the run is the unit (:func:`_widen`). Clopper-Pearson, not Wilson, because it never
undercovers and it is the exact dual of the order-statistic bound on P95 reported in ms beside it,
so the two never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from pockit._constants import CONFIDENCE
from pockit._contract import EventKind, RunField, StopCode
from pockit._errors import PockitError
from pockit._rundir import RunDir
from pockit.analysis import (
    CLASS_METRICS,
    METHOD_CLASSES,
    RequestClass,
    class_expr,
    unknown_expr,
)
from pockit.analysis._faults import (
    METHOD_DETECT,
    METHOD_RECOVERY,
    cold_start_latencies,
    detection_estimate,
    detections,
    recoveries,
    recovery_estimate,
)
from pockit.analysis._intervals import (
    Sides,
    clopper_pearson,
    min_samples_for_bound,
    quantile_ci_ranks,
    quantile_rank,
    t_interval,
)
from pockit.analysis._quantiles import METHOD_QUANTILE, Estimate, ranked_values
from pockit.analysis._samples import RunInfo, count_text
from pockit.analysis._sequential import (
    METHOD_SEQUENTIAL,
    evaluate_sequential,
    share_counts,
    share_test,
)
from pockit.analysis._stats import (
    METHOD_THROUGHPUT,
    intended_latency_expr,
    throughput_estimate,
)
from pockit.decision._costs import CostFigure
from pockit.decision._model import FAIL, INCONCLUSIVE, PASS, WARN, CriterionResult, Outcome
from pockit.spec import FIXED_METRICS, Criterion, Spec, latency_quantile

SIDES: Sides = "one"

METHOD_LATENCY = (
    "share of all requests under the threshold vs the quantile level, exact one-sided "
    "Clopper-Pearson 95% bound; failed requests count as not under the threshold (latency +inf: "
    "they never got a good answer in time); estimate = exact sample quantile X_(ceil(nq)) over all "
    "requests with failures as +inf, one-sided 95% order-statistic bounds (the dual of the share "
    "test; a failure at that rank prints as unbounded). A successful request whose latency is "
    "unknown (null, NaN, infinite or negative in the samples) is judged both as +inf and as 0 ms: "
    "PASS or FAIL only when both extremes give it, else INCONCLUSIVE; its estimate is over the "
    "requests with a known latency, its bounds span both extremes. With several runs the run is "
    "the unit: share and ms bounds widened to one-sided t bounds over the runs' values. Unlike "
    "pockit stats, whose percentiles describe successful requests with a known latency only"
)
METHOD_RATE = (
    "share k/n with exact one-sided Clopper-Pearson 95% bounds (never passes more than 5% of the "
    "time at the threshold; pockit stats shows Wilson intervals)"
)
METHOD_BURN = "error rate / (1 - SLO target), the error rate's Clopper-Pearson bounds scaled alike"
METHOD_SERVER = "mean of the metric over the run windows; one-sided t bounds over 10 batch means"


@dataclass
class CandidateData:
    """Everything the criteria of one candidate are judged on."""

    name: str
    frame: pl.DataFrame
    infos: list[RunInfo]
    durations: dict[str, float]
    unit: str  # "pooled" or "run"
    cost: CostFigure | None = None
    metrics: pl.DataFrame | None = None
    endpoints: list[str] = field(default_factory=list)
    #: successful requests of these runs whose latency is unknown, by reason (null, nan, ...)
    latency_skipped: dict[str, int] = field(default_factory=dict)
    #: what throughput divides by (analysis._stats.throughput_method: load window or start..end)
    throughput_method: str = METHOD_THROUGHPUT
    #: run id -> (rows ``pockit import --skip-bad-rows`` skipped, the file): requests whose
    #: outcome and latency nobody knows, judged both as all OK and fast and as all failed
    rows_unknown: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def n_unknown(self) -> int:
        """Rows of unknown outcome (skipped by the importer) across these runs."""
        return sum(count for count, _ in self.rows_unknown.values())

    def unknown_text(self) -> str:
        """``"12 row(s) of locust.csv skipped by pockit import --skip-bad-rows (run r1)"``."""
        parts = [
            f"{count} row(s) of {Path(src).name} (run {rid})"
            for rid, (count, src) in self.rows_unknown.items()
        ]
        return "; ".join(parts) + " skipped by pockit import --skip-bad-rows, outcome unknown"

    @property
    def duration_s(self) -> float:
        return float(np.nansum(list(self.durations.values()))) if self.durations else math.nan


# -- judging -------------------------------------------------------------------------------------


def judge(crit: Criterion, est: float, lo: float, hi: float) -> Outcome:
    """PASS / FAIL / INCONCLUSIVE from the one-sided bounds; WARN for a PASS inside the band."""
    thr = crit.threshold
    if crit.op in ("<", "<="):
        passed = hi < thr if crit.op == "<" else hi <= thr
        failed = lo >= thr if crit.op == "<" else lo > thr
        in_band = crit.warn is not None and est >= thr - crit.warn
    else:
        passed = lo > thr if crit.op == ">" else lo >= thr
        failed = hi <= thr if crit.op == ">" else hi < thr
        in_band = crit.warn is not None and est <= thr + crit.warn
    if passed:
        return WARN if in_band else PASS
    if failed:
        return FAIL
    return INCONCLUSIVE


def _fmt(x: float, unit: str = "") -> str:
    if not math.isfinite(x):
        return "unbounded" if math.isinf(x) else "n/a"
    if unit == "%":
        return f"{x:.2%}"
    return f"{x:.4g}{unit}"


def _result(
    crit: Criterion,
    cand: str,
    outcome: Outcome,
    est: Estimate | tuple[float, float, float, int],
    reason: str,
    method: str,
    details: dict[str, Any] | None = None,
) -> CriterionResult:
    if isinstance(est, Estimate):
        value, lo, hi, n = est.value, est.ci_low, est.ci_high, est.n
    else:
        value, lo, hi, n = est
    return CriterionResult(
        candidate=cand,
        metric=crit.metric,
        op=crit.op,
        threshold=crit.threshold,
        outcome=outcome,
        estimate=value,
        ci_low=lo,
        ci_high=hi,
        n=n,
        reason=reason,
        method=method,
        key=crit.key,
        weight=crit.weight,
        warn=crit.warn,
        endpoint=crit.endpoint,
        details=details or {},
    )


def missing(crit: Criterion, cand: str, why: str, method: str = "", n: int = 0) -> CriterionResult:
    """Data is absent: INCONCLUSIVE (or FAIL when the criterion says ``on_missing: fail``)."""
    outcome: Outcome = FAIL if crit.on_missing == "fail" else INCONCLUSIVE
    suffix = " (on_missing: fail)" if outcome == FAIL else ""
    return _result(crit, cand, outcome, (math.nan, math.nan, math.nan, n), f"{why}{suffix}", method)


def _explain(
    crit: Criterion, outcome: Outcome, est: float, lo: float, hi: float, unit: str = ""
) -> str:
    bounds = f"95% bounds [{_fmt(lo, unit)}, {_fmt(hi, unit)}]"
    head = f"{crit.metric} = {_fmt(est, unit)}, {bounds}"
    if outcome == PASS:
        return f"{head}: whole interval {crit.op} {crit.threshold:g}"
    if outcome == WARN:
        return f"{head}: passes, but the estimate is within the warning band ({crit.warn:g}) of {crit.threshold:g}"
    if outcome == FAIL:
        return f"{head}: whole interval on the wrong side of {crit.op} {crit.threshold:g}"
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return f"{head}: too few samples for a finite interval; cannot tell whether {crit.op} {crit.threshold:g}"
    return f"{head}: interval straddles {crit.threshold:g}; more data needed"


def _widen(pooled: tuple[float, float], per_run: Sequence[float]) -> tuple[float, float, bool]:
    """Run as the unit: the wider of the pooled bounds and the across-run t bounds."""
    vals = [v for v in per_run if math.isfinite(v)]
    if len(vals) < 2:
        return pooled[0], pooled[1], False
    _, lo, hi = t_interval(vals, confidence=CONFIDENCE, sides=SIDES)
    return min(pooled[0], lo), max(pooled[1], hi), True


# -- metrics -------------------------------------------------------------------------------------


def _frame_for(crit: Criterion, data: CandidateData) -> tuple[pl.DataFrame | None, str | None]:
    if crit.endpoint is None:
        return data.frame, None
    if crit.endpoint not in data.endpoints:
        known = ", ".join(data.endpoints[:20]) or "none"
        return None, f"no endpoint {crit.endpoint!r} in the runs of {data.name}; endpoints: {known}"
    return data.frame.filter(pl.col("name") == crit.endpoint), None


def _below_min_samples(
    crit: Criterion, cand: str, n: int, what: str, method: str
) -> CriterionResult | None:
    """INCONCLUSIVE when the criterion's ``min_samples`` asks for more than ``n``; else None."""
    if crit.min_samples and n < crit.min_samples:
        return _result(
            crit,
            cand,
            INCONCLUSIVE,
            (math.nan, math.nan, math.nan, n),
            f"{n} {what}, fewer than min_samples {crit.min_samples}",
            method,
        )
    return None


def _with_failures(n: int, finite: np.ndarray, q: float) -> Estimate:
    """Order statistics of ``n`` requests whose failures are +inf: ``finite`` holds the rest.

    Rank ``r`` of all ``n`` is the ``r``-th finite latency when ``r <= finite.size``, else a
    failure (+inf): the estimate and bounds obey the same rule as the share test, so they agree.
    """
    m = int(finite.size)
    est_r = int(quantile_rank(n, q))
    lo_r, hi_r = (int(r[0]) for r in quantile_ci_ranks(n, q, confidence=CONFIDENCE, sides=SIDES))
    ranks = [est_r, lo_r, hi_r]
    got = [math.inf] * 3
    inside = [j for j, r in enumerate(ranks) if 1 <= r <= m]
    if inside:
        vals = ranked_values(finite, [ranks[j] for j in inside])
        for j, v in zip(inside, vals, strict=True):
            got[j] = float(v)
    low = -math.inf if lo_r < 1 else got[1]
    high = math.inf if hi_r > n else got[2]
    return Estimate(got[0], low, high, n, METHOD_QUANTILE)


@dataclass(frozen=True)
class _LatencyJudgement:
    """One pass of the latency test over values with no unknowns (failures +inf)."""

    outcome: Outcome
    est: Estimate
    share: float
    s_lo: float
    s_hi: float
    widened: bool


def _judge_latency(
    crit: Criterion, data: CandidateData, q: float, values_by_run: dict[str, np.ndarray]
) -> _LatencyJudgement:
    """The share test and the ms bounds on ``values_by_run`` (every value known; failures +inf)."""
    values = np.concatenate([v for v in values_by_run.values() if v.size])
    n = int(values.size)
    finite = values[np.isfinite(values)]
    thr = crit.threshold
    strict_under = crit.op in ("<", ">=")  # share counted as x < T, else x <= T
    k = int((values < thr).sum() if strict_under else (values <= thr).sum())
    s_lo, s_hi = (float(x) for x in clopper_pearson(k, n, confidence=CONFIDENCE, sides=SIDES))
    est = _with_failures(n, finite, q)
    lo, hi = est.ci_low, est.ci_high
    widened = False
    if data.unit == "run" and len(values_by_run) > 1:
        shares, qs = [], []
        for v in values_by_run.values():
            if v.size:
                shares.append(float((v < thr).sum() if strict_under else (v <= thr).sum()) / v.size)
                qs.append(_with_failures(v.size, v[np.isfinite(v)], q).value)
        s_lo, s_hi, widened = _widen((s_lo, s_hi), shares)
        lo, hi, _ = _widen((lo, hi), qs)
        if any(math.isinf(x) for x in qs):  # a run whose P95 is a failure: no finite upper bound
            hi = math.inf
    s_lo, s_hi = max(0.0, s_lo), min(1.0, s_hi)
    # The share test decides; with several runs the share and ms bounds are widened separately
    # (t over the runs' shares, t over the runs' quantiles), so both must agree before PASS or
    # FAIL: an outcome never contradicts the bounds reported beside it. Pooled, they are duals.
    ms = judge(replace(crit, warn=None), est.value, lo, hi)
    if crit.op in ("<", "<="):
        passed, failed = s_lo >= q and ms == PASS, s_hi < q and ms == FAIL
    else:
        passed, failed = s_hi < q and ms == PASS, s_lo >= q and ms == FAIL
    outcome: Outcome = INCONCLUSIVE
    if passed:
        in_band = crit.warn is not None and (
            est.value >= thr - crit.warn if crit.op in ("<", "<=") else est.value <= thr + crit.warn
        )
        outcome = WARN if in_band else PASS
    elif failed:
        outcome = FAIL
    est = Estimate(est.value, lo, hi, n, METHOD_QUANTILE)
    return _LatencyJudgement(outcome, est, k / n, s_lo, s_hi, widened)


def _both_ways(slow: Outcome, fast: Outcome) -> Outcome:
    """The outcome when unknown latencies may be +inf (``slow``) or 0 (``fast``): only what both say."""
    if slow == fast:
        return slow
    if {slow, fast} == {PASS, WARN}:
        return WARN
    return INCONCLUSIVE


def _with_unread(
    data: CandidateData, values_by_run: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """``values_by_run`` plus a NaN (unknown: judged as +inf and as 0 ms) per row of unknown
    outcome: a row the importer skipped may have been a failure or a fast success."""
    out = dict(values_by_run)
    for rid, (count, _) in data.rows_unknown.items():
        out[rid] = np.concatenate([out.get(rid, np.empty(0)), np.full(count, math.nan)])
    return out


def _latency(
    crit: Criterion,
    data: CandidateData,
    q: float,
    values_by_run: dict[str, np.ndarray],
    what: str,
    *,
    unread: int = 0,
) -> CriterionResult:
    """ "Pq op T" as "the share of requests under T is at least q" (see module docstring).

    ``values_by_run`` holds every request's latency, +inf for a failed one (a failure never got a
    good answer, so it is never under T and it counts in the denominator) and NaN for a successful
    one whose latency is unknown: that one is judged both as +inf and as 0 ms, and only an outcome
    both agree on stands (else INCONCLUSIVE). ``unread`` of the NaNs are rows the importer skipped
    (:func:`_with_unread`): their outcome is unknown too, and they are judged the same way.
    """
    allv = [v for v in values_by_run.values() if v.size]
    values = np.concatenate(allv) if allv else np.array([], dtype=np.float64)
    n = int(values.size)
    if n == 0:
        return missing(
            crit,
            data.name,
            f"no {what} for {data.name}: no latency to judge",
            METHOD_LATENCY,
        )
    too_few = _below_min_samples(crit, data.name, n, what, METHOD_LATENCY)
    if too_few is not None:
        return too_few
    unknown = np.isnan(values)
    n_unknown = int(unknown.sum())
    n_failed = int(np.isinf(values).sum())
    thr = crit.threshold
    strict_under = crit.op in ("<", ">=")
    if n_unknown:
        slow = _judge_latency(
            crit, data, q, {r: np.where(np.isnan(v), math.inf, v) for r, v in values_by_run.items()}
        )
        fast = _judge_latency(
            crit, data, q, {r: np.where(np.isnan(v), 0.0, v) for r, v in values_by_run.items()}
        )
        outcome = _both_ways(slow.outcome, fast.outcome)
        known = values[~unknown]
        m = int(known.size)
        value = _with_failures(m, known[np.isfinite(known)], q).value if m else math.nan
        k_known = (known < thr).sum() if strict_under else (known <= thr).sum()
        share = float(k_known) / m if m else math.nan
        lo, hi = fast.est.ci_low, slow.est.ci_high
        s_lo, s_hi = slow.s_lo, fast.s_hi
        widened = slow.widened
    else:
        one = _judge_latency(crit, data, q, values_by_run)
        outcome, value, share = one.outcome, one.est.value, one.share
        lo, hi, widened = one.est.ci_low, one.est.ci_high, one.widened
        s_lo, s_hi = one.s_lo, one.s_hi
    pct = f"P{q * 100:g}"
    under = "under" if strict_under else "at or under"
    fails_txt = f", {n_failed} failed (counted as not under)" if n_failed else ""
    bounds = f"95% bounds {s_lo:.2%}..{s_hi:.2%}"
    if n_unknown:
        known_of = f"the {n - n_unknown} of {n} {what} with a known latency"
        bounds += " with the unknown ones as +inf and as 0 ms"
    else:
        known_of = f"{n} {what}"
    share_txt = f"{_fmt(share, '%')} of {known_of}{fails_txt} {under} {thr:g} ms ({bounds}) vs {q:.2%} needed"
    head = f"{pct} = {_fmt(value)} ms [{_fmt(lo)}, {_fmt(hi)}]"
    if outcome == PASS:
        reason = f"{head} {crit.op} {thr:g}: {share_txt}"
    elif outcome == WARN:
        reason = f"{head} passes but is within the {crit.warn:g} ms warning band: {share_txt}"
    elif outcome == FAIL:
        reason = f"{head} misses {crit.op} {thr:g}: {share_txt}"
    elif n < min_samples_for_bound(q):
        reason = f"{head}: {n} {what} are too few for a finite 95% bound on {pct} (needs {min_samples_for_bound(q)}); {share_txt}"
    elif n_unknown and slow.outcome != fast.outcome:
        unknowns = (
            "latencies nobody knows"
            if not unread
            else "rows nobody could read"
            if unread == n_unknown
            else "latencies nobody knows and the rows nobody could read"
        )
        reason = f"{head}: the outcome depends on the {unknowns}; {share_txt}"
    else:
        reason = f"{head}: interval straddles {thr:g} ms; {share_txt}"
    details: dict[str, Any] = {
        "quantile": q,
        "share_under": share,
        "share_ci_low": s_lo,
        "share_ci_high": s_hi,
        "failed": n_failed,
        "latency_unknown": n_unknown,
        "import_skipped_rows": unread,
        "unit": data.unit,
    }
    if n_unknown:
        why = count_text(data.latency_skipped)
        if n_unknown > unread:
            reason += f"; {n_unknown - unread} successful request(s) have no usable latency" + (
                f" ({why} in the runs of {data.name})" if why else ""
            )
        if unread:
            reason += f"; {data.unknown_text()}, judged as failed (+inf) and as OK at 0 ms"
        reason += f": as +inf the criterion is {slow.outcome}, as 0 ms {fast.outcome}"
        details["outcome_if_unknown_slow"] = slow.outcome
        details["outcome_if_unknown_fast"] = fast.outcome
    if widened:
        reason += f"; run is the unit ({len(values_by_run)} runs)"
    return _result(crit, data.name, outcome, (value, lo, hi, n), reason, METHOD_LATENCY, details)


def _failed_as_inf(part: pl.DataFrame, values: pl.Expr) -> np.ndarray:
    """``values`` of every request in ``part``, +inf where the request failed, NaN where a
    successful request's latency is unknown (null)."""
    out: np.ndarray = (
        part.select(pl.when(pl.col("ok")).then(values).otherwise(math.inf).cast(pl.Float64))
        .to_series()
        .to_numpy()
    )
    return out


def _per_run_values(frame: pl.DataFrame, column_expr: pl.Expr) -> dict[str, np.ndarray]:
    """Per run, every request's latency: failures +inf, unknown NaN (see :func:`_latency`)."""
    out: dict[str, np.ndarray] = {}
    for (rid,), part in frame.group_by(["run_id"], maintain_order=True):
        out[str(rid)] = _failed_as_inf(part, column_expr)
    return out


@dataclass(frozen=True)
class _Judged:
    """A criterion judged on known rows, or at both extremes of the rows of unknown outcome."""

    outcome: Outcome
    value: float
    lo: float
    hi: float
    #: outcome with the unknown rows at their good / bad extreme (None: there are none)
    if_good: Outcome | None = None
    if_bad: Outcome | None = None

    def explain(
        self,
        crit: Criterion,
        data: CandidateData,
        unit: str,
        good: str,
        bad: str,
        counted: str = "",
    ) -> str:
        """The reason (``counted`` after the figures); with unknown rows, what each extreme gives
        and that only their agreement decides."""
        text = _explain(crit, self.outcome, self.value, self.lo, self.hi, unit) + counted
        if self.if_good is None:
            return text
        if self.if_good != self.if_bad and self.outcome == INCONCLUSIVE:
            head = f"{crit.metric} = {_fmt(self.value, unit)} over the rows read, 95% bounds "
            text = f"{head}[{_fmt(self.lo, unit)}, {_fmt(self.hi, unit)}] at both extremes{counted}: the outcome depends on rows nobody could read"
        return f"{text}; {data.unknown_text()}: {good} the criterion is {self.if_good}, {bad} {self.if_bad}"

    def details(self) -> dict[str, Any]:
        if self.if_good is None:
            return {}
        return {"outcome_if_unknown_good": self.if_good, "outcome_if_unknown_bad": self.if_bad}


def _judged_share(
    crit: Criterion, data: CandidateData, frame: pl.DataFrame, *, errors: bool, scale: float = 1.0
) -> tuple[int, _Judged]:
    """Judge the failed (``errors``) or successful share of ``frame``'s requests (divided by
    ``scale``): once, or at both extremes of the rows of unknown outcome (all OK, all failed)."""
    k, value, lo, hi = _request_share(data, frame, errors=errors)
    if not data.n_unknown:
        est = (value / scale, lo / scale, hi / scale)
        return k, _Judged(judge(crit, *est), *est)
    ends = []
    for unknown_ok in (True, False):
        _, v, lo, hi = _request_share(data, frame, errors=errors, unknown_ok=unknown_ok)
        ends.append((judge(crit, v / scale, lo / scale, hi / scale), lo / scale, hi / scale))
    (good, lo_a, hi_a), (bad, lo_b, hi_b) = ends
    return k, _Judged(
        _both_ways(good, bad),
        value / scale,
        min(lo_a, lo_b),
        max(hi_a, hi_b),
        if_good=good,
        if_bad=bad,
    )


def _rate(
    crit: Criterion, data: CandidateData, frame: pl.DataFrame, *, errors: bool
) -> CriterionResult:
    n = frame.height
    if n == 0:
        return missing(crit, data.name, f"no requests for {data.name}", METHOD_RATE)
    too_few = _below_min_samples(crit, data.name, n, "requests", METHOD_RATE)
    if too_few is not None:
        return too_few
    k, j = _judged_share(crit, data, frame, errors=errors)
    counted = f" ({k} of {n} requests" + (" read)" if data.n_unknown else ")")
    reason = j.explain(crit, data, "%", "as all OK", "as all failed", counted)
    if data.unit == "run":
        reason += f"; run is the unit ({frame['run_id'].n_unique()} runs)"
    return _result(
        crit,
        data.name,
        j.outcome,
        (j.value, j.lo, j.hi, n),
        reason,
        METHOD_RATE,
        {"unit": data.unit, "import_skipped_rows": data.n_unknown, **j.details()},
    )


def _share(k: int, n: int) -> tuple[float, float, float]:
    """``k / n`` with its exact one-sided Clopper-Pearson bounds (what a rate decision uses)."""
    lo, hi = clopper_pearson(k, n, confidence=CONFIDENCE, sides=SIDES)
    return k / n, float(lo), float(hi)


def _request_share(
    data: CandidateData, frame: pl.DataFrame, *, errors: bool, unknown_ok: bool | None = None
) -> tuple[int, float, float, float]:
    """Count, share and bounds of failed (``errors``) or successful requests among *all* of
    ``frame``'s requests, whatever their latency; with several runs the run is the unit.

    ``unknown_ok`` True / False adds the rows of unknown outcome (``data.rows_unknown``) as all
    successful / all failed; None leaves them out (the share of the rows read)."""
    counted = pl.col("ok").not_() if errors else pl.col("ok")
    per = frame.group_by(pl.col("run_id").cast(pl.String)).agg(
        pl.len().alias("n"), counted.sum().alias("k")
    )
    n_run = {str(r): int(n) for r, n, _ in per.iter_rows()}
    k_run = {str(r): int(k) for r, _, k in per.iter_rows()}
    if unknown_ok is not None:
        counted_unknown = unknown_ok != errors  # unknown rows all OK count as successes
        for rid, (count, _) in data.rows_unknown.items():
            n_run[rid] = n_run.get(rid, 0) + count
            k_run[rid] = k_run.get(rid, 0) + (count if counted_unknown else 0)
    n, k = sum(n_run.values()), sum(k_run.values())
    value, lo, hi = _share(k, n)
    if data.unit == "run":
        lo, hi, _ = _widen((lo, hi), [k_run[r] / n_run[r] for r in n_run if n_run[r]])
        lo, hi = max(0.0, lo), min(1.0, hi)
    return k, value, lo, hi


def _throughput(crit: Criterion, data: CandidateData, frame: pl.DataFrame) -> CriterionResult:
    n = frame.height
    dur = data.duration_s
    method = data.throughput_method
    if n == 0 or not dur > 0:
        return missing(crit, data.name, f"no requests or no run duration for {data.name}", method)
    counts = {str(r): int(c) for r, c in frame.group_by("run_id").len().iter_rows()}

    def judged(extra: dict[str, int]) -> tuple[Outcome, float, float, float]:
        total = n + sum(extra.values())
        est = throughput_estimate(total, dur, confidence=CONFIDENCE, sides=SIDES, method=method)
        lo, hi = est.ci_low, est.ci_high
        if data.unit == "run":
            per = [
                (counts.get(rid, 0) + extra.get(rid, 0)) / d
                for rid, d in data.durations.items()
                if d > 0
            ]
            lo, hi, _ = _widen((lo, hi), per)
        return judge(crit, est.value, lo, hi), est.value, lo, hi

    outcome, value, lo, hi = judged({})
    j = _Judged(outcome, value, lo, hi)
    if data.n_unknown:  # unread rows were requests (all counted) or not (none)
        good, _, lo_u, hi_u = judged({r: c for r, (c, _) in data.rows_unknown.items()})
        j = _Judged(
            _both_ways(good, outcome), value, lo, max(hi, hi_u), if_good=good, if_bad=outcome
        )
    return _result(
        crit,
        data.name,
        j.outcome,
        (j.value, j.lo, j.hi, n),
        j.explain(crit, data, " rps", "counting them as requests", "leaving them out"),
        method,
        {"duration_s": dur, **j.details()},
    )


def _cost(crit: Criterion, data: CandidateData, spec: Spec) -> CriterionResult:
    method = "attributed billing cost / requests * 1000 (a measured total, no sampling interval)"
    cost = data.cost
    if cost is None or cost.problem is not None:
        why = (
            cost.problem
            if cost is not None and cost.problem
            else "billing not landed / no cost source"
        )
        return missing(crit, data.name, f"cost_per_1k_usd for {data.name}: {why}", method)
    if cost.currency and cost.currency.upper() != "USD":
        return missing(
            crit,
            data.name,
            f"cost is in {cost.currency}, the criterion is in USD; pockit never converts currencies",
            method,
        )
    lag_ok = spec.cost.lag_ok if spec.cost is not None else False
    if not cost.covers_window and not lag_ok:
        return missing(
            crit,
            data.name,
            "billing does not cover the run window yet (billing lags; re-run decide later or set cost.lag_ok)",
            method,
        )
    v = cost.per_1k
    outcome = judge(crit, v, v, v)
    reason = f"cost_per_1k_usd = ${v:.4g} (total {cost.total:.4g} {cost.currency} over {data.frame.height} requests, source {cost.source}) {crit.op} {crit.threshold:g}: {outcome}"
    return _result(
        crit,
        data.name,
        outcome,
        (v, v, v, data.frame.height),
        reason,
        method,
        {"total": cost.total, "currency": cost.currency, "covers_window": cost.covers_window},
    )


def _recovery(crit: Criterion, data: CandidateData, spec: Spec) -> CriterionResult:
    err_thr, p95_thr = None, None
    for other in spec.criteria:
        if other.metric == "error_rate" and other.op in ("<", "<="):
            err_thr = other.threshold
        elif other.metric == "success_rate" and other.op in (">", ">=") and err_thr is None:
            err_thr = 1.0 - other.threshold
        elif (
            other.metric == "latency_p95_ms" and other.op in ("<", "<=") and other.endpoint is None
        ):
            p95_thr = other.threshold
    recs = recoveries(data.frame, data.infos, error_threshold=err_thr, p95_threshold_ms=p95_thr)
    from pockit.analysis._faults import DEFAULT_HEALTHY_ERROR_RATE, RECOVERY_SETTLE_BUCKETS

    method = METHOD_RECOVERY.format(
        settle=RECOVERY_SETTLE_BUCKETS,
        bucket=1.0,
        err=err_thr if err_thr is not None else DEFAULT_HEALTHY_ERROR_RATE,
        lat=f", P95 <= {p95_thr:g} ms" if p95_thr is not None else ", P95 <= 1.5x pre-fault P95",
    )
    if not recs:
        return missing(
            crit,
            data.name,
            f"no fault_end event in the runs of {data.name}: recovery_s needs an injected fault",
            method,
        )
    est = recovery_estimate(recs, method=method)
    outcome = judge(crit, est.value, est.ci_low, est.ci_high)
    if math.isinf(est.value):
        reason = f"did not recover before the run ended after {sum(math.isinf(r.recovery_s) for r in recs)} of {len(recs)} fault(s)"
    else:
        reason = f"worst recovery {est.value:.0f} s over {len(recs)} fault(s) {crit.op} {crit.threshold:g} s: {outcome}"
    details = {
        "faults": [
            {
                "run_id": r.run_id,
                "fault": r.fault,
                "recovery_s": r.recovery_s if math.isfinite(r.recovery_s) else None,
            }
            for r in recs
        ]
    }
    return _result(crit, data.name, outcome, est, reason, method, details)


# -- request classes (denies, throttles, error classes, retries) and time to detect -------------


def _class_counts_by_run(frame: pl.DataFrame, cls: RequestClass) -> dict[str, tuple[int, int, int]]:
    """Run id -> (requests, of class ``cls``, of unknown membership: status not recorded)."""
    per = frame.group_by(pl.col("run_id").cast(pl.String)).agg(
        pl.len().alias("n"),
        class_expr(cls).fill_null(False).sum().alias("k"),
        unknown_expr(cls).sum().alias("u"),
    )
    return {str(r): (int(n), int(k), int(u)) for r, n, k, u in per.iter_rows()}


def _class_share(
    data: CandidateData, by_run: dict[str, tuple[int, int, int]], *, counted: bool
) -> tuple[float, float, float]:
    """Share and bounds with every request of unknown membership counted in the class or not:
    those whose status is unknown and the rows ``pockit import --skip-bad-rows`` skipped."""
    n_run = {r: n for r, (n, _, _) in by_run.items()}
    k_run = {r: k + (u if counted else 0) for r, (_, k, u) in by_run.items()}
    for rid, (count, _) in data.rows_unknown.items():
        n_run[rid] = n_run.get(rid, 0) + count
        k_run[rid] = k_run.get(rid, 0) + (count if counted else 0)
    n, k = sum(n_run.values()), sum(k_run.values())
    value, lo, hi = _share(k, n)
    if data.unit == "run":
        lo, hi, _ = _widen((lo, hi), [k_run[r] / n_run[r] for r in n_run if n_run[r]])
        lo, hi = max(0.0, lo), min(1.0, hi)
    return value, lo, hi


def _runs_without_retry_marks(data: CandidateData) -> list[str]:
    """Runs whose samples cannot carry retry marks: written before the ``retry`` column existed
    (no such column on disk) or imported from another tool's output."""
    out = []
    for info in data.infos:
        if info.record is not None and info.record.raw.get(RunField.IMPORTED_FROM):
            out.append(info.id)
            continue
        try:
            names = RunDir.open(info.path).scan_samples().collect_schema().names()
        except (PockitError, OSError, pl.exceptions.PolarsError):
            names = []
        if "retry" not in names:
            out.append(info.id)
    return out


def _class_rate(
    crit: Criterion, data: CandidateData, frame: pl.DataFrame, cls: RequestClass
) -> CriterionResult:
    """The share of all requests in class ``cls`` (analysis/_classes.py), exact one-sided
    Clopper-Pearson bounds, run as the unit with several runs; requests whose membership is
    unknown are judged counted and not counted, PASS or FAIL only when both agree."""
    method = f"{METHOD_RATE}; {METHOD_CLASSES}"
    n = frame.height
    if n == 0:
        return missing(crit, data.name, f"no requests for {data.name}", method)
    if cls == "retry":
        unmarked = _runs_without_retry_marks(data)
        if unmarked:
            why = (
                f"retry_rate: run(s) {', '.join(unmarked)} of {data.name} carry no retry marks "
                '(samples without the retry column, or imported); a locustfile marks retries with context={"retry": n}'
            )
            return missing(crit, data.name, why, method, n)
    too_few = _below_min_samples(crit, data.name, n, "requests", method)
    if too_few is not None:
        return too_few
    by_run = _class_counts_by_run(frame, cls)
    k = sum(k for _, k, _ in by_run.values())
    unknown = sum(u for _, _, u in by_run.values())
    value, lo, hi = _class_share(data, by_run, counted=False)
    outcome = judge(crit, value, lo, hi)
    details: dict[str, Any] = {"class": cls, "count": k, "unit": data.unit}
    counted = f" ({k} of {n} requests {cls})"
    reason = _explain(crit, outcome, value, lo, hi, "%") + counted
    if unknown or data.n_unknown:
        v_all, lo_all, hi_all = _class_share(data, by_run, counted=True)
        if_all = judge(crit, v_all, lo_all, hi_all)
        if_none = outcome
        outcome = _both_ways(if_none, if_all)
        lo, hi = min(lo, lo_all), max(hi, hi_all)
        parts = []
        if unknown:
            parts.append(f"{unknown} request(s) without a recorded HTTP status")
        if data.n_unknown:
            parts.append(data.unknown_text())
        reason += (
            f"; {' and '.join(parts)}: with none of them {cls} the criterion is {if_none}, "
            f"with all {if_all}"
        )
        details.update(
            status_unknown=unknown,
            import_skipped_rows=data.n_unknown,
            outcome_if_unknown_none=if_none,
            outcome_if_unknown_all=if_all,
        )
    if data.unit == "run":
        reason += f"; run is the unit ({len(by_run)} runs)"
    return _result(crit, data.name, outcome, (value, lo, hi, n), reason, method, details)


def _fault_thresholds(spec: Spec) -> tuple[float | None, float | None, float | None]:
    """(error-rate threshold, latency quantile, its threshold in ms) a bucket breaches: from the
    spec's error_rate / success_rate criterion and its first all-endpoint latency criterion."""
    err_thr: float | None = None
    q: float | None = None
    lat_thr: float | None = None
    for other in spec.criteria:
        if other.endpoint is not None:
            continue
        if other.metric == "error_rate" and other.op in ("<", "<="):
            err_thr = other.threshold
        elif other.metric == "success_rate" and other.op in (">", ">=") and err_thr is None:
            err_thr = 1.0 - other.threshold
        elif (
            q is None
            and other.op in ("<", "<=")
            and not other.metric.endswith("_intended_ms")
            and latency_quantile(other.metric) is not None
        ):
            q, lat_thr = latency_quantile(other.metric), other.threshold
    return err_thr, q, lat_thr


def _detect(crit: Criterion, data: CandidateData, spec: Spec) -> CriterionResult:
    """Time to detect: from each fault_start to the first 1 s bucket that breaches the spec's
    error-rate or latency threshold (analysis/_faults.py :func:`detections`); worst fault."""
    err_thr, q, lat_thr = _fault_thresholds(spec)
    found = detections(
        data.frame, data.infos, error_threshold=err_thr, quantile=q, latency_threshold_ms=lat_thr
    )
    method = METHOD_DETECT
    if not found:
        return missing(
            crit,
            data.name,
            f"no fault_start event in the runs of {data.name}: detect_s needs an injected fault",
            method,
        )
    est = detection_estimate(found, method=method)
    outcome = judge(crit, est.value, est.ci_low, est.ci_high)
    missed = sum(math.isinf(d.detect_s) for d in found)
    if missed:
        reason = (
            f"{missed} of {len(found)} fault(s) never breached the client-side thresholds while "
            f"they lasted ({found[0].rule}): not detected"
        )
    else:
        reason = (
            f"slowest detection {est.value:.0f} s (bounds {est.ci_low:.0f}..{est.ci_high:.0f} s) "
            f"over {len(found)} fault(s), breach = {found[0].rule}; {crit.op} "
            f"{crit.threshold:g} s: {outcome}"
        )
    details = {
        "faults": [
            {
                "run_id": d.run_id,
                "fault": d.fault,
                "detect_s": d.detect_s if math.isfinite(d.detect_s) else None,
                "by": d.by,
            }
            for d in found
        ]
    }
    return _result(crit, data.name, outcome, est, reason, method, details)


def _server(crit: Criterion, data: CandidateData, name: str) -> CriterionResult:
    m = data.metrics
    if m is None or m.height == 0:
        return missing(
            crit,
            data.name,
            f"no server-side metrics for {data.name} (metric {name!r}); fetch them with the spec's metrics sources",
            METHOD_SERVER,
        )
    sub = m.filter(pl.col("metric") == name)
    if sub.height == 0:
        known = ", ".join(sorted(set(m["metric"].cast(pl.String).to_list()))[:20])
        return missing(
            crit,
            data.name,
            f"server metric {name!r} absent for {data.name}; metrics present: {known}",
            METHOD_SERVER,
        )
    vals = sub.sort("ts")["value"].cast(pl.Float64).drop_nans().drop_nulls().to_numpy()
    n = int(vals.size)
    if n == 0:
        return missing(crit, data.name, f"server metric {name!r} has no values", METHOD_SERVER)
    batches = [b.mean() for b in np.array_split(vals, min(10, n))]
    mean, lo, hi = t_interval(batches, confidence=CONFIDENCE, sides=SIDES)
    mean = float(vals.mean())
    outcome = judge(crit, mean, lo, hi)
    return _result(
        crit,
        data.name,
        outcome,
        (mean, lo, hi, n),
        _explain(crit, outcome, mean, lo, hi),
        METHOD_SERVER,
    )


def evaluate(crit: Criterion, data: CandidateData, spec: Spec) -> CriterionResult:
    """Judge ``crit`` on ``data``: the one place that maps a metric name to its evidence."""
    return _after_early_stop(crit, data, spec, _evaluate_fixed(crit, data, spec))


def _evaluate_fixed(crit: Criterion, data: CandidateData, spec: Spec) -> CriterionResult:
    """``crit`` judged by its fixed-length bounds (one look, at the end of the runs)."""
    metric = crit.metric
    q = latency_quantile(metric)
    if metric.startswith("server:"):
        return _server(crit, data, metric.split(":", 1)[1])
    if metric == "cost_per_1k_usd":
        return _cost(crit, data, spec)
    if metric == "recovery_s":
        return _recovery(crit, data, spec)
    if metric == "detect_s":
        return _detect(crit, data, spec)
    if metric == "cold_start_p95_ms":
        by_run = {
            i.id: cold_start_latencies(data.frame, [i], failures_as_inf=True) for i in data.infos
        }
        if not any(v.size for v in by_run.values()):
            return missing(
                crit,
                data.name,
                f"no {EventKind.IDLE_GAP_END} event (cold start) in the runs of {data.name}",
                METHOD_LATENCY,
            )
        return _latency(crit, data, 0.95, by_run, "cold-start requests")
    if q is None and metric not in FIXED_METRICS:
        known = ", ".join(
            [*FIXED_METRICS, "latency_pNN_ms", "latency_pNN_intended_ms", "server:NAME"]
        )
        return missing(crit, data.name, f"unknown metric {metric!r}; metrics that exist: {known}")
    frame, problem = _frame_for(crit, data)
    if frame is None:
        return missing(crit, data.name, problem or "no data")
    if frame.height == 0:
        return missing(crit, data.name, f"no requests recorded for {data.name}")
    if q is not None:
        if metric.endswith("_intended_ms"):
            if frame["t_intended"].null_count() == frame.height:
                return missing(
                    crit,
                    data.name,
                    f"{metric}: runs of {data.name} have no t_intended (closed-model load); use an arrival_rate shape",
                )
            by_run = _per_run_values(
                frame.filter(pl.col("t_intended").is_not_null()), intended_latency_expr()
            )
            return _latency(crit, data, q, by_run, "requests (from intended start)")
        by_run = _with_unread(data, _per_run_values(frame, pl.col("latency_ms")))
        return _latency(crit, data, q, by_run, "requests", unread=data.n_unknown)
    if metric == "success_rate":
        return _rate(crit, data, frame, errors=False)
    if metric == "error_rate":
        return _rate(crit, data, frame, errors=True)
    if metric == "throughput_rps":
        return _throughput(crit, data, frame)
    if metric in CLASS_METRICS:
        return _class_rate(crit, data, frame, CLASS_METRICS[metric])
    if metric == "error_budget_burn":
        if spec.slo_target is None:
            return missing(
                crit,
                data.name,
                "error_budget_burn needs slo_target in the spec (e.g. 0.999)",
                METHOD_BURN,
            )
        _, j = _judged_share(crit, data, frame, errors=True, scale=1.0 - spec.slo_target)
        return _result(
            crit,
            data.name,
            j.outcome,
            (j.value, j.lo, j.hi, frame.height),
            j.explain(crit, data, "x", "as all OK", "as all failed"),
            METHOD_BURN,
            {"slo_target": spec.slo_target, **j.details()},
        )
    return missing(crit, data.name, f"metric {metric!r} is not evaluated by this version of pockit")


# -- after load.stop_when stopped a run ----------------------------------------------------------


def _stopped_when_decided(data: CandidateData) -> list[str]:
    """Ids of the candidate's runs that ``load.stop_when`` stopped (run.json ``stop_code``)."""
    out = []
    for info in data.infos:
        try:
            code = RunDir.open(info.path).record.stop_code
        except (PockitError, OSError):
            continue  # the samples were read from it: a run.json gone since is no early stop
        if code == StopCode.DECIDED:
            out.append(info.id)
    return out


def _after_early_stop(
    crit: Criterion, data: CandidateData, spec: Spec, fixed: CriterionResult
) -> CriterionResult:
    """A share criterion of a run that ``load.stop_when`` stopped is judged by the anytime-valid
    bound (the fixed-length one is valid for a single planned look, not at a data-dependent stop).

    PASS or FAIL stands only when the anytime bound and the fixed-length judgement (which carries
    the run-as-unit widening and the ms bounds) agree; the reported bounds are the wider of the
    two. So the outcome is never more optimistic than the rule that stopped the run.
    """
    if not fixed.n or share_test(crit, slo_target=spec.slo_target) is None:
        return fixed
    stopped = _stopped_when_decided(data)
    if not stopped:
        return fixed
    [counts] = share_counts(data.frame, [crit], slo_target=spec.slo_target)
    if counts is None:
        return fixed
    n, k, unknown = counts
    seq = evaluate_sequential(crit, n, k, unknown=unknown, slo_target=spec.slo_target)
    if seq is None:
        return fixed
    agree = (seq.outcome == PASS and fixed.outcome in (PASS, WARN)) or (
        seq.outcome == FAIL and fixed.outcome == FAIL
    )
    outcome: Outcome = fixed.outcome if agree else INCONCLUSIVE
    lo, hi = fixed.ci_low, fixed.ci_high
    details = {**fixed.details, "anytime": seq.to_dict(), "fixed_outcome": fixed.outcome}
    if latency_quantile(crit.metric) is not None:  # bounds in ms stay; the share's widen
        details["share_ci_low"] = min(details.get("share_ci_low", seq.ci_low), seq.ci_low)
        details["share_ci_high"] = max(details.get("share_ci_high", seq.ci_high), seq.ci_high)
    else:
        slo = spec.slo_target if crit.metric == "error_budget_burn" else None
        scale = 1.0 - slo if slo is not None else 1.0  # burn = error rate / budget
        lo, hi = min(lo, seq.ci_low / scale), max(hi, seq.ci_high / scale)
    which = ", ".join(stopped)
    reason = (
        f"{seq.reason}; run(s) {which} stopped by load.stop_when, so the anytime-valid bound "
        f"decides (fixed-length bounds would say {fixed.outcome}: {fixed.reason})"
    )
    if not agree and seq.outcome != INCONCLUSIVE:
        reason += (
            f"; {seq.outcome} by the anytime bound alone, but not by the fixed-length judgement"
        )
    return replace(
        fixed,
        outcome=outcome,
        ci_low=lo,
        ci_high=hi,
        reason=reason,
        method=(
            f"{METHOD_SEQUENTIAL}; the run stopped when such a bound decided, so PASS or FAIL "
            f"needs it, and the fixed-length judgement to agree ({fixed.method})"
        ),
        details=details,
    )
