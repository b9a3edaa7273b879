"""The latency distribution as a percentile curve, built from per-bin aggregates in bounded memory.

Latencies of successful requests (``ok``, finite) are grouped into bins a 64th of a power of two
wide (about 1.1% relative width; zero and negative values share one bin below all others) by a
streaming polars group-by that keeps, per candidate and bin, the count and the largest value. Sorted
by bin, the cumulative count ``r`` at the end of a bin is a rank of the candidate's sorted sample,
and the value at that rank is exactly the bin's largest: each point ``(q = (r - 0.5) / n, value)``
is an exact order statistic. The curve is the sorted sample read at every bin boundary — the same
points a sort of every latency would give there — and its size is the number of occupied bins (a
few hundred for latencies between 1 ms and 10 s), however many requests the runs hold.

>>> curve = curve_from_values("a", [5.0, 1.0, 3.0, 2.0, 4.0])
>>> curve.n, curve.latency_ms[-1]
(5, 5.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pockit.analysis._samples import RunLike, as_runs, scan_runs

__all__ = ["BINS_PER_OCTAVE", "METHOD_CURVE", "LatencyCurve", "curve_from_values", "latency_curve"]

#: Bins per doubling of latency: 64 gives bins about 1.1% wide.
BINS_PER_OCTAVE = 64
#: The bin of zero and negative latencies (below every positive value's bin).
_NON_POSITIVE = -(1 << 40)

METHOD_CURVE = (
    "exact order statistics of successful requests' latency at the end of each bin 1/64 of a "
    "power of two wide (streaming group-by: count and largest value per bin)"
)


@dataclass(frozen=True, kw_only=True)
class LatencyCurve:
    """One candidate's percentile curve: ``latency_ms[i]`` is the sample's value at plotting
    position ``q[i]`` (``(rank - 0.5) / n``); ``n`` successful requests in all."""

    candidate: str
    n: int
    q: tuple[float, ...]
    latency_ms: tuple[float, ...]
    method: str = METHOD_CURVE

    def __len__(self) -> int:
        return self.n


def _points(
    bins: Iterable[tuple[int, int, float]],
) -> tuple[int, tuple[float, ...], tuple[float, ...]]:
    rows = sorted(bins)
    n = sum(count for _, count, _ in rows)
    qs: list[float] = []
    values: list[float] = []
    rank = 0
    for _, count, largest in rows:
        rank += count
        qs.append((rank - 0.5) / n)
        values.append(float(largest))
    return n, tuple(qs), tuple(values)


def _bin(value: float) -> int:
    return math.floor(math.log2(value) * BINS_PER_OCTAVE) if value > 0 else _NON_POSITIVE


def curve_from_values(candidate: str, values: Sequence[float] | Iterable[float]) -> LatencyCurve:
    """The curve of latencies already in memory (:func:`latency_curve`'s binning rule, computed
    here in Python); values that are not finite are left out."""
    per_bin: dict[int, tuple[int, float]] = {}
    for raw in values:
        v = float(raw)
        if not math.isfinite(v):
            continue
        b = _bin(v)
        count, largest = per_bin.get(b, (0, -math.inf))
        per_bin[b] = (count + 1, max(largest, v))
    n, qs, vals = _points((b, c, hi) for b, (c, hi) in per_bin.items())
    return LatencyCurve(candidate=candidate, n=n, q=qs, latency_ms=vals)


def latency_curve(runs: RunLike | Iterable[RunLike]) -> dict[str, LatencyCurve]:
    """Each candidate's percentile curve over its runs' successful requests (module docstring: how),
    read in one streaming pass whatever the runs' size; candidates in the runs' order."""
    import polars as pl

    rundirs = as_runs(runs)
    lat = pl.col("latency_ms")
    binned = (
        scan_runs(rundirs, columns=("latency_ms", "ok"))
        .filter(pl.col("ok") & lat.is_finite())
        .with_columns(
            pl.when(lat > 0)
            .then((lat.log(2) * BINS_PER_OCTAVE).floor())
            .otherwise(_NON_POSITIVE)
            .cast(pl.Int64)
            .alias("bin")
        )
        .group_by("candidate", "bin")
        .agg(pl.len().alias("count"), lat.max().alias("largest"))
        .collect(engine="streaming")
    )
    rows: dict[str, list[tuple[int, int, float]]] = {}
    for cand, b, count, largest in binned.iter_rows():
        rows.setdefault(str(cand), []).append((int(b), int(count), float(largest)))
    out: dict[str, LatencyCurve] = {}
    for cand in dict.fromkeys(r.candidate for r in rundirs):
        n, qs, vals = _points(rows.get(cand, []))
        out[cand] = LatencyCurve(candidate=cand, n=n, q=qs, latency_ms=vals)
    return out
