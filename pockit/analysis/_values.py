"""Every request's latency for a latency criterion, whether held in memory or streamed.

A latency criterion (``pockit/criteria/_latency.py``) judges a multiset of values per run: the
latency of each successful request, +inf for a failed one, NaN for a successful one whose latency
is unknown. It asks only a few things of it: how many values there are (+inf, NaN), how many lie
under a threshold, and a few order statistics of the finite ones. :class:`Values` is those
questions; :class:`ArrayValues` answers them from a numpy array, the streaming path
(:mod:`pockit.analysis._stream_values`) from counts and histograms over the Parquet files, so one
judging code gives the same figures either way.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


class Values(ABC):
    """A multiset of float values: finite ones, +inf (failures) and NaN (unknown)."""

    @property
    @abstractmethod
    def size(self) -> int:
        """Every value, +inf and NaN included."""

    @property
    @abstractmethod
    def n_inf(self) -> int:
        """Values that are +inf."""

    @property
    @abstractmethod
    def n_nan(self) -> int:
        """Values that are NaN."""

    @property
    def finite(self) -> int:
        """Values that are finite."""
        return self.size - self.n_inf - self.n_nan

    @abstractmethod
    def under(self, threshold: float, *, strict: bool) -> int:
        """Values ``< threshold`` (``strict``) or ``<= threshold``; NaN never is."""

    @abstractmethod
    def ranked(self, ranks: Sequence[int]) -> list[float]:
        """The finite values of 1-based ``ranks`` (each in ``1..finite``), exactly."""

    @abstractmethod
    def nan_as(self, value: float) -> Values:
        """The same values with every NaN replaced by ``value`` (+inf or 0)."""

    @abstractmethod
    def known(self) -> Values:
        """The same values without the NaNs."""

    @abstractmethod
    def with_nan(self, count: int) -> Values:
        """The same values plus ``count`` NaNs."""

    @abstractmethod
    def pooled(self, others: Sequence[Values]) -> Values:
        """These values together with ``others`` (of the same kind)."""


class ArrayValues(Values):
    """:class:`Values` of a numpy array."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    @property
    def size(self) -> int:
        return int(self.array.size)

    @cached_property
    def n_inf(self) -> int:  # type: ignore[override]
        import numpy as np

        return int(np.isinf(self.array).sum())

    @cached_property
    def n_nan(self) -> int:  # type: ignore[override]
        import numpy as np

        return int(np.isnan(self.array).sum())

    @cached_property
    def _finite(self) -> np.ndarray:
        import numpy as np

        out: np.ndarray = self.array[np.isfinite(self.array)]
        return out

    def under(self, threshold: float, *, strict: bool) -> int:
        a = self.array
        return int((a < threshold).sum() if strict else (a <= threshold).sum())

    def ranked(self, ranks: Sequence[int]) -> list[float]:
        from pockit.analysis._quantiles import ranked_values

        return [float(v) for v in ranked_values(self._finite, list(ranks))]

    def nan_as(self, value: float) -> ArrayValues:
        import numpy as np

        return ArrayValues(np.where(np.isnan(self.array), value, self.array))

    def known(self) -> ArrayValues:
        import numpy as np

        return ArrayValues(self.array[~np.isnan(self.array)])

    def with_nan(self, count: int) -> ArrayValues:
        import numpy as np

        return ArrayValues(np.concatenate([self.array, np.full(count, math.nan)]))

    def pooled(self, others: Sequence[Values]) -> ArrayValues:
        import numpy as np

        parts = [v.array for v in (self, *others) if isinstance(v, ArrayValues) and v.size]
        return ArrayValues(np.concatenate(parts) if parts else np.array([], dtype=np.float64))


def pool(parts: Sequence[Values]) -> Values:
    """``parts`` as one multiset (an empty array's when there are none)."""
    if not parts:
        import numpy as np

        return ArrayValues(np.array([], dtype=np.float64))
    return parts[0].pooled(parts[1:])
