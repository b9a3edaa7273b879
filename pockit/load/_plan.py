"""The plan of a candidate's runs: the spec's load profile after command-line overrides, checked
against the guardrail caps before anything starts (:func:`make_plan`)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from pockit._errors import GuardrailError, UsageError
from pockit.load._capacity import CapacityRule
from pockit.load._guardrails import check_caps
from pockit.load._stop_when import StopWhenRule
from pockit.spec import Spec


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What one candidate's runs will do, after command-line overrides and guardrails."""

    users: int
    spawn_rate: float
    duration_s: float
    repeats: int
    cooldown_s: float
    workers: int
    shape: dict[str, Any] | None = None
    arrival: dict[str, Any] | None = None
    peak_users: int = 0
    peak_rate: float | None = None
    user_classes: tuple[str, ...] = ()
    remote_workers: int = 0
    master_bind: str = "127.0.0.1"
    master_port: int | None = None
    #: ``load.stop_when: decided``: each run gets a watcher that stops it once it is decided
    stop_when: StopWhenRule | None = None
    #: ``load.shape.kind: capacity``: each run gets a watcher that judges each step as it ends
    capacity: CapacityRule | None = None

    def profile(self) -> dict[str, Any]:
        """The load profile as run.json records it."""
        return {
            "users": self.users,
            "spawn_rate": self.spawn_rate,
            "duration_s": self.duration_s,
            "shape": (self.shape or {}).get("kind", "constant"),
            "shape_config": self.shape,
            "arrival_rate": self.arrival,
            "peak_users": self.peak_users,
            "peak_rate": self.peak_rate,
            "user_classes": list(self.user_classes),
        }


def make_plan(
    spec: Spec,
    *,
    repeats: int | None = None,
    duration_s: float | None = None,
    users: int | None = None,
    workers: int | None = None,
    remote_workers: int = 0,
    master_bind: str = "127.0.0.1",
    master_port: int | None = None,
) -> Plan:
    """Apply overrides to the spec's load profile and check the guardrail caps (GuardrailError)."""
    load = spec.runnable_load()  # SpecError when the spec has no load section or locustfile
    shape = load.shape
    n_users = load.users if users is None else users
    duration = load.duration_s if duration_s is None else duration_s
    if n_users < 1 and shape.kind == "constant":
        raise UsageError(f"users must be at least 1, got {n_users}")
    if not math.isfinite(duration) or duration <= 0:  # NaN passes `<= 0` and every cap's `>`
        raise UsageError(f"duration must be a finite number of seconds > 0, got {duration:g}")
    bad_classes = [c for c in load.user_classes if not c.isidentifier()]
    if (
        bad_classes
    ):  # they go on Locust's argv: a spec built without validation must not add options
        raise UsageError(f"load.user_classes must be Python identifiers, got {bad_classes!r}")
    n_workers = load.workers if workers is None else workers
    if n_workers < 0:
        n_workers = os.cpu_count() or 1
    cap = spec.guardrails.worker_cap()
    if n_workers > cap:  # each is a process on this machine: 100000 would start 100000
        why = "" if spec.guardrails.max_workers is not None else ": 4 × this machine's CPUs"
        raise GuardrailError(
            f"{n_workers} local workers exceeds guardrails.max_workers ({cap}{why}); "
            "lower load.workers / --workers or raise the cap in the spec"
        )
    stages = [
        {"duration_s": s.duration_s, "users": s.users, "spawn_rate": s.spawn_rate, "rate": s.rate}
        for s in shape.stages
    ]
    peak_users = max([n_users, shape.spike_users or 0, *[s.users or 0 for s in shape.stages]])
    arrival: dict[str, Any] | None = None
    peak_rate: float | None = None
    steps = shape.capacity_steps()
    if shape.kind == "capacity" and duration_s is not None:
        raise UsageError(
            "a capacity ramp lasts its steps (load.shape step_duration × steps); --duration "
            "would cut it: change the ramp in the spec instead"
        )
    if shape.kind == "capacity":
        duration = len(steps) * float(shape.step_duration_s or 0.0)  # the ramp, whatever --duration
        stages = [{"duration_s": shape.step_duration_s, "users": None, "spawn_rate": None,
                   "rate": r} for r in steps]  # fmt: skip
        segments = [[(i + 1) * float(shape.step_duration_s or 0.0), r] for i, r in enumerate(steps)]
        peak_rate = max(steps)
        arrival = {"segments": segments, "gaps": [[g.at_s, g.pause_s] for g in load.idle_gaps]}
    elif shape.kind == "arrival_rate":
        if shape.stages and any(s.rate for s in shape.stages):
            end, segments = 0.0, []
            for s in shape.stages:
                end += s.duration_s
                segments.append([end, float(s.rate or shape.rate or 0.0)])
        else:
            segments = [[duration, float(shape.rate or 0.0)]]
        peak_rate = max(r for _, r in segments)
        arrival = {"segments": segments, "gaps": [[g.at_s, g.pause_s] for g in load.idle_gaps]}
    conf: dict[str, Any] | None = None
    if shape.kind != "constant" or load.idle_gaps:
        conf = {
            "kind": shape.kind,
            "users": peak_users if shape.kind in ("arrival_rate", "capacity") else n_users,
            "spawn_rate": load.spawn_rate,
            "duration_s": duration,
            "stages": stages if shape.kind in ("stages", "capacity") else [],
            "spike_users": shape.spike_users,
            "spike_at_s": shape.spike_at_s,
            "spike_s": shape.spike_s,
            "gaps": [
                {"at_s": g.at_s, "pause_s": g.pause_s, "probe": g.probe} for g in load.idle_gaps
            ],
        }
    check_caps(spec.guardrails, users=peak_users, duration_s=duration, rate=peak_rate)
    return Plan(
        users=n_users,
        spawn_rate=load.spawn_rate,
        duration_s=duration,
        repeats=max(1, load.repeats if repeats is None else repeats),
        cooldown_s=load.cooldown_s,
        workers=n_workers,
        shape=conf,
        arrival=arrival,
        peak_users=peak_users,
        peak_rate=peak_rate,
        user_classes=load.user_classes,
        remote_workers=remote_workers,
        master_bind=master_bind,
        master_port=master_port,
        stop_when=StopWhenRule.from_spec(spec),
        capacity=CapacityRule.from_spec(spec),
    )
