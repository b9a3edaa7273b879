"""Exact sample quantiles with order-statistic intervals, for one group or many at once.

The estimate of the ``q`` quantile is the order statistic ``X_(ceil(n q))``; its interval is
``[X_(l), X_(u)]`` with ranks from :func:`pockit.analysis._intervals.quantile_ci_ranks`. Only
those few ranks are needed, so they are selected (exactly) rather than sorted for; see
:mod:`pockit.analysis._select`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pockit._constants import CONFIDENCE
from pockit.analysis._intervals import FloatArray, Sides, quantile_ci_ranks, quantile_rank
from pockit.analysis._select import order_statistics, select_ranks

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

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


def rank_matrix(
    n: np.ndarray, qs: Sequence[float], confidence: float, sides: Sides
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group (rows) and quantile (columns): 1-based estimate, lower and upper ranks."""
    import numpy as np

    est = np.stack([quantile_rank(n, q) for q in qs], axis=1)
    lows, highs = [], []
    for q in qs:
        lo, hi = quantile_ci_ranks(n, q, confidence=confidence, sides=sides)
        lows.append(lo)
        highs.append(hi)
    return est, np.stack(lows, axis=1), np.stack(highs, axis=1)


#: Below this many values a partial sort (``np.partition``) beats the radix select, whose
#: histogram is sized by the values' range rather than by their number.
SMALL = 1 << 16


def ranked_values(values: FloatArray, ranks: Sequence[int] | np.ndarray) -> np.ndarray:
    """The values of 1-based ``ranks`` (each in ``1..values.size``) of one array, exactly."""
    import numpy as np

    want = np.asarray(ranks, dtype=np.int64)
    if want.size == 0:
        return np.zeros(0, dtype=np.float64)
    if values.size <= SMALL:
        idx = want - 1
        return np.asarray(np.partition(values, np.unique(idx))[idx], dtype=np.float64)
    return np.asarray(select_ranks(values, None, 1, want[None, :])[0][0], dtype=np.float64)


def quantiles_of(
    values: FloatArray,
    qs: Sequence[float],
    *,
    confidence: float = CONFIDENCE,
    sides: Sides = "two",
    method: str = METHOD_QUANTILE,
) -> list[Estimate]:
    """Quantiles ``qs`` (0..1) of one array of non-negative values, with intervals."""
    import numpy as np

    n = int(values.size)
    if n == 0:
        return [Estimate.missing(method) for _ in qs]
    est, lo, hi = rank_matrix(np.array([n]), qs, confidence, sides)
    ranks = np.concatenate([est, lo, hi], axis=1)[0]
    got = np.full(ranks.size, np.nan)
    inside = (ranks >= 1) & (ranks <= n)
    got[inside] = ranked_values(values, ranks[inside])
    k = len(qs)
    out = []
    for j in range(k):
        low = -math.inf if lo[0, j] < 1 else float(got[k + j])
        high = math.inf if hi[0, j] > n else float(got[2 * k + j])
        out.append(Estimate(float(got[j]), low, high, n, method))
    return out


def group_codes(frame: pl.DataFrame, keys: Sequence[str]) -> tuple[np.ndarray, int]:
    """Mixed-radix integer group code per row from the key columns, and the size of the code space.

    Categorical/enum keys use their physical codes, integers themselves (rebased to their
    minimum); anything else is dictionary-encoded first.
    """
    import numpy as np
    import polars as pl

    code: np.ndarray | None = None
    space = 1
    for k in keys:
        col = frame[k]
        if col.dtype == pl.Categorical or isinstance(col.dtype, pl.Enum):
            phys = col.to_physical().to_numpy()
        elif col.dtype.is_integer():
            phys = col.to_numpy()
        else:
            phys = col.cast(pl.String).cast(pl.Categorical).to_physical().to_numpy()
        if phys.size == 0:
            return np.zeros(0, dtype=np.int64), 1
        base, top = int(phys.min()), int(phys.max())
        radix = top - base + 1
        if radix == 1:
            continue
        part = phys.astype(np.int64)
        if base:
            part -= base
        code = part if code is None else code * radix + part
        space *= radix
    if code is None:
        code = np.zeros(frame.height, dtype=np.int64)
    return code, space


def quantile_table(
    frame: pl.DataFrame,
    qs: Sequence[float],
    *,
    by: Sequence[str],
    column: str = "latency_ms",
    confidence: float = CONFIDENCE,
    sides: Sides = "two",
    where: np.ndarray | None = None,
) -> pl.DataFrame:
    """Per group of ``by`` (over the rows where the boolean array ``where`` is true, if given): ``n`` and, per quantile ``q``, ``pNN``, ``pNN_lo``, ``pNN_hi``.

    Keys must be categorical, enum or integer columns (others are dictionary-encoded first). The
    ranks, which depend only on each group's size, come from numpy/scipy; the values from a
    single exact radix select over all groups (:func:`order_statistics`).
    """
    import numpy as np
    import polars as pl

    keys = list(by)
    schema: dict[str, pl.DataType | type[pl.DataType]] = {k: frame.schema[k] for k in keys}
    schema["n"] = pl.UInt32
    for q in qs:
        for suffix in ("", "_lo", "_hi"):
            schema[pct_key(q * 100) + suffix] = pl.Float64
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    values = frame[column].cast(pl.Float64).to_numpy()
    code, space = group_codes(frame, keys)
    if where is not None:  # boolean compress: cheaper than gathering by index
        values, code = values[where], code[where]
    counts = np.bincount(code, minlength=space)
    groups = np.flatnonzero(counts).astype(np.int64)
    n = counts[groups].astype(np.int64)
    est, lo, hi = rank_matrix(n, qs, confidence, sides)
    k = len(qs)
    got, witness = order_statistics(
        values, code, space, np.concatenate([est, lo, hi], axis=1), groups
    )
    # one row of each group (the one holding its estimate) gives back its key values
    take = witness if where is None else np.flatnonzero(where)[witness]
    out = frame.select(keys)[take].with_columns(pl.Series("n", n, dtype=pl.UInt32))
    cols = []
    for j, q in enumerate(qs):
        name = pct_key(q * 100)
        cols.append(pl.Series(name, got[:, j]))
        cols.append(pl.Series(name + "_lo", np.where(lo[:, j] < 1, -np.inf, got[:, k + j])))
        cols.append(pl.Series(name + "_hi", np.where(hi[:, j] > n, np.inf, got[:, 2 * k + j])))
    return out.with_columns(cols)
