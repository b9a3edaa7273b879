"""A candidate's requests as the questions criteria ask of them, in memory or streamed.

Every criterion is judged on a handful of figures of the requests: counts per run (all, successful,
of a request class), every latency as :class:`~pockit.analysis._values.Values`, a share test's
counts, the rows of a run inside a time window (time to detect, recovery, cold start) and the
pre-fault latency limit. :class:`Requests` is those questions. :class:`FrameRequests` answers them
from one polars frame of every sample (what ``load_samples`` gives); the streaming path
(:mod:`pockit.analysis._stream_requests`) from counts and histograms gathered in passes over the
Parquet files, for runs too large to hold (``decide(..., stream=True)``). One judging code reads
either, so both give the same outcomes, estimates and bounds.

Runs come in the order the samples hold them (the order the runs were given), so figures that
depend on it (a t interval over per-run values) are the same on both paths.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pockit._contract import EventKind, events_of, parse_iso
from pockit.analysis._values import ArrayValues, Values

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from pockit.analysis._classes import RequestClass
    from pockit.analysis._samples import RunInfo

#: Without a latency criterion, a healthy bucket's P95 is within this factor of the pre-fault P95.
DEFAULT_HEALTHY_P95_FACTOR = 1.5
#: Fewer successful requests than this before the first fault and there is no pre-fault P95.
PRE_FAULT_MIN = 20


def first_fault(info: RunInfo) -> datetime | None:
    """When the run's first ``fault_start`` event happened (None without one)."""
    starts = events_of(info.events, EventKind.FAULT_START)
    return parse_iso(str(starts[0]["ts"])) if starts else None


class Requests(ABC):
    """The requests a criterion is judged on (see the module docstring)."""

    @property
    @abstractmethod
    def height(self) -> int:
        """How many requests."""

    @property
    @abstractmethod
    def n_ok(self) -> int:
        """How many of them succeeded."""

    @abstractmethod
    def endpoints(self) -> list[str]:
        """The request names present, sorted."""

    @abstractmethod
    def endpoint(self, name: str) -> Requests:
        """The requests named ``name``."""

    @abstractmethod
    def held(self, cuts: Mapping[str, float | None]) -> Requests:
        """Requests of the runs in ``cuts`` offered (``t_intended``, else ``t_start``) before
        their cut (epoch seconds; None keeps none of that run), every request of other runs."""

    @abstractmethod
    def run_counts(self) -> dict[str, tuple[int, int]]:
        """Run id -> (requests, successful ones), for the runs with any request."""

    @abstractmethod
    def class_counts(self, cls: RequestClass) -> dict[str, tuple[int, int, int]]:
        """Run id -> (requests, of class ``cls``, of unknown membership: status not recorded)."""

    @abstractmethod
    def latencies(
        self, *, intended: bool = False, unread: Mapping[str, int] | None = None
    ) -> dict[str, Values]:
        """Per run with any request, every request's latency: +inf for a failed one, NaN for a
        successful one whose latency is unknown. ``intended``: from the intended start, over the
        requests that have one. ``unread`` adds that many NaNs to a run (rows nobody could read)."""

    @abstractmethod
    def has_intended(self) -> bool:
        """Whether any request has an intended start (``t_intended``)."""

    @abstractmethod
    def share_counts(self, crit: Any, *, slo_target: float | None) -> tuple[int, int, int] | None:
        """``(n, k, unknown)`` of ``crit``'s share test (:func:`pockit.analysis.share_counts`)."""

    @abstractmethod
    def rows(
        self, run_id: str, start: datetime, end: datetime | None, *, align_s: float
    ) -> Iterator[pl.DataFrame]:
        """The run's requests that started in ``[start, end)`` (``end`` None: to the run's end),
        as frames in time order, each holding whole ``align_s`` buckets counted from ``start``."""

    @abstractmethod
    def pre_fault_limit(self, info: RunInfo) -> float | None:
        """:data:`DEFAULT_HEALTHY_P95_FACTOR` x the P95 (linear interpolation) of the run's
        successful requests with a known latency before its first fault (None: no fault, or
        fewer than :data:`PRE_FAULT_MIN` such requests)."""

    def ok_latencies(self, *, intended: bool) -> np.ndarray | None:
        """Every successful request's known latency (None when they are not held in memory)."""
        return None


