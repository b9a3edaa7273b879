"""Candidate versus baseline: Mann-Whitney U, the Hodges-Lehmann shift with its interval, Holm.

A rank test, not point values (architecture.md contract 3): it asks whether one candidate's latencies tend
to be larger than the other's, whatever their shape. The Hodges-Lehmann shift (the median of all
pairwise differences) says by how much, with the distribution-free interval that inverts the same
test. The practical margin turns "significant" into "matters": a 1 ms shift on 300 ms is noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pockit._constants import CONFIDENCE
from pockit._display import p_value
from pockit.analysis._intervals import FloatArray

if TYPE_CHECKING:
    pass

#: Above this many values per side, a seeded random subsample keeps the shift computable; said in
#: the method. Mann-Whitney itself runs on everything.
HL_MAX_SAMPLES = 20_000

METHOD_COMPARE = (
    "Mann-Whitney U (two-sided) on per-request values; Hodges-Lehmann shift (candidate - baseline) "
    "with its distribution-free interval; Holm correction across metrics (reported); the "
    "interval decides: regressed/improved when it lies wholly beyond the practical margin, no "
    "significant change when wholly inside it, else inconclusive (underpowered)"
)


@dataclass(frozen=True)
class Comparison:
    """One metric of one candidate against the baseline."""

    candidate: str
    baseline: str
    metric: str
    n: int
    n_baseline: int
    shift: float
    shift_ci_low: float
    shift_ci_high: float
    baseline_median: float
    relative_shift: float
    margin: float
    p_value: float
    p_adjusted: float
    result: str  # improved | regressed | no significant change | inconclusive[ (underpowered)]
    reason: str
    method: str = METHOD_COMPARE

    def to_dict(self) -> dict[str, object]:
        def f(x: float) -> float | None:
            return x if math.isfinite(x) else None

        return {
            "candidate": self.candidate,
            "baseline": self.baseline,
            "metric": self.metric,
            "n": self.n,
            "n_baseline": self.n_baseline,
            "shift": f(self.shift),
            "shift_ci_low": f(self.shift_ci_low),
            "shift_ci_high": f(self.shift_ci_high),
            "baseline_median": f(self.baseline_median),
            "relative_shift": f(self.relative_shift),
            "margin": self.margin,
            "p_value": f(self.p_value),
            "p_adjusted": f(self.p_adjusted),
            "result": self.result,
            "reason": self.reason,
            "method": self.method,
        }

    def _repr_html_(self) -> str:
        """JupyterLab: shift with its interval, the margin, the verdict words and Holm p."""
        from pockit._display import comparison_table

        return comparison_table([self])

    def __repr__(self) -> str:
        from pockit._display import shift_text

        return (
            f"Comparison({self.candidate!r} vs {self.baseline!r}, {self.metric}: {self.result}, "
            f"shift {shift_text(self.to_dict())}, margin ±{self.margin:.0%}, {p_value(self.p_adjusted)} Holm)"
        )


def _count_le(y: FloatArray, x_sorted: FloatArray, d: float) -> int:
    """Number of pairs with ``y_i - x_j <= d``, i.e. ``x_j >= y_i - d``."""
    import numpy as np

    below = np.searchsorted(x_sorted, y - d, side="left")
    return int(x_sorted.size * y.size - below.sum())


def _kth_difference(y: FloatArray, x_sorted: FloatArray, k: int, lo: float, hi: float) -> float:
    """The ``k``-th smallest (1-based) pairwise difference ``y_i - x_j``, by bisection on counts."""
    for _ in range(100):
        mid = (lo + hi) / 2.0
        if _count_le(y, x_sorted, mid) >= k:
            hi = mid
        else:
            lo = mid
        if hi - lo <= 1e-9 * max(1.0, abs(hi)):
            break
    return hi


def hodges_lehmann(
    candidate: FloatArray, baseline: FloatArray, *, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Shift ``candidate - baseline`` (median of pairwise differences) and its interval.

    The interval's ends are the ``C``-th smallest and largest pairwise differences, ``C`` from the
    normal approximation of the Mann-Whitney null distribution (Lehmann 1975; exact enough for
    the sample sizes of a load test). Computed by bisection on pair counts, never by forming all
    ``n * m`` differences.
    """
    import numpy as np
    from scipy import stats

    y = np.asarray(candidate, dtype=np.float64)
    x = np.sort(np.asarray(baseline, dtype=np.float64))
    n, m = y.size, x.size
    if n == 0 or m == 0:
        return math.nan, math.nan, math.nan
    total = n * m
    lo, hi = float(y.min() - x[-1]) - 1.0, float(y.max() - x[0]) + 1.0
    if total % 2:
        est = _kth_difference(y, x, (total + 1) // 2, lo, hi)
    else:
        a = _kth_difference(y, x, total // 2, lo, hi)
        b = _kth_difference(y, x, total // 2 + 1, lo, hi)
        est = (a + b) / 2.0
    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    c = int(math.floor(total / 2.0 - z * math.sqrt(n * m * (n + m + 1) / 12.0)))
    if c < 1:
        return est, -math.inf, math.inf
    low = _kth_difference(y, x, c, lo, hi)
    high = _kth_difference(y, x, total - c + 1, lo, hi)
    return est, low, high


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values (family-wise error control across metrics)."""
    import numpy as np

    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p)
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adj[i] = running
    return [float(v) for v in adj]


def _subsample(values: FloatArray, seed: int) -> FloatArray:
    import numpy as np

    if values.size <= HL_MAX_SAMPLES:
        return values
    rng = np.random.default_rng(seed)
    return rng.choice(values, HL_MAX_SAMPLES, replace=False)


def _pct(x: float) -> str:
    return f"{x:+.1%}" if math.isfinite(x) else ("+inf" if x > 0 else "-inf")


def compare_samples(
    candidate: str,
    baseline: str,
    values: dict[str, tuple[FloatArray, FloatArray]],
    *,
    margin: float,
    lower_is_better: bool = True,
    confidence: float = CONFIDENCE,
) -> list[Comparison]:
    """Compare ``candidate`` with ``baseline`` on each metric in ``values`` (metric -> (cand, base)).

    The shift's interval (relative to the baseline median) decides, not its point value:
    **regressed** when the whole interval is worse than the margin, **improved** when it is all
    better than the margin, **no significant change** only when it lies inside ±margin (shown
    equivalent), otherwise **inconclusive (underpowered)**: the data cannot tell. The Mann-Whitney
    p-value, Holm-corrected across metrics, is reported beside it. A baseline median of zero makes
    a relative margin undefined: inconclusive.
    """
    import numpy as np
    from scipy import stats

    alpha = 1.0 - confidence
    raw: list[tuple[str, int, int, float, float, float, float, float]] = []
    for metric, (cv, bv) in values.items():
        c = np.asarray(cv, dtype=np.float64)
        b = np.asarray(bv, dtype=np.float64)
        if c.size == 0 or b.size == 0:
            raw.append(
                (metric, int(c.size), int(b.size), math.nan, math.nan, math.nan, math.nan, math.nan)
            )
            continue
        p = float(stats.mannwhitneyu(c, b, alternative="two-sided").pvalue)
        shift, lo, hi = hodges_lehmann(_subsample(c, 1), _subsample(b, 2), confidence=confidence)
        raw.append((metric, int(c.size), int(b.size), p, shift, lo, hi, float(np.median(b))))
    finite = [r[3] for r in raw if math.isfinite(r[3])]
    adjusted = iter(holm(finite))
    out: list[Comparison] = []
    for metric, n, nb, p, shift, lo, hi, base_med in raw:
        p_adj = next(adjusted) if math.isfinite(p) else math.nan
        if not math.isfinite(p):
            result, reason, rel = "inconclusive", f"no {metric} values on one side", math.nan
        elif base_med == 0:
            result, rel = "inconclusive", math.nan
            reason = f"baseline median {metric} is 0: a relative margin is undefined"
        else:
            scale = abs(base_med)
            rel, rel_lo, rel_hi = shift / scale, lo / scale, hi / scale
            # for higher-is-better metrics a positive shift is the good side: flip to "worse > 0"
            w_lo, w_hi = (rel_lo, rel_hi) if lower_is_better else (-rel_hi, -rel_lo)
            if w_lo > margin:
                result = "regressed"
            elif w_hi < -margin:
                result = "improved"
            elif -margin <= w_lo and w_hi <= margin:
                result = "no significant change"
            else:
                result = "inconclusive (underpowered)"
            sig = p_adj < alpha
            why = (
                f"shift {shift:+.4g} ({rel:+.1%} of baseline median {base_med:.4g}), "
                f"{confidence:.0%} interval {_pct(rel_lo)}..{_pct(rel_hi)} vs margin ±{margin:.0%}; "
                f"{p_value(p_adj)} (Holm)" + ("" if sig else f" not < {alpha:g}")
            )
            reason = f"{result}: {why}"
        out.append(
            Comparison(
                candidate=candidate,
                baseline=baseline,
                metric=metric,
                n=n,
                n_baseline=nb,
                shift=shift,
                shift_ci_low=lo,
                shift_ci_high=hi,
                baseline_median=base_med,
                relative_shift=rel,
                margin=margin,
                p_value=p,
                p_adjusted=p_adj,
                result=result,
                reason=reason,
            )
        )
    return out
