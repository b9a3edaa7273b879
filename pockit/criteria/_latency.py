"""Latency percentiles: ``latency_pNN_ms`` from the send, ``latency_pNN_intended_ms`` from the
open-model schedule (free of coordinated omission); :mod:`._cold_start` judges its P95 alike.

"P95 < T" is tested as "the share of requests under T is at least 0.95", with an exact
Clopper-Pearson bound on that share. The share is over every request: a failed one (a timeout, a
500) never got a good answer under T, so it counts as +inf latency; otherwise timeouts could never
fail a P95 criterion. ``pockit stats`` percentiles, a description rather than a test, stay over
successful requests. A successful request whose latency is unknown (the samples hold null, NaN or a
negative value) may have been as fast as 0 or as slow as +inf: the criterion is judged at both
extremes and PASSes or FAILs only when both agree (INCONCLUSIVE when the unknown share could flip
it). Rows that ``pockit import --skip-bad-rows`` skipped are requests of unknown outcome, judged as
all OK at 0 ms and all failed at +inf. Clopper-Pearson, not Wilson, because it never undercovers and
it is the exact dual of the order-statistic bound on P95 reported in ms beside it, so the two never
disagree; this is why 59 samples are the fewest that can show P95 below a threshold (299 for P99).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from pockit._constants import CONFIDENCE
from pockit.analysis import (
    METHOD_QUANTILE,
    Estimate,
    Values,
    clopper_pearson,
    count_text,
    latency_quantile,
    min_samples_for_bound,
    pool,
    quantile_ci_ranks,
    quantile_rank,
)
from pockit.criteria._base import (
    FAIL,
    INCONCLUSIVE,
    PASS,
    WARN,
    CandidateData,
    Judgement,
    MetricInput,
    Outcome,
    Rule,
)
from pockit.criteria._judge import (
    SIDES,
    below_min_samples,
    both_ways,
    fmt,
    judge,
    missing,
    result,
    widen,
)
from pockit.criteria._registry import Metric, register

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


def with_failures(n: int, finite: Values, q: float) -> Estimate:
    """Order statistics of ``n`` requests whose failures are +inf: ``finite`` holds the rest
    (its finite values are ranked; any +inf or NaN in it is not).

    Rank ``r`` of all ``n`` is the ``r``-th finite latency when ``r <= finite.finite``, else a
    failure (+inf): the estimate and bounds obey the same rule as the share test, so they agree.
    """
    m = finite.finite
    est_r = int(quantile_rank(n, q))
    lo_r, hi_r = (int(r[0]) for r in quantile_ci_ranks(n, q, confidence=CONFIDENCE, sides=SIDES))
    ranks = [est_r, lo_r, hi_r]
    got = [math.inf] * 3
    inside = [j for j, r in enumerate(ranks) if 1 <= r <= m]
    if inside:
        vals = finite.ranked([ranks[j] for j in inside])
        for j, v in zip(inside, vals, strict=True):
            got[j] = float(v)
    low = -math.inf if lo_r < 1 else got[1]
    high = math.inf if hi_r > n else got[2]
    return Estimate(got[0], low, high, n, METHOD_QUANTILE)


@dataclass(frozen=True)
class LatencyJudgement:
    """One pass of the latency test over values with no unknowns (failures +inf)."""

    outcome: Outcome
    est: Estimate
    share: float
    s_lo: float
    s_hi: float
    widened: bool


def judge_latency(
    rule: Rule, data: CandidateData, q: float, values_by_run: dict[str, Values]
) -> LatencyJudgement:
    """The share test and the ms bounds on ``values_by_run`` (every value known; failures +inf)."""
    values = pool([v for v in values_by_run.values() if v.size])
    n = values.size
    thr = rule.threshold
    strict_under = rule.op in ("<", ">=")  # share counted as x < T, else x <= T
    k = values.under(thr, strict=strict_under)
    s_lo, s_hi = (float(x) for x in clopper_pearson(k, n, confidence=CONFIDENCE, sides=SIDES))
    est = with_failures(n, values, q)
    lo, hi = est.ci_low, est.ci_high
    widened = False
    if data.unit == "run" and len(values_by_run) > 1:
        shares, qs = [], []
        for v in values_by_run.values():
            if v.size:
                shares.append(float(v.under(thr, strict=strict_under)) / v.size)
                qs.append(with_failures(v.size, v, q).value)
        s_lo, s_hi, widened = widen((s_lo, s_hi), shares)
        lo, hi, _ = widen((lo, hi), qs)
        if any(math.isinf(x) for x in qs):  # a run whose P95 is a failure: no finite upper bound
            hi = math.inf
    s_lo, s_hi = max(0.0, s_lo), min(1.0, s_hi)
    # The share test decides; with several runs the share and ms bounds are widened separately
    # (t over the runs' shares, t over the runs' quantiles), so both must agree before PASS or
    # FAIL: an outcome never contradicts the bounds reported beside it. Pooled, they are duals.
    ms = judge(replace(rule, warn=None), est.value, lo, hi)
    if rule.op in ("<", "<="):
        passed, failed = s_lo >= q and ms == PASS, s_hi < q and ms == FAIL
    else:
        passed, failed = s_hi < q and ms == PASS, s_lo >= q and ms == FAIL
    outcome: Outcome = INCONCLUSIVE
    if passed:
        in_band = rule.warn is not None and (
            est.value >= thr - rule.warn if rule.op in ("<", "<=") else est.value <= thr + rule.warn
        )
        outcome = WARN if in_band else PASS
    elif failed:
        outcome = FAIL
    est = Estimate(est.value, lo, hi, n, METHOD_QUANTILE)
    return LatencyJudgement(outcome, est, k / n, s_lo, s_hi, widened)


def judge_values(
    rule: Rule,
    data: CandidateData,
    q: float,
    values_by_run: dict[str, Values],
    what: str,
    *,
    unread: int = 0,
) -> Judgement:
    """ "Pq op T" as "the share of requests under T is at least q" (see module docstring).

    ``values_by_run`` holds every request's latency, +inf for a failed one (a failure never got a
    good answer, so it is never under T and it counts in the denominator) and NaN for a successful
    one whose latency is unknown: that one is judged both as +inf and as 0 ms, and only an outcome
    both agree on stands (else INCONCLUSIVE). ``unread`` of the NaNs are rows the importer skipped
    (``Requests.latencies(unread=...)``): their outcome is unknown too, and they are judged the
    same way.
    """
    values = pool([v for v in values_by_run.values() if v.size])
    n = values.size
    if n == 0:
        return missing(
            rule,
            f"no {what} for {data.name}: no latency to judge",
            METHOD_LATENCY,
        )
    too_few = below_min_samples(rule, n, what, METHOD_LATENCY)
    if too_few is not None:
        return too_few
    n_unknown = values.n_nan
    n_failed = values.n_inf
    thr = rule.threshold
    strict_under = rule.op in ("<", ">=")
    if n_unknown:
        slow = judge_latency(
            rule, data, q, {r: v.nan_as(math.inf) for r, v in values_by_run.items()}
        )
        fast = judge_latency(rule, data, q, {r: v.nan_as(0.0) for r, v in values_by_run.items()})
        outcome = both_ways(slow.outcome, fast.outcome)
        known = values.known()
        m = known.size
        value = with_failures(m, known, q).value if m else math.nan
        k_known = known.under(thr, strict=strict_under)
        share = float(k_known) / m if m else math.nan
        lo, hi = fast.est.ci_low, slow.est.ci_high
        s_lo, s_hi = slow.s_lo, fast.s_hi
        widened = slow.widened
    else:
        one = judge_latency(rule, data, q, values_by_run)
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
    share_txt = f"{fmt(share, '%')} of {known_of}{fails_txt} {under} {thr:g} ms ({bounds}) vs {q:.2%} needed"
    head = f"{pct} = {fmt(value)} ms [{fmt(lo)}, {fmt(hi)}]"
    if outcome == PASS:
        reason = f"{head} {rule.op} {thr:g}: {share_txt}"
    elif outcome == WARN:
        reason = f"{head} passes but is within the {rule.warn:g} ms warning band: {share_txt}"
    elif outcome == FAIL:
        reason = f"{head} misses {rule.op} {thr:g}: {share_txt}"
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
    return result(outcome, (value, lo, hi, n), reason, METHOD_LATENCY, details)


def _sent(inp: MetricInput) -> Judgement:
    q = latency_quantile(inp.rule.metric)
    assert q is not None  # the family matches only percentiles in (0, 100)
    unread = {rid: count for rid, (count, _) in inp.data.rows_unknown.items()}
    by_run = inp.requests.latencies(unread=unread)
    return judge_values(inp.rule, inp.data, q, by_run, "requests", unread=inp.data.n_unknown)


def _intended(inp: MetricInput) -> Judgement:
    rule, data, reqs = inp.rule, inp.data, inp.requests
    q = latency_quantile(rule.metric)
    assert q is not None
    if not reqs.has_intended():
        return missing(
            rule,
            f"{rule.metric}: runs of {data.name} have no t_intended (closed-model load); use an arrival_rate shape",
        )
    by_run = reqs.latencies(intended=True)
    return judge_values(rule, data, q, by_run, "requests (from intended start)")


def _is_intended(name: str) -> bool:
    return latency_quantile(name) is not None and name.endswith("_intended_ms")


register(
    Metric(
        name="latency_pNN_ms",
        unit="ms",
        doc="any percentile strictly between 0 and 100 of every request (failures +inf), from the send",
        compute=_sent,
        matches=lambda name: latency_quantile(name) is not None and not _is_intended(name),
        example="latency_p95_ms",
    )
)
register(
    Metric(
        name="latency_pNN_intended_ms",
        unit="ms",
        doc="the same from the open-model schedule's intended send time (free of coordinated omission)",
        compute=_intended,
        matches=_is_intended,
    )
)
