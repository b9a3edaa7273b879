"""Anytime-valid decisions on a share of requests: confidence sequences that may be looked at often.

A fixed-length test (the Clopper-Pearson bound the decision uses) is valid for one look at the end
of the run. Looking at it every few seconds and stopping as soon as it says PASS inflates the
false-PASS rate far above 5% (at 200 looks, to about 25%). The bounds here hold *simultaneously over
every n*, so a run may be stopped whenever they decide and the error stays at or below
``1 - confidence``.

Construction: the one-sided conjugate beta-binomial mixture martingale (Robbins 1970, "Statistical
methods related to the law of the iterated logarithm", Ann. Math. Stat.; Howard, Ramdas,
McAuliffe & Sekhon 2021, "Time-uniform, nonparametric, nonasymptotic confidence sequences",
Ann. Stat., section 3 and Prop. 6). To test "the share is at most p0" after ``k`` of ``n``
requests, the likelihood ratio of p against p0 is averaged over a Beta prior restricted to
p > p0::

    M_n(p0) = E_{p ~ Beta(a, b) | p > p0} [ (p / p0)^k ((1 - p) / (1 - p0))^(n - k) ]
            = B(a + k, b + n - k) I^c_p0(a + k, b + n - k) / (B(a, b) I^c_p0(a, b) p0^k (1 - p0)^(n - k))

(``I^c`` the regularised upper incomplete beta). Under any share <= p0, ``M_n`` is a nonnegative
supermartingale with ``M_0 = 1``, so by Ville's inequality ``P(exists n: M_n >= 1/alpha) <= alpha``:
rejecting at the first n with ``M_n >= 1/alpha`` keeps the one-sided error at ``alpha`` however
often and whenever one looks, including stopping there. The test of "the share is at least p0"
mirrors it (prior restricted to p < p0). The prior is fixed before any data: Beta centred on the
criterion's threshold with the weight of :data:`PRIOR_N` requests (simulated at P95, true share
0.97, looks every 100 requests: median stop 700 requests for a weight of 50-200, 900 at 500,
1,100 at 1,000; at 0.96, 2,700-3,000 for 100-1,000; any weight is valid, it only moves where the
bound is tightest). Bounds: the lower bound is the largest p0 still rejected by the
"at most p0" test (the upper bound alike), found by bisection; the evidence only grows with k, so
each decision at the threshold is one integer boundary per n (:func:`decision_boundary`).

What this assumes is what the fixed-length test assumes: requests are exchangeable draws (a
steady load against a steady system). Each criterion holds its own 5%, as in the fixed-length
decision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from pockit._constants import CONFIDENCE
from pockit.analysis._classes import CLASS_METRICS, RequestClass, class_expr, unknown_expr
from pockit.analysis._intervals import FloatArray, IntArray
from pockit.analysis._names import latency_quantile

Side = Literal["greater", "less"]
BoolArray = npt.NDArray[np.bool_]

#: Weight of the mixture's Beta prior, in requests, centred on the threshold (see module docstring).
PRIOR_N = 200.0

METHOD_SEQUENTIAL = (
    "anytime-valid one-sided 95% bounds on the share (conjugate beta-binomial mixture "
    "confidence sequence, Robbins 1970; Howard, Ramdas, McAuliffe & Sekhon 2021, Ann. Stat.; "
    f"Beta prior centred on the threshold with the weight of {PRIOR_N:g} requests): valid at every "
    "look and at a data-dependent stop, so stopping when it decides keeps the error at 5%"
)

_EPS = 1e-9


def _prior(centre: float, prior_n: float) -> tuple[float, float]:
    c = min(max(float(centre), 1e-6), 1.0 - 1e-6)
    return c * prior_n, (1.0 - c) * prior_n


def log_evidence(
    k: int | IntArray | FloatArray,
    n: int | IntArray | FloatArray,
    p0: float | FloatArray,
    *,
    side: Side,
    centre: float,
    prior_n: float = PRIOR_N,
) -> FloatArray:
    """``log M_n(p0)``: evidence against "share <= p0" (``side="greater"``) or ">= p0" ("less").

    Broadcasts over ``k``, ``n`` and ``p0``. ``-inf`` when the data point the other way so hard
    that the incomplete beta underflows (never a false rejection: underflow only lowers it).
    """
    from scipy import special

    kk = np.asarray(k, dtype=np.float64)
    nn = np.asarray(n, dtype=np.float64)
    pp = np.asarray(p0, dtype=np.float64)
    a, b = _prior(centre, prior_n)
    part = special.betaincc if side == "greater" else special.betainc
    with np.errstate(divide="ignore", invalid="ignore"):
        num = special.betaln(a + kk, b + nn - kk) + np.log(part(a + kk, b + nn - kk, pp))
        den = special.betaln(a, b) + np.log(part(a, b, pp))
        out = num - den - special.xlogy(kk, pp) - special.xlog1py(nn - kk, -pp)
    # p0 at the edge of [0, 1]: nothing lies beyond it, so nothing can be rejected there
    edge = (pp >= 1.0) if side == "greater" else (pp <= 0.0)
    res: FloatArray = np.where(edge | np.isnan(out), -np.inf, out)
    return res


def rejects(
    k: int | IntArray | FloatArray,
    n: int | IntArray | FloatArray,
    p0: float | FloatArray,
    *,
    side: Side,
    centre: float | None = None,
    confidence: float = CONFIDENCE,
    prior_n: float = PRIOR_N,
) -> BoolArray:
    """Whether the anytime test rejects "share <= p0" (``greater``) or ">= p0" (``less``)."""
    c = float(np.asarray(p0).flat[0]) if centre is None else centre
    lev = log_evidence(k, n, p0, side=side, centre=c, prior_n=prior_n)
    out: BoolArray = lev >= math.log(1.0 / (1.0 - confidence))
    return out


def decision_boundary(
    n: int | IntArray,
    p0: float,
    *,
    side: Side,
    confidence: float = CONFIDENCE,
    prior_n: float = PRIOR_N,
) -> IntArray:
    """Per ``n``, the count at which the anytime test at ``p0`` decides.

    ``greater``: the smallest ``k`` with "share <= p0" rejected (``n + 1`` when none);
    ``less``: the largest ``k`` with "share >= p0" rejected (``-1`` when none). The evidence is
    monotone in ``k``, so a simulation needs only integer comparisons against this boundary.
    """
    nn = np.atleast_1d(np.asarray(n, dtype=np.int64))
    if side == "greater":
        lo = np.full(nn.shape, -1, dtype=np.int64)  # not rejected (k=-1 stands for "below 0")
        hi = nn + 1  # rejected ("n + 1" stands for "never")
    else:
        lo = np.full(nn.shape, -1, dtype=np.int64)  # rejected ("-1" stands for "never")
        hi = nn + 1  # not rejected

    def rej(kk: IntArray) -> BoolArray:
        inside = (kk >= 0) & (kk <= nn)
        safe = np.clip(kk, 0, nn)
        r = rejects(safe, nn, p0, side=side, centre=p0, confidence=confidence, prior_n=prior_n)
        out: BoolArray = np.where(inside, r, (kk > nn) if side == "greater" else (kk < 0))
        return out

    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        r = rej(mid)
        move = hi - lo > 1
        if side == "greater":
            hi = np.where(move & r, mid, hi)
            lo = np.where(move & ~r, mid, lo)
        else:
            lo = np.where(move & r, mid, lo)
            hi = np.where(move & ~r, mid, hi)
    return hi if side == "greater" else lo


def confidence_sequence(
    k: int | IntArray | FloatArray,
    n: int | IntArray | FloatArray,
    *,
    centre: float,
    confidence: float = CONFIDENCE,
    prior_n: float = PRIOR_N,
    iterations: int = 40,
) -> tuple[FloatArray, FloatArray]:
    """One-sided anytime-valid bounds ``(lo, hi)`` on the share ``k / n`` (each at ``confidence``).

    ``lo`` is the largest p0 that the "share <= p0" test rejects (0 when none), ``hi`` the
    smallest p0 that the "share >= p0" test rejects (1 when none); NaN where ``n == 0``.
    """
    kk = np.asarray(k, dtype=np.float64)
    nn = np.asarray(n, dtype=np.float64)
    kk, nn = np.broadcast_arrays(kk, nn)
    with np.errstate(invalid="ignore", divide="ignore"):
        phat = np.where(nn > 0, kk / np.maximum(nn, 1), 0.5)
    # lower bound: rejected below, not rejected at p-hat
    a, b = np.zeros_like(phat), phat.copy()
    for _ in range(iterations):
        mid = (a + b) / 2
        r = rejects(
            kk, nn, mid, side="greater", centre=centre, confidence=confidence, prior_n=prior_n
        )
        a, b = np.where(r, mid, a), np.where(r, b, mid)
    lo = np.where(
        rejects(
            kk,
            nn,
            b * 0 + _EPS,
            side="greater",
            centre=centre,
            confidence=confidence,
            prior_n=prior_n,
        ),
        a,
        0.0,
    )
    c, d = phat.copy(), np.ones_like(phat)
    for _ in range(iterations):
        mid = (c + d) / 2
        r = rejects(kk, nn, mid, side="less", centre=centre, confidence=confidence, prior_n=prior_n)
        c, d = np.where(r, c, mid), np.where(r, mid, d)
    hi = np.where(
        rejects(
            kk,
            nn,
            c * 0 + 1 - _EPS,
            side="less",
            centre=centre,
            confidence=confidence,
            prior_n=prior_n,
        ),
        d,
        1.0,
    )
    lo_out: FloatArray = np.where(nn > 0, lo, np.nan)
    hi_out: FloatArray = np.where(nn > 0, hi, np.nan)
    return lo_out, hi_out


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


# -- planning a run -------------------------------------------------------------------------------

#: Power a plan asks for: the run length at which 80% of runs at the observed effect decide.
PLAN_POWER = 0.80
#: Longest run a plan looks at, in requests; beyond it the criterion is "not decidable".
PLAN_MAX_N = 10**8
#: Simulated runs behind a stop-when-decided plan, and the most looks each is followed for.
PLAN_SIMS = 2000
PLAN_MAX_LOOKS = 2000


def fixed_power(
    n: IntArray, p: float, p0: float, *, confidence: float = CONFIDENCE
) -> tuple[FloatArray, Side]:
    """Probability that the one-sided Clopper-Pearson bound after ``n`` requests decides, when
    the true share is ``p``: it lands on ``p``'s side of ``p0`` (the side returned)."""
    from scipy import special

    from pockit.analysis._intervals import _binom_ppf

    a = 1.0 - confidence
    nn = np.asarray(n, dtype=np.int64)
    if p > p0:
        # lower bound >= p0  <=>  P(Bin(n, p0) >= k) <= a  <=>  k - 1 >= ppf(1 - a)
        k_crit = _binom_ppf(1.0 - a, nn, p0) + 1
        power: FloatArray = np.where(k_crit <= nn, special.bdtrc(k_crit - 1, nn, p), 0.0)
        return power, "greater"
    # upper bound < p0  <=>  P(Bin(n, p0) <= k) < a: k up to ppf(a) - 1 (or ppf(a) when strict)
    k_ppf = _binom_ppf(a, nn, p0)
    k_max = np.where(special.bdtr(k_ppf, nn, p0) < a, k_ppf, k_ppf - 1)
    power = np.where(k_max >= 0, special.bdtr(np.maximum(k_max, 0), nn, p), 0.0)
    return power, "less"


