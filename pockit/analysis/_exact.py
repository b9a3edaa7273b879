"""The streaming path's exact selection: locate each wanted rank's bin, then read it off exactly."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pockit.analysis._batches import _Batch, _Reader, _values
from pockit.analysis._histogram import (
    F64,
    I64,
    SHIFTS,
    _absolute,
    _Sparse,
    _sub,
    key_value,
    order_key,
)

#: Values collected in one exact pass at most (8 bytes each, plus 8 for the leaf): 256 MB.
COLLECT_CAP = 1 << 24


@dataclass
class _Target:
    """One wanted order statistic: rank ``rank`` (1-based) of group ``group`` of ``kind``."""

    kind: str
    member: npt.NDArray[np.bool_]
    rank: int
    level: int = 0
    parent: int = 0  # absolute prefix at the previous level (level > 0)
    prefix: int = 0  # absolute prefix at this level once located
    offset: int = 0  # rank inside the located bin
    value: float = math.nan
    done: bool = False


class _Selector:
    """Resolves targets exactly with as many passes over the data as the ties require."""

    def __init__(self, reader: _Reader, n_leaves: int) -> None:
        self.reader = reader
        self.n_leaves = n_leaves
        self.root: dict[str, _Sparse] = {"lat": _Sparse(n_leaves), "int": _Sparse(n_leaves)}

    def count_root(self, b: _Batch) -> None:
        for kind in ("lat", "int"):
            vals, leaf = _values(b, kind)
            if vals.size:
                self.root[kind].add(_sub(order_key(vals), 0, 0), leaf)

    def _locate(self, targets: list[_Target], hists: dict[tuple[str, int, int], _Sparse]) -> None:
        cache: dict[tuple[str, int, int, bytes], tuple[I64, I64]] = {}
        for t in targets:
            if t.done:
                continue
            h = hists[(t.kind, t.level, t.parent)]
            ck = (t.kind, t.level, t.parent, t.member.tobytes())
            if ck not in cache:
                subs, counts = h.group(t.member)
                cache[ck] = (subs, np.cumsum(counts))
            subs, cum = cache[ck]
            i = int(np.searchsorted(cum, t.rank, side="left"))
            before = int(cum[i - 1]) if i else 0
            t.offset = t.rank - before
            t.prefix = _absolute(int(subs[i]), t.level, t.parent)
            if t.level == len(SHIFTS) - 1:  # one bit pattern: the value itself
                t.value, t.done = key_value(t.prefix), True

    def resolve(
        self, targets: list[_Target], on_batch: Callable[[_Batch], None] | None = None
    ) -> None:
        """Read off every target's value exactly; ``on_batch`` sees every batch of one pass (the
        first the targets need, else a pass of its own)."""
        hists: dict[tuple[str, int, int], _Sparse] = {
            ("lat", 0, 0): self.root["lat"],
            ("int", 0, 0): self.root["int"],
        }
        self._locate(targets, hists)
        while any(not t.done for t in targets):
            # cells of every leaf at the located bins: collect the small ones, split the big ones
            collect: dict[tuple[str, int, int], None] = {}
            split: dict[tuple[str, int, int], None] = {}
            budget = COLLECT_CAP
            for t in targets:
                if t.done:
                    continue
                cell = (t.kind, t.level, t.prefix)
                if cell in collect or cell in split:
                    continue
                size = self._cell_size(hists, t)
                if size <= budget:
                    collect[cell] = None
                    budget -= size
                elif size > COLLECT_CAP:
                    split[cell] = None
            got = self._pass(list(collect), list(split), hists, on_batch)
            on_batch = None
            for t in targets:
                if t.done:
                    continue
                cell = (t.kind, t.level, t.prefix)
                if cell in got:
                    leaves, vals = got[cell]
                    mine = np.sort(vals[t.member[leaves]])
                    t.value, t.done = float(mine[t.offset - 1]), True
                elif cell in split:
                    # the rank inside the bin becomes the rank within its finer histogram
                    t.level, t.parent, t.rank = t.level + 1, t.prefix, t.offset
            self._locate(targets, hists)
        if on_batch is not None:
            for b in self.reader.batches(times=True):
                on_batch(b)

    def _cell_size(self, hists: dict[tuple[str, int, int], _Sparse], t: _Target) -> int:
        h = hists[(t.kind, t.level, t.parent)]
        keys, counts = h.merged()
        sub = _sub(np.array([t.prefix], dtype=np.int64) << SHIFTS[t.level], t.level, t.parent)
        return int(counts[keys // h.n_leaves == int(sub[0])].sum())

    def _pass(
        self,
        collect: list[tuple[str, int, int]],
        split: list[tuple[str, int, int]],
        hists: dict[tuple[str, int, int], _Sparse],
        on_batch: Callable[[_Batch], None] | None = None,
    ) -> dict[tuple[str, int, int], tuple[I64, F64]]:
        parts: dict[tuple[str, int, int], list[tuple[I64, F64]]] = {c: [] for c in collect}
        for kind, level, prefix in split:
            hists[(kind, level + 1, prefix)] = _Sparse(self.n_leaves)
        kinds = {c[0] for c in collect} | {c[0] for c in split}
        times = "int" in kinds or on_batch is not None
        for b in self.reader.batches(times=times):
            if on_batch is not None:
                on_batch(b)
            for kind in kinds:
                vals, leaf = _values(b, kind)
                if not vals.size:
                    continue
                key = order_key(vals)
                for level in range(len(SHIFTS)):
                    mine = [c for c in collect if c[0] == kind and c[1] == level]
                    cut = [c for c in split if c[0] == kind and c[1] == level]
                    if not mine and not cut:
                        continue
                    pre = key >> SHIFTS[level]
                    wanted = np.array([c[2] for c in mine + cut], dtype=np.int64)
                    idx = np.flatnonzero(np.isin(pre, wanted))
                    if not idx.size:
                        continue
                    spre, skey, sleaf, svals = pre[idx], key[idx], leaf[idx], vals[idx]
                    for cell in mine:
                        m = spre == cell[2]
                        if m.any():
                            parts[cell].append((sleaf[m], svals[m]))
                    for cell in cut:
                        m = spre == cell[2]
                        if m.any():
                            hists[(kind, level + 1, cell[2])].add(
                                _sub(skey[m], level + 1, cell[2]), sleaf[m]
                            )
        out: dict[tuple[str, int, int], tuple[I64, F64]] = {}
        for cell, chunks in parts.items():
            if chunks:
                out[cell] = (
                    np.concatenate([c[0] for c in chunks]),
                    np.concatenate([c[1] for c in chunks]),
                )
            else:
                out[cell] = (np.zeros(0, np.int64), np.zeros(0))
        return out
