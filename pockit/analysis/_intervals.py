"""Confidence intervals: order statistics for quantiles, Wilson and Clopper-Pearson for shares.

Every function takes ``confidence`` and ``sides``:

- ``sides="two"``: an equal-tailed two-sided interval, ``(1 - confidence) / 2`` in each tail
  (what ``pockit stats`` reports);
- ``sides="one"``: the pair of one-sided bounds, each holding with ``confidence`` on its own (what
  a decision uses: a PASS claims one side only, so its error rate is ``1 - confidence``). As an
  interval this pair is a two-sided ``2 * confidence - 1`` interval.

Unbounded ends are ``-inf`` / ``+inf``: an interval that needs more samples than it has says so
instead of inventing a bound.
"""

from __future__ import annotations

import functools
import math
from typing import Literal

import numpy as np
import numpy.typing as npt

from pockit._constants import CONFIDENCE

Sides = Literal["one", "two"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def tail_alpha(confidence: float, sides: Sides) -> float:
    """Probability allowed in each tail."""
    return (1.0 - confidence) / (2.0 if sides == "two" else 1.0)


def quantile_rank(n: int | IntArray, q: float) -> IntArray:
    """1-based rank of the sample quantile: ``ceil(n q)`` (Hyndman-Fan type 1, the inverse ECDF).

    Never interpolated, so the estimate is a latency that was actually observed.
    """
    nn = np.asarray(n, dtype=np.int64)
    out: IntArray = np.clip(np.ceil(nn * q - 1e-9).astype(np.int64), 1, np.maximum(nn, 1))
    return out


def quantile_ci_ranks(
    n: int | IntArray, q: float, *, confidence: float = CONFIDENCE, sides: Sides = "two"
) -> tuple[IntArray, IntArray]:
    """1-based ranks ``(l, u)`` of the order statistics bounding the ``q`` quantile.

    Distribution-free (order-statistic / binomial method): the number ``B`` of samples at or
    below the true quantile ``Q_q`` is Binomial(n, q), so ``P(X_(l) <= Q_q) = P(B >= l)`` and
    ``P(X_(u) >= Q_q) = P(B <= u - 1)``. We take the largest ``l`` with ``P(B <= l - 1) <= a``
    and the smallest ``u`` with ``P(B <= u - 1) >= 1 - a`` (``a`` the tail probability), which
    makes each bound hold with at least the nominal probability for any continuous distribution.

    ``l == 0`` means no finite lower bound and ``u == n + 1`` no finite upper bound. A finite
    one-sided 95% upper bound for P95 needs ``1 - 0.95**n >= 0.95``, i.e. n >= 59 (P99: n >= 299).
    """
    if np.ndim(n) == 0:  # one group (a decision's criterion): the same n comes back often
        lo1, hi1 = _ci_ranks_one(int(n), q, confidence, sides)
        return np.array([lo1], dtype=np.int64), np.array([hi1], dtype=np.int64)
    return _ci_ranks(np.asarray(n, dtype=np.int64), q, confidence, sides)


@functools.lru_cache(maxsize=4096)
def _ci_ranks_one(n: int, q: float, confidence: float, sides: Sides) -> tuple[int, int]:
    lo, hi = _ci_ranks(np.array([n], dtype=np.int64), q, confidence, sides)
    return int(lo[0]), int(hi[0])


def _ci_ranks(nn: IntArray, q: float, confidence: float, sides: Sides) -> tuple[IntArray, IntArray]:
    """:func:`quantile_ci_ranks` for an array of group sizes."""
    from scipy import special

    nn = np.atleast_1d(nn)
    a = tail_alpha(confidence, sides)
    # u - 1 = smallest k with CDF(k) >= 1 - a
    u = _binom_ppf(1.0 - a, nn, q) + 1
    # l - 1 = largest k with CDF(k) <= a: ppf(a) is the smallest k with CDF(k) >= a
    k = _binom_ppf(a, nn, q)
    cdf_k = special.bdtr(k, nn, q)
    lo_km1 = np.where(cdf_k <= a + 1e-12, k, k - 1)
    lo = lo_km1 + 1
    lo = np.where(lo_km1 < 0, 0, lo)
    u = np.minimum(u, nn + 1)
    lo = np.where(nn == 0, 0, lo)
    u = np.where(nn == 0, 1, u)
    return lo.astype(np.int64), u.astype(np.int64)


def _binom_ppf(p: float, n: IntArray, q: float) -> IntArray:
    """Smallest ``k`` in [0, n] with Binomial(n, q) CDF(k) >= p, for each ``n`` (bisection on
    ``scipy.special.bdtr``, which is what ``scipy.stats.binom.ppf`` computes, without the ~1 s
    import of ``scipy.stats`` on every ``pockit stats``)."""
    from scipy import special

    lo = np.full(n.shape, -1, dtype=np.int64)  # CDF(lo) < p (CDF(-1) = 0)
    hi = n.astype(np.int64).copy()  # CDF(hi) >= p (CDF(n) = 1)
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        ok = special.bdtr(mid, n, q) >= p * (1 - 1e-12)
        hi = np.where(ok & (hi - lo > 1), mid, hi)
        lo = np.where(~ok & (hi - lo > 1), mid, lo)
    return hi


def quantile_ci_coverage(n: int, q: float, lo: int, hi: int) -> float:
    """Exact coverage ``P(X_(lo) <= Q_q <= X_(hi))`` of the order-statistic interval."""
    from scipy import special

    upper = special.bdtr(hi - 1, n, q) if hi <= n else 1.0
    lower = special.bdtr(lo - 1, n, q) if lo >= 1 else 0.0
    return float(upper - lower)


def min_samples_for_bound(q: float, *, confidence: float = CONFIDENCE, sides: Sides = "one") -> int:
    """Fewest samples for a finite upper bound on the ``q`` quantile (59 for P95, 299 for P99)."""
    a = tail_alpha(confidence, sides)
    return int(math.ceil(math.log(a) / math.log(q) - 1e-12))


def wilson(
    successes: int | IntArray,
    n: int | IntArray,
    *,
    confidence: float = CONFIDENCE,
    sides: Sides = "two",
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for a binomial share; well behaved near 0 and 1, unlike Wald.

    >>> lo, hi = wilson(990, 1000)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.9817, 0.9946)

    Returns NaN bounds where ``n == 0``.
    """
    from scipy import special

    k = np.asarray(successes, dtype=np.float64)
    nn = np.asarray(n, dtype=np.float64)
    z = float(special.ndtri(1.0 - tail_alpha(confidence, sides)))
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / nn
        denom = 1.0 + z * z / nn
        centre = (p + z * z / (2 * nn)) / denom
        half = z * np.sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denom
        lo = np.clip(centre - half, 0.0, 1.0)
        hi = np.clip(centre + half, 0.0, 1.0)
    lo = np.where(k <= 0, 0.0, lo)
    hi = np.where(k >= nn, 1.0, hi)
    return np.where(nn > 0, lo, np.nan), np.where(nn > 0, hi, np.nan)


def clopper_pearson(
    successes: int | IntArray,
    n: int | IntArray,
    *,
    confidence: float = CONFIDENCE,
    sides: Sides = "two",
) -> tuple[FloatArray, FloatArray]:
    """Exact (Clopper-Pearson) interval for a binomial share, from Beta quantiles.

    >>> lo, hi = clopper_pearson(990, 1000)           # 990 successes in 1,000 requests
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.9817, 0.9952)
    >>> lo, _ = clopper_pearson(990, 1000, sides="greater")
    >>> round(float(lo), 4)                            # one-sided 95%: the share is at least this
    0.9831

    Conservative by construction: each bound holds with at least the nominal probability. For
    the share of requests under a latency threshold it is the exact dual of the order-statistic
    interval of the quantile (see :func:`quantile_ci_ranks`).
    """
    from scipy import special

    k = np.asarray(successes, dtype=np.float64)
    nn = np.asarray(n, dtype=np.float64)
    a = tail_alpha(confidence, sides)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k > 0, special.betaincinv(k, nn - k + 1, a), 0.0)
        hi = np.where(k < nn, special.betaincinv(k + 1, nn - k, 1 - a), 1.0)
    return np.where(nn > 0, lo, np.nan), np.where(nn > 0, hi, np.nan)


def poisson_rate(
    count: int, exposure: float, *, confidence: float = CONFIDENCE, sides: Sides = "two"
) -> tuple[float, float]:
    """Exact (Garwood) interval for a rate ``count / exposure``: counting noise of a throughput."""
    from scipy import special

    if exposure <= 0:
        return math.nan, math.nan
    a = tail_alpha(confidence, sides)
    # chdtri is the inverse survival function: chi2.ppf(p, df) == chdtri(df, 1 - p)
    lo = 0.0 if count == 0 else float(special.chdtri(2 * count, 1 - a)) / 2.0
    hi = float(special.chdtri(2 * count + 2, a)) / 2.0
    return lo / exposure, hi / exposure


def t_interval(
    values: FloatArray | list[float], *, confidence: float = CONFIDENCE, sides: Sides = "two"
) -> tuple[float, float, float]:
    """Mean and Student-t interval of per-run values (the run is the unit). Needs >= 2 values."""
    from scipy import special

    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(arr.mean())
    if arr.size < 2:
        return mean, -math.inf, math.inf
    sem = float(arr.std(ddof=1)) / math.sqrt(arr.size)
    t = float(special.stdtrit(arr.size - 1, 1 - tail_alpha(confidence, sides)))
    return mean, mean - t * sem, mean + t * sem