def fixed_length_n(
    p: float, p0: float, *, power: float = PLAN_POWER, confidence: float = CONFIDENCE
) -> int | None:
    """Fewest requests for a fixed-length run to decide with ``power`` at true share ``p``
    (None when ``p == p0`` or more than :data:`PLAN_MAX_N` would be needed)."""
    if not (0.0 <= p <= 1.0) or p == p0:
        return None
    grid = np.unique(np.geomspace(1, PLAN_MAX_N, 600).astype(np.int64))
    pw, _ = fixed_power(grid, p, p0, confidence=confidence)
    hit = np.flatnonzero(pw >= power)
    if not hit.size:
        return None
    i = int(hit[0])
    lo = int(grid[i - 1]) if i else 1
    fine = np.unique(
        np.linspace(lo, int(grid[i]), min(int(grid[i]) - lo + 1, 4000)).astype(np.int64)
    )
    pw, _ = fixed_power(fine, p, p0, confidence=confidence)
    return int(fine[np.flatnonzero(pw >= power)[0]])


@dataclass(frozen=True)
class SequentialPlan:
    """Stopping times of stop-when-decided runs at true share ``p``, by simulation."""

    median_n: float | None
    p80_n: float | None
    decided_share: float
    right_share: float
    horizon_n: int
    look_n: int
    sims: int


