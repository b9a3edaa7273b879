"""The streaming path's histograms: float64 values as ordered integer keys, sparse counts per leaf.

Non-negative float64 values order exactly like their bit patterns read as integers; negative ones
are mapped so the order holds for them too (:func:`order_key`). Level 0 bins a key by its top 20
bits, level 1 by 22 more, level 2 is the key itself (:data:`SHIFTS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
#: Bit shifts of the successive histogram levels: 20 top bits, then 22 more, then the value itself.
SHIFTS = (44, 22, 0)
#: Per-batch dense histogram at most this many cells; beyond it np.unique counts instead.
DENSE_CELLS = 1 << 23

_FLIP = np.int64(0x7FFF_FFFF_FFFF_FFFF)


def order_key(values: F64) -> I64:
    """Integer keys ordered exactly like the (non-NaN) float64 ``values``."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    out: I64 = np.where(bits < 0, bits ^ _FLIP, bits)
    return out


def key_value(key: int) -> float:
    """The float64 whose :func:`order_key` is ``key``."""
    bits = np.int64(key)
    if bits < 0:
        bits = bits ^ _FLIP
    return float(np.array([bits], dtype=np.int64).view(np.float64)[0])


def _count_cells(combined: I64) -> tuple[I64, I64]:
    """Distinct values of ``combined`` and how often each occurs (dense bincount when narrow)."""
    if combined.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lo, hi = int(combined.min()), int(combined.max())
    if hi - lo < DENSE_CELLS:
        counts = np.bincount(combined - lo, minlength=hi - lo + 1)
        nz = np.flatnonzero(counts)
        return (nz + lo).astype(np.int64), counts[nz].astype(np.int64)
    uniq, cnt = np.unique(combined, return_counts=True)
    return uniq.astype(np.int64), cnt.astype(np.int64)


@dataclass
class _Sparse:
    """A sparse histogram: ``combined = sub_bin * n_leaves + leaf`` -> count, merged lazily."""

    n_leaves: int
    parts: list[tuple[I64, I64]] = field(default_factory=list)

    def add(self, sub: I64, leaf: I64) -> None:
        if sub.size:
            self.parts.append(_count_cells(sub * self.n_leaves + leaf))
            if len(self.parts) > 64:
                self.parts = [self.merged()]

    def merged(self) -> tuple[I64, I64]:
        if not self.parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        keys = np.concatenate([k for k, _ in self.parts])
        counts = np.concatenate([c for _, c in self.parts])
        uniq, inv = np.unique(keys, return_inverse=True)
        total = np.bincount(inv, weights=counts, minlength=uniq.size).astype(np.int64)
        self.parts = [(uniq.astype(np.int64), total)]
        return self.parts[0]

    def group(self, member: npt.NDArray[np.bool_]) -> tuple[I64, I64]:
        """Sub-bins (sorted) and counts of the leaves where ``member`` is true."""
        keys, counts = self.merged()
        leaf = keys % self.n_leaves
        keep = member[leaf]
        sub = keys[keep] // self.n_leaves
        uniq, inv = np.unique(sub, return_inverse=True)
        return uniq, np.bincount(inv, weights=counts[keep], minlength=uniq.size).astype(np.int64)


def _sub(key: I64, level: int, parent: int) -> I64:
    shift = SHIFTS[level]
    if level == 0:
        return (key >> shift) + (1 << (63 - shift))  # >= 0
    d = SHIFTS[level - 1] - shift
    return (key >> shift) - (parent << d)


def _absolute(sub: int, level: int, parent: int) -> int:
    shift = SHIFTS[level]
    if level == 0:
        return sub - (1 << (63 - shift))
    return (parent << (SHIFTS[level - 1] - shift)) + sub
