"""Open-model pacing for the capture plugin: arrivals at fixed intended times (``POCKIT_ARRIVAL``)."""

from __future__ import annotations

import time
from typing import Any

import gevent

_NAN = float("nan")


class Pacer:
    """Open-model pacing (as wrk2 does): arrivals at fixed intended times, whatever the latency.

    Each task execution claims the next slot of a per-process schedule and sleeps until it; a user
    that is late claims a slot in the past and goes at once, so queueing delay shows up as
    ``t_start - t_intended`` instead of vanishing (coordinated omission). Follow-up requests of the
    same arrival keep its lag: their intended time is their send time minus that lag.
    """

    def __init__(
        self, segments: list[tuple[float, float]], gaps: list[tuple[float, float]], share: float
    ) -> None:
        self.segments = segments  # (end offset s, total rate req/s), in order
        self.gaps = gaps
        self.share = share
        self.t0: float | None = None
        self.next_slot: float | None = None
        self.current: dict[Any, list[float]] = {}

    def rate_at(self, offset: float) -> float:
        for end, rate in self.segments:
            if offset < end:
                return rate * self.share
        return self.segments[-1][1] * self.share if self.segments else 0.0

    def delay(self) -> float:
        now = time.time()
        if self.t0 is None or self.next_slot is None:
            self.t0 = self.next_slot = now
        slot = self.next_slot
        for at, pause in self.gaps:  # no arrivals are owed for a planned pause
            if self.t0 + at <= slot < self.t0 + at + pause:
                slot = self.t0 + at + pause
        rate = self.rate_at(slot - self.t0)
        self.next_slot = slot + (1.0 / rate if rate > 0 else 1.0)
        self.current[gevent.getcurrent()] = [slot, _NAN]
        return max(0.0, slot - now)

    def intended(self, start: float) -> float:
        state = self.current.get(gevent.getcurrent())
        if state is None:  # before the first paced arrival (on_start requests): on time
            return start
        slot, lag = state
        if lag != lag:  # NaN: the arrival's first request
            state[1] = start - slot
            return slot
        return start - lag


def install_pacer(environment: Any, pacer: Pacer) -> None:
    """Replace each user class's wait_time with the schedule, and pace the first task too."""
    for cls in environment.user_classes:

        def paced(self: Any) -> float:
            return pacer.delay()

        cls.wait_time = paced
        original = cls.on_start

        def on_start(self: Any, _original: Any = original) -> None:
            _original(self)
            gevent.sleep(pacer.delay())

        cls.on_start = on_start
