""":class:`~pockit.analysis._requests.Requests` and :class:`~pockit.analysis._values.Values` of
streamed runs: sums over the leaves of a :class:`~pockit.analysis._stream_source.StreamSource`.

A group of requests is a boolean mask over leaves (name x run x segment); narrowing it to an
endpoint, a run or the held steps of a capacity ramp narrows the mask. Counts are sums over it;
order statistics and counts under a threshold are the source's exact answers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from pockit.analysis._classes import CLASS_METRICS
from pockit.analysis._requests import (
    DEFAULT_HEALTHY_P95_FACTOR,
    PRE_FAULT_MIN,
    Requests,
    first_fault,
)
from pockit.analysis._stream_source import HELD, PRE_FAULT, StreamSource
from pockit.analysis._values import Values

if TYPE_CHECKING:
    import polars as pl

    from pockit.analysis._classes import RequestClass
    from pockit.analysis._samples import RunInfo

Mask = npt.NDArray[np.bool_]


def linear_quantile(m: int, q: float, ranked: Any) -> float:
    """``np.quantile(values, q)`` (linear interpolation) of ``m`` values, from the one or two
    order statistics it reads (``ranked(ranks)``, 1-based), with numpy's very arithmetic."""
    v = (m - 1) * np.float64(q)
    if v >= m - 1:
        return float(ranked([m])[0])
    lo = int(np.floor(v))
    a, b = (np.float64(x) for x in ranked([lo + 1, lo + 2]))
    gamma = float(v - np.intp(lo))
    diff = b - a
    out = a + diff * gamma
    if gamma >= 0.5:
        out = b - diff * (1 - gamma)
    return float(out)


class StreamValues(Values):
    """Every request's latency in a group of leaves: ``kind`` ``lat`` (from the send) or ``int``
    (from the intended start, over requests that have one); failures +inf, unknown NaN."""

    def __init__(
        self,
        src: StreamSource,
        kind: str,
        member: Mask,
        *,
        extra_nan: int = 0,
        nan_as: float | None = None,
        drop_nan: bool = False,
    ) -> None:
        self.src, self.kind, self.member = src, kind, member
        self.extra_nan, self.nan_as_value, self.drop_nan = extra_nan, nan_as, drop_nan
        rows, ok, known = ("n", "ok", "lat") if kind == "lat" else ("ti", "ti_ok", "int")
        self._rows = src.total(rows, member)
        self._failed = self._rows - src.total(ok, member)
        self._known = src.total(known, member)
        self._unknown = src.total(ok, member) - self._known + extra_nan

    def _copy(self, **kw: Any) -> StreamValues:
        args: dict[str, Any] = {
            "extra_nan": self.extra_nan,
            "nan_as": self.nan_as_value,
            "drop_nan": self.drop_nan,
        }
        args.update(kw)
        return StreamValues(self.src, self.kind, self.member, **args)

    @property
    def size(self) -> int:
        return self._rows + self.extra_nan - (self._unknown if self.drop_nan else 0)

    @property
    def n_inf(self) -> int:
        inf = self.nan_as_value is not None and math.isinf(self.nan_as_value)
        return self._failed + (self._unknown if inf and not self.drop_nan else 0)

    @property
    def n_nan(self) -> int:
        return 0 if self.drop_nan or self.nan_as_value is not None else self._unknown

    def _zeros(self) -> int:
        """NaNs that stand as 0 ms."""
        if self.drop_nan or self.nan_as_value is None or math.isinf(self.nan_as_value):
            return 0
        return self._unknown

    def under(self, threshold: float, *, strict: bool) -> int:
        got = self.src.under(self.kind, threshold, strict, self.member)
        zero = self.nan_as_value if self.nan_as_value is not None else 0.0
        if self._zeros() and (zero < threshold if strict else zero <= threshold):
            got += self._zeros()
        return got

    def ranked(self, ranks: Sequence[int]) -> list[float]:
        zeros = self._zeros()
        if not zeros:
            return self.src.ranked(self.kind, self.member, ranks)
        # the zeros sit after the known values below 0 and before the others
        below = self.src.under(self.kind, 0.0, True, self.member) if self.kind == "int" else 0
        zero = float(self.nan_as_value or 0.0)
        known = [r if r <= below else r - zeros for r in ranks if not below < r <= below + zeros]
        got = iter(self.src.ranked(self.kind, self.member, known) if known else [])
        return [zero if below < r <= below + zeros else next(got) for r in ranks]

    def nan_as(self, value: float) -> StreamValues:
        return self._copy(nan_as=value)

    def known(self) -> StreamValues:
        return self._copy(drop_nan=True)

    def with_nan(self, count: int) -> StreamValues:
        return self._copy(extra_nan=self.extra_nan + count)

    def pooled(self, others: Sequence[Values]) -> StreamValues:
        member = self.member.copy()
        extra = self.extra_nan
        for o in others:
            assert isinstance(o, StreamValues) and o.kind == self.kind
            member |= o.member
            extra += o.extra_nan
        return StreamValues(
            self.src,
            self.kind,
            member,
            extra_nan=extra,
            nan_as=self.nan_as_value,
            drop_nan=self.drop_nan,
        )


