"""Criteria as share tests judged by the anytime-valid bounds of :mod:`pockit.analysis._mixture`.

A criterion on a share of requests (a latency percentile, the success or error rate, a request
class, the error-budget burn) becomes a test of that share against a threshold
(:func:`share_test`); :func:`evaluate_sequential` judges it at one look, and :func:`share_counts`
counts what it needs from a samples frame the way the fixed-length decision does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from pockit._constants import CONFIDENCE
from pockit.analysis._classes import CLASS_METRICS, RequestClass, class_expr, unknown_expr
from pockit.analysis._mixture import PRIOR_N as PRIOR_N  # read here by load's stop_when
from pockit.analysis._mixture import Side, confidence_sequence, rejects
from pockit.analysis._names import latency_quantile

METHOD_SEQUENTIAL = (
    "anytime-valid one-sided 95% bounds on the share (conjugate beta-binomial mixture "
    "confidence sequence, Robbins 1970; Howard, Ramdas, McAuliffe & Sekhon 2021, Ann. Stat.; "
    f"Beta prior centred on the threshold with the weight of {PRIOR_N:g} requests): valid at every "
    "look and at a data-dependent stop, so stopping when it decides keeps the error at 5%"
)


# -- criteria as share tests ----------------------------------------------------------------------


@dataclass(frozen=True)
class ShareTest:
    """A criterion as a test on a share of requests: ``good`` says which side of ``p0`` passes.

    ``kind`` is what the share counts: ``under`` (requests under the latency threshold, failures
    never under), ``ok`` (successful requests), ``failed``, or a request class of
    :mod:`pockit.analysis._classes` (``denied``, ``transport``, ``retry``, ...).
    """

    p0: float
    good: Side
    kind: Literal["under", "ok", "failed"] | RequestClass
    strict_under: bool = True


def share_test(crit: Any, *, slo_target: float | None = None) -> ShareTest | None:
    """The share test behind ``crit`` (a :class:`pockit.spec.Criterion`), or None when the
    criterion is not a statistic of the samples (cost, throughput, server metrics, recovery,
    cold start, or ``error_budget_burn`` without an SLO target)."""
    metric, op, thr = crit.metric, crit.op, float(crit.threshold)
    q = latency_quantile(metric)
    if q is not None:
        # "Pq < T" <=> "share under T >= q" (criteria/_latency.py); "<" and ">=" count x < T
        good: Side = "greater" if op in ("<", "<=") else "less"
        return ShareTest(p0=q, good=good, kind="under", strict_under=op in ("<", ">="))
    if metric == "success_rate":
        return ShareTest(p0=thr, good="greater" if op in (">", ">=") else "less", kind="ok")
    if metric == "error_rate":
        return ShareTest(p0=thr, good="greater" if op in (">", ">=") else "less", kind="failed")
    if metric in CLASS_METRICS:
        return ShareTest(
            p0=thr, good="greater" if op in (">", ">=") else "less", kind=CLASS_METRICS[metric]
        )
    if metric == "error_budget_burn" and slo_target is not None:
        p0 = thr * (1.0 - slo_target)
        return ShareTest(p0=p0, good="greater" if op in (">", ">=") else "less", kind="failed")
    return None


@dataclass(frozen=True)
class SequentialResult:
    """One criterion judged by its anytime-valid bounds at one look."""

    metric: str
    outcome: str  # PASS | FAIL | INCONCLUSIVE
    n: int
    k: int
    unknown: int
    share: float
    ci_low: float
    ci_high: float
    p0: float
    reason: str
    method: str = METHOD_SEQUENTIAL
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "outcome": self.outcome,
            "n": self.n,
            "k": self.k,
            "unknown": self.unknown,
            "share": self.share,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p0": self.p0,
            "reason": self.reason,
            "method": self.method,
        }


def evaluate_sequential(
    crit: Any,
    n: int,
    k: int,
    *,
    unknown: int = 0,
    slo_target: float | None = None,
    confidence: float = CONFIDENCE,
    prior_n: float = PRIOR_N,
) -> SequentialResult | None:
    """PASS / FAIL / INCONCLUSIVE for ``crit`` from counts, by the anytime-valid bound.

    ``k`` of ``n`` requests are on the counted side (:class:`ShareTest.kind`); ``unknown`` more
    may be on either (successful requests with no usable latency): as in the fixed-length
    decision they are judged both ways and only an outcome both give stands. None when the
    criterion is not a share of requests (see :func:`share_test`).
    """
    test = share_test(crit, slo_target=slo_target)
    if test is None:
        return None
    label = getattr(crit, "label", crit.metric)
    if n <= 0:
        return SequentialResult(
            crit.metric,
            "INCONCLUSIVE",
            0,
            0,
            0,
            math.nan,
            math.nan,
            math.nan,
            test.p0,
            f"{label}: no requests yet",
        )
    if crit.min_samples and n < crit.min_samples:
        return SequentialResult(
            crit.metric,
            "INCONCLUSIVE",
            n,
            k,
            unknown,
            k / n,
            math.nan,
            math.nan,
            test.p0,
            f"{label}: {n} requests, fewer than min_samples {crit.min_samples}",
        )
    ks = np.array([k, k + unknown], dtype=np.float64)  # unknown as not counted / as counted
    kw: dict[str, Any] = {"centre": test.p0, "confidence": confidence, "prior_n": prior_n}
    above = rejects(ks, n, test.p0, side="greater", **kw)
    below = rejects(ks, n, test.p0, side="less", **kw)
    good, bad = (above, below) if test.good == "greater" else (below, above)
    outcome = "PASS" if good.all() else "FAIL" if bad.all() else "INCONCLUSIVE"
    lo, hi = confidence_sequence(ks, np.array([n, n]), **kw)
    s_lo, s_hi = float(lo[0]), float(hi[1])
    what = {"under": "under the threshold", "ok": "successful", "failed": "failed"}.get(
        test.kind, test.kind
    )
    level = f"{confidence:.0%}"
    txt = (
        f"{k / n:.2%} of {n} requests {what} (anytime {level} bounds {s_lo:.2%}..{s_hi:.2%}) "
        f"vs {test.p0:.4g}"
    )
    if unknown:
        gap = "status" if test.kind in CLASS_METRICS.values() else "latency"
        txt += f"; {unknown} with an unknown {gap} judged both ways"
    verb = {"PASS": "decided: passes", "FAIL": "decided: fails", "INCONCLUSIVE": "not decided yet"}
    return SequentialResult(
        crit.metric,
        outcome,
        n,
        k,
        unknown,
        k / n,
        s_lo,
        s_hi,
        test.p0,
        f"{label}: {verb[outcome]}; {txt}",
    )


# -- counting from samples ------------------------------------------------------------------------


def count_exprs(crit: Any, *, slo_target: float | None = None) -> list[Any] | None:
    """Polars aggregations ``[n, k, unknown]`` of ``crit``'s share over a samples frame.

    Same counting as the fixed-length decision: every request counts; a failed one is never
    under a latency threshold; a successful one with a null, NaN, infinite or negative latency
    is ``unknown``. Latency from the intended start drops rows without ``t_intended``.
    """
    import polars as pl

    from pockit.analysis._stats import intended_latency_expr

    test = share_test(crit, slo_target=slo_target)
    if test is None:
        return None
    keep = pl.col("ok").is_null() | pl.col("ok").is_not_null()  # every row
    if getattr(crit, "endpoint", None) is not None:
        keep = pl.col("name").cast(pl.String) == crit.endpoint
    lat = pl.col("latency_ms")
    if test.kind == "under" and crit.metric.endswith("_intended_ms"):
        keep = keep & pl.col("t_intended").is_not_null()
        lat = intended_latency_expr()
    ok = pl.col("ok").fill_null(False)
    n = keep.cast(pl.Int64).sum()
    if test.kind == "ok":
        return [n, (keep & ok).cast(pl.Int64).sum(), pl.lit(0, pl.Int64)]
    if test.kind == "failed":
        return [n, (keep & ~ok).cast(pl.Int64).sum(), pl.lit(0, pl.Int64)]
    if test.kind in CLASS_METRICS.values():
        cls: RequestClass = test.kind  # type: ignore[assignment]
        member = keep & class_expr(cls).fill_null(False)
        return [n, member.cast(pl.Int64).sum(), (keep & unknown_expr(cls)).cast(pl.Int64).sum()]
    thr = float(crit.threshold)
    bad = lat.is_null() | lat.is_nan() | lat.is_infinite() | (lat < 0)
    under = (lat < thr) if test.strict_under else (lat <= thr)
    known_under = keep & ok & ~bad.fill_null(True) & under.fill_null(False)
    unknown = keep & ok & bad.fill_null(True)
    return [n, known_under.cast(pl.Int64).sum(), unknown.cast(pl.Int64).sum()]


def share_counts(
    frame: Any, criteria: list[Any], *, slo_target: float | None = None
) -> list[tuple[int, int, int] | None]:
    """``(n, k, unknown)`` per criterion over a polars DataFrame or LazyFrame of samples."""
    import polars as pl

    exprs: list[Any] = []
    slots: list[int | None] = []
    for crit in criteria:
        e = count_exprs(crit, slo_target=slo_target)
        if e is None:
            slots.append(None)
            continue
        slots.append(len(exprs))
        exprs += [x.alias(f"c{len(exprs) + i}") for i, x in enumerate(e)]
    if not exprs:
        return [None for _ in criteria]
    lf = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    row = lf.select(exprs).collect().row(0)
    return [
        None if s is None else (int(row[s] or 0), int(row[s + 1] or 0), int(row[s + 2] or 0))
        for s in slots
    ]