class FrameRequests(Requests):
    """:class:`Requests` of one polars frame of clean samples (``Samples.frame``)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    @property
    def height(self) -> int:
        return self.frame.height

    @property
    def n_ok(self) -> int:
        return int(self.frame["ok"].sum()) if self.frame.height else 0

    def endpoints(self) -> list[str]:
        import polars as pl

        if not self.frame.height:
            return []
        return sorted(self.frame["name"].cast(pl.String).unique().to_list())

    def endpoint(self, name: str) -> FrameRequests:
        import polars as pl

        return FrameRequests(self.frame.filter(pl.col("name") == name))

    def held(self, cuts: Mapping[str, float | None]) -> FrameRequests:
        import polars as pl

        when = pl.coalesce(pl.col("t_intended"), pl.col("t_start")).dt.epoch("ns") / 1e9
        run_id = pl.col("run_id").cast(pl.String)
        keep = ~run_id.is_in(list(cuts))  # runs that were no ramp: every request, as always
        for rid, cut in cuts.items():
            if cut is not None:
                keep = keep | ((run_id == rid) & (when < cut))
        return FrameRequests(self.frame.filter(keep))

    def _by_run(self, *aggs: pl.Expr) -> list[tuple[Any, ...]]:
        import polars as pl

        per = self.frame.group_by(pl.col("run_id").cast(pl.String), maintain_order=True).agg(
            pl.len().alias("n"), *aggs
        )
        return list(per.iter_rows())

    def run_counts(self) -> dict[str, tuple[int, int]]:
        import polars as pl

        rows = self._by_run(pl.col("ok").sum().alias("k"))
        return {str(r): (int(n), int(k)) for r, n, k in rows}

    def class_counts(self, cls: RequestClass) -> dict[str, tuple[int, int, int]]:
        from pockit.analysis._classes import class_expr, unknown_expr

        rows = self._by_run(
            class_expr(cls).fill_null(False).sum().alias("k"), unknown_expr(cls).sum().alias("u")
        )
        return {str(r): (int(n), int(k), int(u)) for r, n, k, u in rows}

    def latencies(
        self, *, intended: bool = False, unread: Mapping[str, int] | None = None
    ) -> dict[str, Values]:
        import polars as pl

        from pockit.analysis._stats import intended_latency_expr

        frame, column = self.frame, pl.col("latency_ms")
        if intended:
            frame, column = (
                frame.filter(pl.col("t_intended").is_not_null()),
                intended_latency_expr(),
            )
        out: dict[str, Values] = {}
        values = pl.when(pl.col("ok")).then(column).otherwise(math.inf).cast(pl.Float64)
        for (rid,), part in frame.group_by(["run_id"], maintain_order=True):
            out[str(rid)] = ArrayValues(part.select(values).to_series().to_numpy())
        for rid, count in (unread or {}).items():
            import numpy as np

            out[rid] = out.get(rid, ArrayValues(np.empty(0))).with_nan(count)
        return out

    def has_intended(self) -> bool:
        return self.frame["t_intended"].null_count() != self.frame.height

    def share_counts(self, crit: Any, *, slo_target: float | None) -> tuple[int, int, int] | None:
        from pockit.analysis._sequential import share_counts

        return share_counts(self.frame, [crit], slo_target=slo_target)[0]

    def rows(
        self, run_id: str, start: datetime, end: datetime | None, *, align_s: float
    ) -> Iterator[pl.DataFrame]:
        import polars as pl

        keep = (pl.col("run_id") == run_id) & (pl.col("t_start") >= start)
        if end is not None:
            keep = keep & (pl.col("t_start") < end)
        yield self.frame.filter(keep)

    def pre_fault_limit(self, info: RunInfo) -> float | None:
        import numpy as np
        import polars as pl

        first = first_fault(info)
        if first is None:
            return None
        known = pl.col("ok") & pl.col("latency_ms").is_not_null()
        pre = self.frame.filter((pl.col("run_id") == info.id) & known & (pl.col("t_start") < first))
        if pre.height < PRE_FAULT_MIN:
            return None
        return DEFAULT_HEALTHY_P95_FACTOR * float(np.quantile(pre["latency_ms"].to_numpy(), 0.95))

    def ok_latencies(self, *, intended: bool) -> np.ndarray | None:
        import polars as pl

        from pockit.analysis._stats import intended_latency

        ok = self.frame.filter(pl.col("ok") & pl.col("latency_ms").is_not_null())
        return (intended_latency(ok) if intended else ok["latency_ms"]).to_numpy()


def as_requests(frame: pl.DataFrame | Requests) -> Requests:
    """``frame`` as :class:`Requests` (a frame of clean samples is wrapped)."""
    return frame if isinstance(frame, Requests) else FrameRequests(frame)