class StreamRequests(Requests):
    """The requests of the leaves ``member`` of ``src`` (see the module docstring)."""

    def __init__(self, src: StreamSource, member: Mask) -> None:
        self.src, self.member = src, member

    @property
    def height(self) -> int:
        return self.src.total("n", self.member)

    @property
    def n_ok(self) -> int:
        return self.src.total("ok", self.member)

    def endpoints(self) -> list[str]:
        codes = np.unique(self.src.name_of[self.member & (self.src.counts["n"] > 0)])
        return sorted(self.src.labels[c] for c in codes.tolist())

    def endpoint(self, name: str) -> StreamRequests:
        code = self.src.reader.names.get(name, -1)
        return StreamRequests(self.src, self.member & (self.src.name_of == code))

    def held(self, cuts: Mapping[str, float | None]) -> StreamRequests:
        if any(rid not in self.src.held or self.src.held[rid] != c for rid, c in cuts.items()):
            # the source split its leaves by its cuts: other cuts are a programming error
            raise RuntimeError(f"held cuts {dict(cuts)} are not the streamed {self.src.held}")
        ramp = self.src.mask([self.src.run_index(rid) for rid in cuts])
        keep = ~ramp | ((self.src.seg_of & HELD) > 0)
        return StreamRequests(self.src, self.member & keep)

    def _runs(self, *keys: str) -> dict[str, tuple[int, ...]]:
        sums = [self.src.per_run(k, self.member) for k in keys]
        return {
            info.id: tuple(int(s[r]) for s in sums)
            for r, info in enumerate(self.src.infos)
            if sums[0][r] > 0
        }

    def run_counts(self) -> dict[str, tuple[int, int]]:
        return {rid: (v[0], v[1]) for rid, v in self._runs("n", "ok").items()}

    def class_counts(self, cls: RequestClass) -> dict[str, tuple[int, int, int]]:
        return {rid: (v[0], v[1], v[2]) for rid, v in self._runs("n", cls, f"{cls}_u").items()}

    def latencies(
        self, *, intended: bool = False, unread: Mapping[str, int] | None = None
    ) -> dict[str, Values]:
        kind = "int" if intended else "lat"
        out: dict[str, Values] = {}
        for r, info in enumerate(self.src.infos):
            member = self.member & (self.src.run_of == r)
            values = StreamValues(self.src, kind, member)
            if values.size:
                out[info.id] = values
        for rid, count in (unread or {}).items():
            none = StreamValues(self.src, kind, np.zeros_like(self.member))
            out[rid] = out.get(rid, none).with_nan(count)
        return out

    def has_intended(self) -> bool:
        return self.src.total("ti", self.member) > 0

    def share_counts(self, crit: Any, *, slo_target: float | None) -> tuple[int, int, int] | None:
        from pockit.analysis._sequential import share_test

        test = share_test(crit, slo_target=slo_target)
        if test is None:
            return None
        reqs = self.endpoint(crit.endpoint) if getattr(crit, "endpoint", None) else self
        n, ok = reqs.height, reqs.n_ok
        if test.kind == "ok":
            return n, ok, 0
        if test.kind == "failed":
            return n, n - ok, 0
        if test.kind in CLASS_METRICS.values():
            cls: RequestClass = test.kind  # type: ignore[assignment]
            return n, reqs.src.total(cls, reqs.member), reqs.src.total(f"{cls}_u", reqs.member)
        thr, strict = float(crit.threshold), test.strict_under
        if not crit.metric.endswith("_intended_ms"):
            values = StreamValues(self.src, "lat", reqs.member)
            return values.size, values.under(thr, strict=strict), values.n_nan
        # as analysis.share_counts: a negative latency from the intended start is unknown too
        values = StreamValues(self.src, "int", reqs.member)
        negative = self.src.under("int", 0.0, True, reqs.member)
        k = max(0, values.under(thr, strict=strict) - negative)
        return values.size, k, values.n_nan + negative

    def rows(
        self, run_id: str, start: datetime, end: datetime | None, *, align_s: float
    ) -> Iterator[pl.DataFrame]:
        yield from self.src.frames(run_id, start, end, align_s)

    def pre_fault_limit(self, info: RunInfo) -> float | None:
        if first_fault(info) is None:
            return None
        r = self.src.run_index(info.id)
        member = self.member & (self.src.run_of == r) & ((self.src.seg_of & PRE_FAULT) > 0)
        m = self.src.total("lat", member)
        if m < PRE_FAULT_MIN:
            return None
        ranked = lambda ranks: self.src.ranked("lat", member, ranks)  # noqa: E731
        return DEFAULT_HEALTHY_P95_FACTOR * linear_quantile(m, 0.95, ranked)
