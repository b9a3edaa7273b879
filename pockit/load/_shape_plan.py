"""Where a load shape is at a given second: pure, so it is tested without Locust (see ``_shape.py``)."""

from __future__ import annotations

from typing import Any

from pockit._contract import CapacityKey, RunField

#: Spawn rate used to drop to zero users or to jump to a spike "at once".
_INSTANT = 1000.0


def capacity_found(meta: dict[str, Any]) -> bool:
    """Whether run.json says the capacity ramp found its knee: the shape then ends the load, so
    Locust stops by itself (a LoadTestShape run dies on SIGTERM without flushing its last batches)."""
    record = meta.get(RunField.CAPACITY)
    return isinstance(record, dict) and record.get(CapacityKey.FIRST_FAIL) is not None


def plan_tick(conf: dict[str, Any], t: float) -> tuple[int, float, str] | None:
    """Users, spawn rate and phase label at ``t`` seconds into the run; None when the run is over."""
    if t >= float(conf["duration_s"]):
        return None
    for i, gap in enumerate(conf.get("gaps", [])):
        if gap["at_s"] <= t < gap["at_s"] + gap["pause_s"]:
            return 0, _INSTANT, f"gap{i}"
    users, rate = int(conf["users"]), float(conf["spawn_rate"])
    kind = conf["kind"]
    if kind in ("stages", "capacity") and conf.get("stages"):
        label = "step" if kind == "capacity" else "stage"
        end = 0.0
        for i, stage in enumerate(conf["stages"]):
            end += float(stage["duration_s"])
            if t < end:
                s_users = stage.get("users")
                return (
                    int(s_users if s_users is not None else users),
                    float(stage.get("spawn_rate") or rate),
                    f"{label}{i}",
                )
        last = conf["stages"][-1]
        return (
            int(last.get("users") or users),
            float(last.get("spawn_rate") or rate),
            f"{label}{len(conf['stages']) - 1}",
        )
    if kind == "spike":
        at, length = float(conf["spike_at_s"]), float(conf["spike_s"])
        if at <= t < at + length:
            return int(conf["spike_users"]), max(rate, _INSTANT), "spike"
        return users, max(rate, _INSTANT) if t >= at else rate, "base" if t < at else "after_spike"
    return users, rate, "steady"
