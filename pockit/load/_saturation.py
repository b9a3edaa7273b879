"""The CPU-saturation watcher: a load generator that is CPU-bound measures its own queueing.

Never stops a run; it records a ``load_generator_saturated`` event (once per process), and the
post-run checks add it to ``stop_reason`` and run.json's ``load_generator_saturated``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from pockit._contract import EventKind
from pockit._rundir import RunDir
from pockit.load._watch import Stop, Tick, Watcher

#: A load process above this CPU share for SATURATED_SECONDS of any SATURATED_SECONDS + 1 is saturated.
SATURATED_CPU_PERCENT = 90.0
SATURATED_SECONDS = 3


class CpuSaturation(Watcher):
    """Notices a load process that is CPU-bound: its latencies then include client-side queueing.

    Sampled once a second from this (the parent) process. The measure is CPU *demand*: the share of
    wall time the process's main thread (Locust's event loop) was running or waiting in the run
    queue for a CPU, from Linux's ``/proc/PID/schedstat``. Unlike CPU usage it stays near 100% for
    a busy generator on a shared machine, where the process gets less than a core but wants all of
    it. SATURATED_SECONDS of any SATURATED_SECONDS + 1 at or above SATURATED_CPU_PERCENT record a
    ``load_generator_saturated`` event, once per process. Elsewhere psutil's CPU usage stands in.
    (Locust's own ``cpu_warning``, which the capture plugin also records, checks only every 10 s.)
    """

    def __init__(self, procs: list[tuple[str, subprocess.Popen[bytes]]], run: RunDir) -> None:
        self.run = run
        self.next = 0.0
        self.hot: dict[str, int] = {}
        self.recent: dict[str, list[bool]] = {}
        self.done: set[str] = set()
        self.pids = {name: proc.pid for name, proc in procs}
        self.last: dict[str, tuple[float, float, float]] = {}  # name -> (wall, run_s, wait_s)
        self.fallback: dict[str, Any] = {}

    @staticmethod
    def _schedstat(pid: int) -> tuple[float, float] | None:
        try:
            fields = Path(f"/proc/{pid}/schedstat").read_text().split()
            return int(fields[0]) / 1e9, int(fields[1]) / 1e9
        except (OSError, ValueError, IndexError):
            return None

    def _demand(self, name: str, pid: int, now: float) -> tuple[float, float] | None:
        """(demand %, usage %) since the previous sample, or None on the first one."""
        stat = self._schedstat(pid)
        if stat is None:
            import psutil

            try:
                proc = self.fallback.setdefault(name, psutil.Process(pid))
                usage = float(proc.cpu_percent(None))
            except psutil.Error:
                return None
            return usage, usage
        prev = self.last.get(name)
        self.last[name] = (now, *stat)
        if prev is None or now <= prev[0]:
            return None
        wall = now - prev[0]
        ran, waited = stat[0] - prev[1], stat[1] - prev[2]
        return 100.0 * (ran + waited) / wall, 100.0 * ran / wall

    def poll(self, tick: Tick) -> Stop | None:
        self._sample(tick.now)
        return None

    def _sample(self, now: float) -> None:
        if now < self.next:
            return
        self.next = now + 1.0
        for name, pid in self.pids.items():
            if name in self.done:
                continue
            sample = self._demand(name, pid, now)
            if sample is None:
                continue
            demand, usage = sample
            # SATURATED_SECONDS hot samples among the last SATURATED_SECONDS + 1: one second
            # below the line (the main thread waiting on the GIL for the capture's writer thread
            # counts as sleeping) must not hide a generator that is busy all the same
            recent = (self.recent.get(name, []) + [demand >= SATURATED_CPU_PERCENT])[
                -(SATURATED_SECONDS + 1) :
            ]
            self.recent[name] = recent
            self.hot[name] = sum(recent)
            if self.hot[name] >= SATURATED_SECONDS:
                self.done.add(name)
                self.run.add_event(
                    EventKind.LOAD_GENERATOR_SATURATED,
                    process=name,
                    cpu_demand_percent=round(min(demand, 100.0), 1),
                    cpu_percent=round(usage, 1),
                )
