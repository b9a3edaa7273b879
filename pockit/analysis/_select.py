"""Exact order statistics of many groups at once, without sorting everything (a radix select).

A percentile with an order-statistic interval needs only a few ranks per group, so sorting all of
a 10M-sample run is wasted work. Non-negative float64 values order exactly like their bit
patterns read as integers (negative ones and -0.0 once mapped by ``order_key``, which only an
array holding them pays for), so the top bits of each value name a bin that is monotone in value.
One pass counts (group, bin) pairs; cumulative counts say which bin holds each wanted rank and
where in it; a second pass keeps only the rows in those bins, and only those few are sorted. The
result is exact (the same values a full sort gives), in O(n) passes over numpy arrays.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pockit.analysis._histogram import order_key

#: Keep this many top bits of the float64 pattern as the bin (sign + 11 exponent + 8 mantissa
#: bits: bins about 0.4% wide); fewer when groups x bins would not fit in memory.
BIN_BITS = 20
MAX_CELLS = 1 << 24


def order_statistics(
    values: npt.NDArray[np.float64],
    codes: npt.NDArray[np.int64] | None,
    n_groups: int,
    ranks: npt.NDArray[np.int64],
    groups: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Values of 1-based ``ranks[i, j]`` within group ``groups[i]`` (NaN where out of range), and
    for each group the index in ``values`` of one of its rows (-1 when none was selected).

    ``values`` must be finite (of either sign); ``codes`` gives each value's group in
    ``[0, n_groups)`` (None: a single group 0).
    """
    out = np.full(ranks.shape, np.nan)
    witness = np.full(len(groups), -1, dtype=np.int64)
    if values.size == 0 or ranks.size == 0:
        return out, witness
    raw = _ordered_bits(np.ascontiguousarray(values, dtype=np.float64))
    shift = 64 - BIN_BITS
    while True:
        bins = raw >> shift
        lo_bin = int(bins.min())
        n_bins = int(bins.max()) - lo_bin + 1
        if n_groups * n_bins <= MAX_CELLS or shift >= 62:
            break
        shift += 1
    bins -= lo_bin
    key = bins if codes is None else codes * n_bins + bins
    hist = np.bincount(key, minlength=n_groups * n_bins).reshape(n_groups, n_bins)
    cum = np.cumsum(hist[groups], axis=1)  # only the groups asked about
    n = cum[:, -1]
    valid = (ranks >= 1) & (ranks <= n[:, None])
    r = np.where(valid, ranks, 1)
    # bin holding rank r: first bin whose cumulative count reaches r
    rows = np.repeat(np.arange(len(groups)), ranks.shape[1]).reshape(ranks.shape)
    bin_of = np.empty(ranks.shape, dtype=np.int64)
    for i in range(len(groups)):
        bin_of[i] = np.searchsorted(cum[i], r[i], side="left")
    before = np.where(bin_of > 0, cum[rows, np.maximum(bin_of - 1, 0)], 0)
    offset = r - before  # 1-based rank inside the bin
    wanted_keys = groups[:, None] * n_bins + bin_of
    want = np.zeros(n_groups * n_bins, dtype=bool)
    want[wanted_keys[valid]] = True
    mask = want[key]
    sel_idx = np.flatnonzero(mask)
    sel_keys = key[sel_idx]
    sel_vals = values[sel_idx]
    order = np.lexsort((sel_vals, sel_keys))
    sel_keys = sel_keys[order]
    sel_vals = sel_vals[order]
    sel_idx = sel_idx[order]
    starts = np.searchsorted(sel_keys, wanted_keys, side="left")
    pos = starts + offset - 1
    out[valid] = sel_vals[pos[valid]]
    has = valid[:, 0]
    witness[has] = sel_idx[pos[has, 0]]
    return out, witness


#: Histogram cells (groups x bins) that :func:`select_ranks` aims for: finer bins leave fewer rows
#: to sort, but a bigger histogram costs more to clear and scan. 4M int64 counts = 32 MB.
TARGET_CELLS = 1 << 20
#: Never split bins finer than this (top 28 bits: 16 mantissa bits, bins ~0.0015% wide).
MIN_SHIFT = 36


