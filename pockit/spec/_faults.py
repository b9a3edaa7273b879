"""The ``faults`` section, and faults or idle gaps that would start after the run has ended."""

from typing import Any, cast

from pockit.spec._convert import _choice, _number, _prose_list, _text
from pockit.spec._durations import parse_duration
from pockit.spec._keys import FAULT_KEYS
from pockit.spec._model import Fault, Load
from pockit.spec._reader import _Reader


def _build_faults(r: _Reader, top: dict[str, Any], candidates: set[str]) -> list[Fault]:
    out: list[Fault] = []
    for field, item in r.items(top.get("faults"), "faults"):
        f = r.mapping(item, field, FAULT_KEYS)
        kind = r.get(
            f,
            field,
            "kind",
            _choice("latency", "error_rate", "kill", "command"),
            "latency",
            required=True,
        )
        command = r.get(f, field, "command", _prose_list, tuple[str, ...]())
        if kind == "command" and not command:
            r.error(
                f"{field}.command",
                "kind 'command' needs command: an argument list such as [systemctl, restart, app]",
            )
        restart = r.get(f, field, "restart", _prose_list, tuple[str, ...]())
        if restart and kind != "kill":
            r.error(
                f"{field}.restart",
                f"restart is for kind 'kill' (the command that brings the service back), not {kind!r}",
            )
        if command and kind not in ("kill", "command"):
            r.error(
                f"{field}.command",
                f"command is for kind 'command' or 'kill' (how to kill), not {kind!r}",
            )
        if kind in ("latency", "error_rate") and "value" not in f:
            r.error(
                f"{field}.value",
                f"kind {kind!r} needs value ({'milliseconds added' if kind == 'latency' else 'fraction of requests failing'})",
            )
        value = r.get(f, field, "value", _number, None)
        if value is not None and kind == "latency" and value < 0:
            r.error(f"{field}.value", f"added latency is milliseconds >= 0, got {value:g}")
        if value is not None and kind == "error_rate" and not 0 <= value <= 1:
            r.error(f"{field}.value", f"an error rate is a fraction from 0 to 1, got {value:g}")
        cand = r.get(f, field, "candidate", _text, None)
        if cand and candidates and cand not in candidates:
            r.error(
                f"{field}.candidate",
                f"no candidate {cand!r}; candidates: {', '.join(sorted(candidates))}",
            )
        out.append(
            Fault(
                kind=cast(Any, kind),
                at_s=r.get(f, field, "at", parse_duration, 0.0, required=True),
                duration_s=r.get(f, field, "duration", parse_duration, 0.0),
                value=value,
                command=command,
                restart=restart,
                candidate=cand,
            )
        )
    return out


def _check_offsets(r: _Reader, load: Load, faults: list[Fault]) -> None:
    """A fault or idle gap that starts after the run has ended would silently never happen."""
    for i, fault in enumerate(faults):
        if fault.at_s >= load.duration_s:
            r.error(
                f"faults[{i}].at",
                f"starts at {fault.at_s:g}s, but each run lasts {load.duration_s:g}s (load.duration)",
            )
    for i, gap in enumerate(load.idle_gaps):
        if gap.at_s >= load.duration_s:
            r.error(
                f"load.idle_gaps[{i}].at",
                f"starts at {gap.at_s:g}s, but each run lasts {load.duration_s:g}s (load.duration)",
            )
