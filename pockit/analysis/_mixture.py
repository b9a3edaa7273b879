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
from typing import Literal

import numpy as np
import numpy.typing as npt

from pockit._constants import CONFIDENCE
from pockit.analysis._intervals import FloatArray, IntArray

Side = Literal["greater", "less"]
BoolArray = npt.NDArray[np.bool_]

#: Weight of the mixture's Beta prior, in requests, centred on the threshold (see module docstring).
PRIOR_N = 200.0

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
