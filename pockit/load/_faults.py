"""Fault injection at offsets into a run, each start and end recorded in events.jsonl.

- ``latency`` / ``error_rate``: ``POST {host}/admin/fault`` (the demo service's knob, or any target
  that implements it), restored to the previous value after ``duration``.
- ``kill``: the fault's ``command`` when it has one (``[systemctl, kill, --signal=KILL, app]``),
  else ``POST {host}/admin/kill`` (the demo service's knob: its process dies by SIGKILL). After
  ``duration`` pockit runs the fault's ``restart`` argument list (``[systemctl, restart, app]``,
  ``[docker, start, app]``) when it has one; without it pockit only kills, and the service comes
  back only if something else restarts it (the demo's supervisor, which the knob asks to, systemd's
  ``Restart=``, a container's restart policy). The end event is written once the host accepts
  connections again, or after RECOVERY_WAIT_S with ``recovered: false`` and why.
- ``command``: the user's argument list, run without a shell; the end event carries its exit code.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
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
#: A kill command (``systemctl kill``, ``docker kill``) is waited for, at most this long.
_KILL_TIMEOUT_S = 10.0


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
    restart: subprocess.Popen[bytes] | None = None
    restart_err: Any = (
        None  # a temporary file: a restart that keeps running must never block on a pipe
    )


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
            elif fault.kind == "kill" and fault.command:
                done = subprocess.run(
                    list(fault.command),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    timeout=_KILL_TIMEOUT_S,
                )
                if done.returncode != 0:
                    tail = done.stderr[-300:].decode(errors="replace").strip()
                    raise OSError(f"kill command exited {done.returncode}: {tail or 'no stderr'}")
            elif fault.kind == "kill":
                # with a restart command of its own, the demo's supervisor must not restart it too
                delay = None if fault.restart else fault.duration_s
                _post(f"{self.host}/admin/kill", {"restart_after_s": delay})
            elif fault.kind == "command":
                act.proc = _spawn(fault.command)
        except (OSError, urllib.error.URLError, ValueError, subprocess.TimeoutExpired) as exc:
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
            if f.restart and act.restart is None:
                act.restart_err = tempfile.TemporaryFile()  # noqa: SIM115 - closed in _restart_result
                try:
                    act.restart = _spawn(f.restart, stderr=act.restart_err)
                except OSError as exc:
                    self._event(
                        EventKind.FAULT_END,
                        act,
                        recovered=False,
                        error=f"restart command could not start: {exc}",
                    )
                    self.active.remove(act)
                    return
            if accepts_connections(self.host, timeout=0.5) is None:
                self._event(EventKind.FAULT_END, act, recovered=True, **self._restart_result(act))
            elif offset_s > act.end_at + RECOVERY_WAIT_S:
                why = f"target did not accept connections again within {RECOVERY_WAIT_S:g}s of " + (
                    "the restart command" if f.restart else "the fault's end"
                )
                if not f.restart:
                    why += (
                        "; pockit only kills: give the fault a restart command "
                        "(restart: [systemctl, restart, app]) or let a supervisor bring it back"
                    )
                self._event(
                    EventKind.FAULT_END,
                    act,
                    recovered=False,
                    error=why,
                    **self._restart_result(act),
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

    @staticmethod
    def _restart_result(act: _Active) -> dict[str, Any]:
        """The restart command's exit code and stderr tail, once it has ended (a command that
        keeps running, a service started in the foreground, is left running: it is the service)."""
        if act.restart is None:
            return {}
        code = act.restart.poll()
        if code is None:
            return {}
        err = b""
        if act.restart_err is not None:
            act.restart_err.seek(0)
            err = act.restart_err.read()[-500:]
            act.restart_err.close()
        return {"returncode": code, "stderr": err.decode(errors="replace") or None}

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


def _spawn(argv: tuple[str, ...], *, stderr: Any = subprocess.PIPE) -> subprocess.Popen[bytes]:
    """Start the user's argument list without a shell, detached from our stdin and stdout."""
    return subprocess.Popen(
        list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr
    )