def stopping_times(
    p: float,
    p0: float,
    *,
    look_n: int,
    min_n: int = 0,
    horizon_n: int,
    sims: int = PLAN_SIMS,
    confidence: float = CONFIDENCE,
    prior_n: float = PRIOR_N,
    seed: int = 16,
) -> SequentialPlan:
    """Simulate ``sims`` runs at true share ``p`` looked at every ``look_n`` requests (from
    ``min_n`` on) up to ``horizon_n``: when does the anytime test at ``p0`` first decide?

    Looks are coarsened when more than :data:`PLAN_MAX_LOOKS` would be needed (a coarser look
    only stops later, so the plan stays on the safe side)."""
    look = max(1, int(look_n), math.ceil(horizon_n / PLAN_MAX_LOOKS))
    looks = max(1, math.ceil(horizon_n / look))
    ns = np.arange(1, looks + 1, dtype=np.int64) * look
    rng = np.random.default_rng(seed)
    k = np.cumsum(rng.binomial(look, p, size=(sims, looks)), axis=1)
    up = decision_boundary(ns, p0, side="greater", confidence=confidence, prior_n=prior_n)
    down = decision_boundary(ns, p0, side="less", confidence=confidence, prior_n=prior_n)
    decided = ((k >= up) | (k <= down)) & (ns >= min_n)
    any_ = decided.any(axis=1)
    first = decided.argmax(axis=1)
    stop_n = np.where(any_, ns[first], np.inf)
    right_side = (
        k[np.arange(sims), first] >= up[first]
        if p > p0
        else k[np.arange(sims), first] <= down[first]
    )

    def pct(x: float) -> float | None:
        v = float(np.quantile(stop_n, x))
        return v if math.isfinite(v) else None

    return SequentialPlan(
        median_n=pct(0.5),
        p80_n=pct(PLAN_POWER),
        decided_share=float(any_.mean()),
        right_share=float((any_ & right_side).mean()),
        horizon_n=int(ns[-1]),
        look_n=look,
        sims=sims,
    )