def _ordered_bits(values: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Integer keys ordered like ``values`` (contiguous float64): their bit patterns themselves
    (no copy) unless a sign bit is set (a negative value, or -0.0), then :func:`order_key`'s."""
    bits = values.view(np.int64)
    return order_key(values) if bool((bits < 0).any()) else bits


#: Rows per chunk when building histogram keys: several numpy steps run on one chunk while it
#: is in cache, instead of each step streaming the whole array through memory.
CHUNK = 1 << 16


def _keys(
    raw: npt.NDArray[np.int64],
    shift: int,
    lo_bin: int,
    codes: npt.NDArray[np.integer] | None,
    n_bins: int,
    where: npt.NDArray[np.bool_] | None,
    ignored: int,
) -> npt.NDArray[np.int64]:
    """Histogram cell of every row: ``code * n_bins + bin``, or ``ignored`` where ``where`` is false."""
    key = np.empty(raw.size, dtype=np.int64)
    tmp = np.empty(min(CHUNK, raw.size), dtype=np.int64)
    off = np.empty(min(CHUNK, raw.size), dtype=bool)
    for s in range(0, raw.size, CHUNK):
        e = min(s + CHUNK, raw.size)
        k = key[s:e]
        np.right_shift(raw[s:e], shift, out=k)
        if lo_bin:
            k -= lo_bin
        if codes is not None:
            t = tmp[: e - s]
            np.multiply(codes[s:e], n_bins, out=t, casting="unsafe")
            k += t
        if where is not None:
            o = off[: e - s]
            np.logical_not(where[s:e], out=o)
            np.copyto(k, ignored, where=o)
    return key


def select_ranks(
    values: npt.NDArray[np.float64],
    codes: npt.NDArray[np.integer] | None,
    n_groups: int,
    ranks: npt.NDArray[np.int64],
    pooled: npt.NDArray[np.int64] | None = None,
    where: npt.NDArray[np.bool_] | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Values of 1-based ``ranks[g, j]`` within each group ``g``, and of ``pooled[j]`` over all
    groups at once, in one histogram pass (NaN where a rank is out of range).

    ``values`` must be finite (of either sign); ``codes`` gives each value's group, dense in
    ``[0, n_groups)`` (None: one group), and ``ranks`` has one row per group; rows where the
    boolean ``where`` is false are left out (no compressed copies of the arrays are made). The
    pooled histogram is the sum of the groups' (no second pass over the data), and one mask
    selects the rows that any wanted rank can fall on. Exact: the same values a full sort gives.
    """
    out = np.full(ranks.shape, np.nan)
    pooled_out = np.full(0 if pooled is None else pooled.shape, np.nan)
    if values.size == 0:
        return out, pooled_out
    values = np.ascontiguousarray(values, dtype=np.float64)
    raw = _ordered_bits(values)
    lo_raw, hi_raw = int(raw.min()), int(raw.max())
    shift = MIN_SHIFT
    while shift < 63 and n_groups * ((hi_raw >> shift) - (lo_raw >> shift) + 1) > TARGET_CELLS:
        shift += 1
    lo_bin = lo_raw >> shift
    n_bins = (hi_raw >> shift) - lo_bin + 1
    n_cells = n_groups * n_bins  # cell n_cells holds the rows left out by ``where``
    key = _keys(raw, shift, lo_bin, codes if n_groups > 1 else None, n_bins, where, n_cells)
    hist = np.bincount(key, minlength=n_cells + 1)[:n_cells]
    cum = np.cumsum(hist)
    ends = cum[n_bins - 1 :: n_bins]  # rows in groups 0..g
    starts = ends - hist.reshape(n_groups, n_bins).sum(axis=1)
    sizes = ends - starts
    valid = (ranks >= 1) & (ranks <= sizes[:, None])
    # a rank within group g is rank starts[g] + r in the (group, value) order of all rows
    grank = starts[:, None] + np.where(valid, ranks, 1)
    cell = np.minimum(np.searchsorted(cum, grank, side="left"), cum.size - 1)  # invalid: clamp
    offset = grank - (cum - hist)[cell]  # 1-based rank inside the cell
    want = np.zeros(n_cells + 1, dtype=bool)
    want[cell[valid]] = True
    pbin = poff = pvalid = None
    if pooled is not None:
        phist = hist.reshape(n_groups, n_bins).sum(axis=0)
        pcum = np.cumsum(phist)
        pvalid = (pooled >= 1) & (pooled <= pcum[-1])
        pr = np.where(pvalid, pooled, 1)
        pbin = np.minimum(np.searchsorted(pcum, pr, side="left"), pcum.size - 1)  # invalid: clamp
        poff = pr - (pcum - phist)[pbin]
        want[:n_cells].reshape(n_groups, n_bins)[:, pbin[pvalid]] = True
    idx = np.flatnonzero(want[key])
    sel_key = key[idx]
    sel_val = values[idx]
    if valid.any():
        order = np.lexsort((sel_val, sel_key))
        skey, sval = sel_key[order], sel_val[order]
        pos = np.searchsorted(skey, cell, side="left") + offset - 1
        out[valid] = sval[pos[valid]]
    if pooled is not None and pbin is not None and poff is not None and pvalid is not None:
        pwant = np.zeros(n_bins, dtype=bool)
        pwant[pbin[pvalid]] = True
        pv = np.sort(sel_val[pwant[sel_key % n_bins if n_groups > 1 else sel_key]])
        pb = (order_key(pv) >> shift) - lo_bin  # sorting by value sorts by bin too
        ppos = np.searchsorted(pb, pbin, side="left") + poff - 1
        pooled_out[pvalid] = pv[ppos[pvalid]]
    return out, pooled_out
