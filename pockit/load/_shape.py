"""The load-shape plugin: a Locust ``LoadTestShape`` driven by the spec's ``load.shape`` and ``idle_gaps``.

Passed to Locust with ``-f`` only when the run needs more than constant users, and configured by
the JSON in ``POCKIT_SHAPE`` (see :mod:`pockit.load._protocol`)::

    {"kind": "constant|stages|spike|arrival_rate", "users": 10, "spawn_rate": 10,
     "duration_s": 60, "stages": [{"duration_s": 10, "users": 5, "spawn_rate": 5}],
     "spike_users": 50, "spike_at_s": 20, "spike_s": 5,
     "gaps": [{"at_s": 10, "pause_s": 5, "probe": 20}]}

Idle gaps drop to zero users for ``pause_s`` and write ``idle_gap_start`` / ``idle_gap_end`` to
events.jsonl, so analysis can measure the first ``probe`` requests after each gap (cold starts).
``stage`` events mark where each stage or the spike begins.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from locust import LoadTestShape

from pockit._contract import DEFAULT_COLD_PROBE, EventKind
from pockit._errors import InputError
from pockit.load import _protocol as protocol
from pockit.load._shape_plan import capacity_found, plan_tick


class PockitShape(LoadTestShape):  # type: ignore[misc]
    """Follow :func:`plan_tick` and record phase changes (stages, spike, idle gaps) as events."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.conf: dict[str, Any] = protocol.shape()
        self.phase: str | None = None

    def tick(self) -> tuple[int, float] | None:
        if not self.conf:
            return None
        if self.conf["kind"] == "capacity" and self._knee_found():
            return None  # the ramp found its knee: end the load, Locust stops by itself
        planned = plan_tick(self.conf, self.get_run_time())  # type: ignore[no-untyped-call]
        if planned is None:
            return None
        users, rate, phase = planned
        if phase != self.phase:
            self._record(self.phase, phase, users)
            self.phase = phase
        return users, rate

    def _knee_found(self) -> bool:
        run_dir = protocol.run_dir()
        if not run_dir:
            return False
        from pockit._rundir import RunDir

        try:
            return capacity_found(RunDir(Path(run_dir)).meta)
        except (OSError, InputError):  # run.json unreadable for a moment: look at the next tick
            return False

    def _record(self, old: str | None, new: str, users: int) -> None:
        run_dir = protocol.run_dir()
        if not run_dir:
            return
        from pockit._rundir import RunDir

        run = RunDir(Path(run_dir))
        if old is not None and old.startswith("gap"):
            gap = self.conf["gaps"][int(old[3:])]
            run.add_event(
                EventKind.IDLE_GAP_END,
                gap=int(old[3:]),
                pause_s=gap["pause_s"],
                probe=gap.get("probe", DEFAULT_COLD_PROBE),
            )
        if new.startswith("gap"):
            gap = self.conf["gaps"][int(new[3:])]
            run.add_event(
                EventKind.IDLE_GAP_START,
                gap=int(new[3:]),
                pause_s=gap["pause_s"],
                probe=gap.get("probe", DEFAULT_COLD_PROBE),
            )
        else:
            run.add_event(
                EventKind.PHASE,
                phase=new,
                users=users,
                offset_s=round(time.perf_counter() - self.start_time, 3),
            )
