"""The supervisor's one question, "should the run stop now, and why?", as types every watcher shares.

Each poll the supervisor hands every :class:`Watcher` a :class:`Tick` (its clock, the plugin's
progress snapshot, the measured rate); the first that returns a :class:`Stop` ends the run with that
stop code and reason. :class:`Outcome` is how the run ended, which the post-run checks write into
run.json. The watchers themselves are in :mod:`pockit.load._watchers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pockit._contract import RunStatus, StopCode


@dataclass(frozen=True)
class Tick:
    """One poll of the supervisor's loop."""

    #: the supervisor's monotonic clock (seconds)
    now: float
    #: the capture plugin's latest progress snapshot; None before its first
    snapshot: dict[str, Any] | None
    #: the request rate the progress display measured (req/s)
    rps: float


@dataclass(frozen=True)
class Stop:
    """A watcher's answer: stop the run, with this ``stop_code``, ``stop_reason`` and status."""

    code: StopCode
    reason: str
    status: RunStatus = RunStatus.ABORTED


class Watcher:
    """Polled by the supervisor while Locust runs; answers "should we stop, and why?"."""

    def poll(self, tick: Tick) -> Stop | None:
        """None to go on, or why to stop now (the watcher records its own events)."""
        raise NotImplementedError

    def finish(self) -> Stop | None:
        """The load ended by itself (no watcher stopped it): a last look, and why it ended when a
        watcher asked the load to end itself (the capacity ramp does). None by default."""
        return None


@dataclass
class Outcome:
    """How a run ended, before the post-run checks add what they find."""

    status: RunStatus = RunStatus.COMPLETED
    reason: str = "duration reached"
    code: StopCode = StopCode.DURATION_REACHED
    exit_code: int | None = None
    workers_lost: list[dict[str, Any]] = field(default_factory=list)
    interrupt: BaseException | None = None

    def stopped(self, stop: Stop) -> None:
        """A watcher stopped the run."""
        self.status, self.code, self.reason = stop.status, stop.code, stop.reason

    def interrupted(self, exc: BaseException) -> None:
        """Ctrl-C (a KeyboardInterrupt) or SIGTERM (anything else) stopped the run."""
        sigint = isinstance(exc, KeyboardInterrupt)
        self.status = RunStatus.ABORTED
        self.reason = "interrupted (SIGINT)" if sigint else "terminated (SIGTERM)"
        self.code = StopCode.INTERRUPTED if sigint else StopCode.TERMINATED
        self.interrupt = exc
