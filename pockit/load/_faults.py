"""Fault injection at offsets into a run, each start and end recorded in events.jsonl.

- ``latency`` / ``error_rate``: ``POST {host}/admin/fault`` (the demo service's knob, or any target
  that implements it), restored to the previous value after ``duration``.
- ``kill``: ``POST {host}/admin/kill {"restart_after_s": duration}``: the demo process dies by
  SIGKILL and its supervisor restarts it; the end event is written once the host accepts
  connections again.
- ``command``: the user's argument list, run without a shell; the end event carries its exit code.
"""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from pockit._contract import EventKind
from pockit._rundir import RunDir
from pockit.load._guardrails import accepts_connections
from pockit.spec import Fault

#: How long a killed target may take to come back before the fault's end says it did not.
RECOVERY_WAIT_S = 15.0
_HTTP_TIMEOUT_S = 3.0


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=_HTTP_TIMEOUT_S) as resp:
        data = json.loads(resp.read() or b"{}")
    return data if isinstance(data, dict) else {}


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=_HTTP_TIMEOUT_S) as resp:
        data = json.loads(resp.read() or b"{}")
    return data if isinstance(data, dict) else {}


@dataclass
class _Active:
    index: int
    fault: Fault
    end_at: float
    previous: dict[str, Any] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    waiting_recovery: bool = False


class FaultPlan:
    """Drives a run's faults: call :meth:`poll` with the seconds since load started."""

    def __init__(self, faults: tuple[Fault, ...], candidate: str, host: str, run: RunDir) -> None:
        self.pending = sorted(
            ((i, f) for i, f in enumerate(faults) if f.candidate in (None, candidate)),
            key=lambda x: x[1].at_s,
        )
        self.host = host.rstrip("/")
        self.run = run
        self.active: list[_Active] = []

    @property
    def done(self) -> bool:
        return not self.pending and not self.active

    def poll(self, offset_s: float) -> None:
        while self.pending and self.pending[0][1].at_s <= offset_s:
            index, fault = self.pending.pop(0)
            self._start(index, fault)
        for act in list(self.active):
            self._check(act, offset_s)

    def _event(self, kind: EventKind, act: _Active, **fields: Any) -> None:
        f = act.fault
        self.run.add_event(
            kind, fault=act.index, fault_kind=f.kind, value=f.value, target=self.host, **fields
        )

    def _start(self, index: int, fault: Fault) -> None:
        act = _Active(index, fault, end_at=fault.at_s + fault.duration_s)
        try:
            if fault.kind in ("latency", "error_rate"):
                knob = "latency_ms" if fault.kind == "latency" else "error_rate"
                act.previous = {knob: _get(f"{self.host}/admin/fault").get(knob, 0.0)}
                _post(f"{self.host}/admin/fault", {knob: fault.value})
            elif fault.kind == "kill":
                _post(f"{self.host}/admin/kill", {"restart_after_s": fault.duration_s})
            elif fault.kind == "command":
                act.proc = subprocess.Popen(
                    list(fault.command),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
        except (OSError, urllib.error.URLError, ValueError) as exc:
            self._event(
                EventKind.FAULT_ERROR, act, error=f"{fault.kind} fault could not start: {exc}"
            )
            return
        self._event(
            EventKind.FAULT_START,
            act,
            duration_s=fault.duration_s,
            command=list(fault.command) or None,
        )
        self.active.append(act)

    def _check(self, act: _Active, offset_s: float) -> None:
        f = act.fault
        if f.kind == "command":
            assert act.proc is not None
            code = act.proc.poll()
            if code is None and offset_s < act.end_at + RECOVERY_WAIT_S:
                return
            err = b""
            if code is None:
                act.proc.kill()
                code = act.proc.wait()
            if act.proc.stderr is not None:
                err = act.proc.stderr.read()[-500:]
            self._event(
                EventKind.FAULT_END,
                act,
                returncode=code,
                stderr=err.decode(errors="replace") or None,
            )
        elif offset_s < act.end_at:
            return
        elif f.kind == "kill":
            if accepts_connections(self.host, timeout=0.5) is None:
                self._event(EventKind.FAULT_END, act, recovered=True)
            elif offset_s > act.end_at + RECOVERY_WAIT_S:
                self._event(
                    EventKind.FAULT_END,
                    act,
                    recovered=False,
                    error="target did not accept connections again",
                )
            else:
                return
        else:
            try:
                _post(f"{self.host}/admin/fault", act.previous)
                self._event(EventKind.FAULT_END, act, restored=act.previous)
            except (OSError, urllib.error.URLError, ValueError) as exc:
                self._event(
                    EventKind.FAULT_END, act, error=f"could not restore {act.previous}: {exc}"
                )
        self.active.remove(act)

    def finish(self) -> None:
        """Undo what is still active (a run that ended or was stopped early)."""
        for act in list(self.active):
            self._check(act, float("inf") if act.fault.kind != "kill" else act.end_at)
            if act in self.active:  # a kill whose target is still down: end it as not recovered
                self._event(
                    EventKind.FAULT_END,
                    act,
                    recovered=False,
                    error="run ended before the target came back",
                )
                self.active.remove(act)
