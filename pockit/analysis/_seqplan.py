"""Planning a run: how long a fixed-length run must be, and when stop-when-decided runs stop.

``pockit plan`` reads these: the power of the fixed-length (Clopper-Pearson) test at a true share,
the shortest run with 80% power, and simulated stopping times of the anytime-valid test
(:mod:`pockit.analysis._mixture`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pockit._constants import CONFIDENCE
from pockit.analysis._intervals import FloatArray, IntArray
from pockit.analysis._mixture import PRIOR_N, Side, decision_boundary

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
