"""The load-shape plugin: a Locust ``LoadTestShape`` driven by the spec's ``load.shape`` and ``idle_gaps``.

Passed to Locust with ``-f`` only when the run needs more than constant users, and configured by
the JSON in ``POCKIT_SHAPE`` (written by :mod:`pockit.load._run`)::

    {"kind": "constant|stages|spike|arrival_rate", "users": 10, "spawn_rate": 10,
     "duration_s": 60, "stages": [{"duration_s": 10, "users": 5, "spawn_rate": 5}],
     "spike_users": 50, "spike_at_s": 20, "spike_s": 5,
     "gaps": [{"at_s": 10, "pause_s": 5, "probe": 20}]}

Idle gaps drop to zero users for ``pause_s`` and write ``idle_gap_start`` / ``idle_gap_end`` to
events.jsonl, so analysis can measure the first ``probe`` requests after each gap (cold starts).
``stage`` events mark where each stage or the spike begins.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from locust import LoadTestShape

#: Spawn rate used to drop to zero users or to jump to a spike "at once".
_INSTANT = 1000.0


def plan_tick(conf: dict[str, Any], t: float) -> tuple[int, float, str] | None:
    """Users, spawn rate and phase label at ``t`` seconds into the run; None when the run is over.

    Pure, so it is tested without Locust.
    """
    if t >= float(conf["duration_s"]):
        return None
    for i, gap in enumerate(conf.get("gaps", [])):
        if gap["at_s"] <= t < gap["at_s"] + gap["pause_s"]:
            return 0, _INSTANT, f"gap{i}"
    users, rate = int(conf["users"]), float(conf["spawn_rate"])
    kind = conf["kind"]
    if kind == "stages" and conf.get("stages"):
        end = 0.0
        for i, stage in enumerate(conf["stages"]):
            end += float(stage["duration_s"])
            if t < end:
                s_users = stage.get("users")
                return (
                    int(s_users if s_users is not None else users),
                    float(stage.get("spawn_rate") or rate),
                    f"stage{i}",
                )
        last = conf["stages"][-1]
        return (
            int(last.get("users") or users),
            float(last.get("spawn_rate") or rate),
            f"stage{len(conf['stages']) - 1}",
        )
    if kind == "spike":
        at, length = float(conf["spike_at_s"]), float(conf["spike_s"])
        if at <= t < at + length:
            return int(conf["spike_users"]), max(rate, _INSTANT), "spike"
        return users, max(rate, _INSTANT) if t >= at else rate, "base" if t < at else "after_spike"
    return users, rate, "steady"


class PockitShape(LoadTestShape):  # type: ignore[misc]
    """Follow :func:`plan_tick` and record phase changes (stages, spike, idle gaps) as events."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.conf: dict[str, Any] = json.loads(os.environ.get("POCKIT_SHAPE") or "{}")
        self.phase: str | None = None

    def tick(self) -> tuple[int, float] | None:
        if not self.conf:
            return None
        planned = plan_tick(self.conf, self.get_run_time())  # type: ignore[no-untyped-call]
        if planned is None:
            return None
        users, rate, phase = planned
        if phase != self.phase:
            self._record(self.phase, phase, users)
            self.phase = phase
        return users, rate

    def _record(self, old: str | None, new: str, users: int) -> None:
        run_dir = os.environ.get("POCKIT_RUN_DIR")
        if not run_dir:
            return
        from pockit._rundir import RunDir

        run = RunDir(Path(run_dir))
        if old is not None and old.startswith("gap"):
            gap = self.conf["gaps"][int(old[3:])]
            run.add_event(
                "idle_gap_end", gap=int(old[3:]), pause_s=gap["pause_s"], probe=gap.get("probe", 20)
            )
        if new.startswith("gap"):
            gap = self.conf["gaps"][int(new[3:])]
            run.add_event(
                "idle_gap_start",
                gap=int(new[3:]),
                pause_s=gap["pause_s"],
                probe=gap.get("probe", 20),
            )
        else:
            run.add_event(
                "phase",
                phase=new,
                users=users,
                offset_s=round(time.perf_counter() - self.start_time, 3),
            )
