"""The requests of some runs, per candidate, held in memory or streamed (what ``decide`` judges).

:func:`open_requests` reads the runs one way or the other: in memory (one frame of every sample,
:func:`pockit.analysis.load_samples`) below :data:`pockit.analysis._run_stats.STREAM_ROWS`
samples, streamed above (:mod:`pockit.analysis._stream_source`), as ``run_stats`` does. Either
way a :class:`RequestSet` gives each candidate's :class:`~pockit.analysis._requests.Requests`,
each run's load seconds and the unusable-latency counts, so the decision reads both alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING

from pockit.analysis._requests import FrameRequests, Requests
from pockit.analysis._samples import RunInfo, RunLike, Samples, as_runs, load_samples, run_info
from pockit.analysis._stats import load_seconds

if TYPE_CHECKING:
    from pockit.analysis._stream_source import StreamSource

#: Per run id, the epoch second before which a capacity run's requests count (None: none do).
HeldCuts = Callable[[Sequence[RunInfo]], Mapping[str, float | None] | None]


class RequestSet:
    """Runs' requests: ``samples`` in memory, or a streaming ``source`` (exactly one)."""

    def __init__(
        self,
        runs: list[RunInfo],
        *,
        samples: Samples | None = None,
        source: StreamSource | None = None,
    ) -> None:
        self.runs = runs
        self.samples = samples
        self.source = source
        self._view = samples if samples is not None else source.samples_view() if source else None

    @property
    def streamed(self) -> bool:
        """Whether the runs are read in passes (too large to hold)."""
        return self.source is not None

    @property
    def warnings(self) -> list[str]:
        """What the unusable latencies say (:attr:`Samples.warnings`)."""
        return self._view.warnings if self._view is not None else []

    def latency_skipped(self, run_ids: Iterable[str] | None = None) -> dict[str, int]:
        """Successful requests with an unusable latency, by reason (:meth:`Samples.latency_skipped`)."""
        return self._view.latency_skipped(run_ids) if self._view is not None else {}

    def candidate(self, name: str) -> Requests:
        """The requests of ``name``'s runs."""
        if self.source is not None:
            from pockit.analysis._stream_requests import StreamRequests

            runs = [r for r, i in enumerate(self.runs) if i.candidate == name]
            return StreamRequests(self.source, self.source.mask(runs))
        assert self.samples is not None
        import polars as pl

        frame = self.samples.frame
        if len({i.candidate for i in self.runs}) > 1:
            frame = frame.filter(pl.col("candidate") == name)
        return FrameRequests(frame)

    def load_seconds(self, info: RunInfo) -> tuple[float, bool]:
        """What the run's throughput divides by, and whether it is its measured load window."""
        if self.source is None:
            assert self.samples is not None
            return load_seconds(info, self.samples.frame)
        from pockit.analysis._stream import stream_duration_s

        seconds, windowed = load_seconds(info)
        if not windowed:
            seconds = stream_duration_s(info, self.source.span.get(info.id))
        return seconds, windowed

    @contextmanager
    def collecting(self) -> Iterator[None]:
        """Streamed: note what the criteria ask within (see ``StreamSource.collect``)."""
        with self.source.collect() if self.source is not None else nullcontext():
            yield

    def resolve(self) -> None:
        """Streamed: answer what was noted, in as few passes as it can."""
        if self.source is not None:
            self.source.resolve()


def open_requests(
    runs: RunLike | Iterable[RunLike] | Samples,
    *,
    stream: bool | None = None,
    held: HeldCuts | None = None,
) -> RequestSet:
    """The runs' requests, in memory or streamed: ``stream`` None decides by size (as
    ``run_stats`` does), True / False forces it. ``held`` gives the capacity runs' cuts when a
    criterion names a ramp's knee (the streaming path splits its counts by them)."""
    if isinstance(runs, Samples):
        return RequestSet(runs.runs, samples=runs)
    from pockit.analysis._run_stats import streams

    rundirs = as_runs(runs)
    if not streams(rundirs, stream):
        samples = load_samples(rundirs)
        return RequestSet(samples.runs, samples=samples)
    from pockit.analysis._stream_source import StreamSource

    infos = [run_info(r) for r in rundirs]
    cuts = held(infos) if held is not None else None
    return RequestSet(infos, source=StreamSource(rundirs, infos, held=cuts))
