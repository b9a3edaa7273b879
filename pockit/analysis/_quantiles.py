"""Exact sample quantiles with order-statistic intervals, for one group or many at once.

The estimate of the ``q`` quantile is the order statistic ``X_(ceil(n q))``; its interval is
``[X_(l), X_(u)]`` with ranks from :func:`pockit.analysis._intervals.quantile_ci_ranks`. Both need
the values in order, so the work is a sort (per group, in parallel, in polars) or a selection
(``numpy.partition`` for a single group), then a gather of a handful of ranks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from pockit._constants import CONFIDENCE
from pockit.analysis._intervals import FloatArray, Sides, quantile_ci_ranks, quantile_rank

METHOD_QUANTILE = (
    "exact sample quantile X_(ceil(nq)); distribution-free order-statistic (binomial) interval"
)


def pct_key(pct: float) -> str:
    """``95 -> 'p95'``, ``99.9 -> 'p99.9'``."""
    return f"p{pct:g}"


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its interval; ``-inf``/``inf`` ends mean "not bounded by the data"."""

    value: float
    ci_low: float
    ci_high: float
    n: int
    method: str = ""

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "value": _finite(self.value),
            "ci_low": _finite(self.ci_low),
            "ci_high": _finite(self.ci_high),
            "n": self.n,
        }

    @classmethod
    def missing(cls, method: str = "") -> Estimate:
        return cls(math.nan, math.nan, math.nan, 0, method)


def _finite(x: float) -> float | None:
    return x if isinstance(x, int | float) and math.isfinite(x) else None


def _rank_matrix(
    n: np.ndarray, qs: Sequence[float], confidence: float, sides: Sides
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group (rows) and quantile (columns): 1-based estimate, lower and upper ranks."""
    est = np.stack([quantile_rank(n, q) for q in qs], axis=1)
    lows, highs = [], []
    for q in qs:
        lo, hi = quantile_ci_ranks(n, q, confidence=confidence, sides=sides)
        lows.append(lo)
        highs.append(hi)
    return est, np.stack(lows, axis=1), np.stack(highs, axis=1)


def quantiles_of(
    values: FloatArray,
    qs: Sequence[float],
    *,
    confidence: float = CONFIDENCE,
    sides: Sides = "two",
    method: str = METHOD_QUANTILE,
) -> list[Estimate]:
    """Quantiles ``qs`` (0..1) of one array with intervals; selection, not a full sort."""
    n = int(values.size)
    if n == 0:
        return [Estimate.missing(method) for _ in qs]
    est, lo, hi = _rank_matrix(np.array([n]), qs, confidence, sides)
    ranks = np.concatenate([est[0], lo[0], hi[0]])
    wanted = np.unique(np.clip(ranks, 1, n)) - 1
    part = np.partition(values, wanted)
    out = []
    for j in range(len(qs)):
        low = -math.inf if lo[0, j] < 1 else float(part[lo[0, j] - 1])
        high = math.inf if hi[0, j] > n else float(part[hi[0, j] - 1])
        out.append(Estimate(float(part[est[0, j] - 1]), low, high, n, method))
    return out


def quantile_table(
    frame: pl.DataFrame,
    qs: Sequence[float],
    *,
    by: Sequence[str],
    column: str = "latency_ms",
    confidence: float = CONFIDENCE,
    sides: Sides = "two",
) -> pl.DataFrame:
    """Per group of ``by``: ``n`` and, per quantile ``q``, ``pNN``, ``pNN_lo``, ``pNN_hi``.

    Each group's values are sorted once (polars runs groups in parallel); the ranks, which depend
    only on the group's size, are computed in numpy and gathered from the sorted lists.
    """
    keys = list(by)
    grouped = frame.group_by(keys, maintain_order=True).agg(
        pl.col(column).sort().alias("_v"), pl.len().alias("n")
    )
    if grouped.height == 0:
        schema: dict[str, pl.DataType | type[pl.DataType]] = {k: frame.schema[k] for k in keys}
        schema["n"] = pl.UInt32
        for q in qs:
            for suffix in ("", "_lo", "_hi"):
                schema[pct_key(q * 100) + suffix] = pl.Float64
        return pl.DataFrame(schema=schema)
    n = grouped["n"].to_numpy().astype(np.int64)
    est, lo, hi = _rank_matrix(n, qs, confidence, sides)
    k = len(qs)
    idx = np.concatenate([est, lo, hi], axis=1)
    idx = np.clip(idx, 1, n[:, None]) - 1
    gathered = grouped.with_columns(
        pl.Series("_i", idx.astype(np.int64).tolist(), dtype=pl.List(pl.Int64))
    ).select(*keys, "n", pl.col("_v").list.gather(pl.col("_i")).alias("_g"))
    mat = np.asarray(gathered["_g"].to_list(), dtype=np.float64).reshape(len(n), 3 * k)
    cols: dict[str, np.ndarray] = {}
    for j, q in enumerate(qs):
        name = pct_key(q * 100)
        cols[name] = mat[:, j]
        cols[name + "_lo"] = np.where(lo[:, j] < 1, -np.inf, mat[:, k + j])
        cols[name + "_hi"] = np.where(hi[:, j] > n, np.inf, mat[:, 2 * k + j])
    return gathered.select(*keys, "n").with_columns(
        [pl.Series(name, values) for name, values in cols.items()]
    )
