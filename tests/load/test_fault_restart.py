"""The kill fault on a service pockit did not start: pockit kills it, and brings it back only with
the fault's ``restart`` command (argv, no shell); without one it says plainly that it only kills.

The "service" is the demo server started here as a plain process, with no supervisor: the case
of a systemd unit or a container, which pockit did not start either.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pockit._rundir import RunDir
from pockit.load._faults import RECOVERY_WAIT_S, FaultPlan
from pockit.load._guardrails import accepts_connections
from pockit.spec import Fault


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_argv(port: int, ready: Path) -> list[str]:
    return [sys.executable, "-m", "pockit.demo._service", "--variant", "baseline",
            "--port", str(port), "--ready-file", str(ready)]  # fmt: skip


def _wait_ready(ready: Path) -> int:
    deadline = time.monotonic() + 15
    while not ready.exists():
        assert time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    return int(json.loads(ready.read_text())["pid"])


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[str, int, list[Path]]]:
    port = _free_port()
    ready = tmp_path / "ready-0.json"
    proc = subprocess.Popen(_serve_argv(port, ready))
    _wait_ready(ready)
    readies = [ready]
    yield f"http://127.0.0.1:{port}", port, readies
    proc.kill()
    proc.wait()
    for r in readies[1:]:  # servers a restart command started
        if r.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(json.loads(r.read_text())["pid"]), signal.SIGTERM)


def _drive(plan: FaultPlan, until_s: float) -> None:
    t0 = time.monotonic()
    while not plan.done and time.monotonic() - t0 < until_s:
        plan.poll(time.monotonic() - t0)
        time.sleep(0.1)


def _end(run: RunDir) -> dict[str, Any]:
    return next(e for e in run.events() if e["kind"] == "fault_end")


def test_kill_with_a_restart_command_brings_the_service_back(
    tmp_path: Path, service: tuple[str, int, list[Path]]
) -> None:
    host, port, readies = service
    ready = tmp_path / "ready-1.json"
    readies.append(ready)
    # a restart command that returns once the service is started, like `systemctl restart`
    restart = (sys.executable, "-c",
               "import subprocess, sys; subprocess.Popen(sys.argv[1:], start_new_session=True)",
               *_serve_argv(port, ready))  # fmt: skip
    run = RunDir.create(tmp_path / "runs", {"candidate": "svc", "host": host})
    plan = FaultPlan(
        (Fault(kind="kill", at_s=0, duration_s=0.5, restart=restart),), "svc", host, run
    )
    _drive(plan, 20)
    end = _end(run)
    assert end["recovered"] is True, end
    assert end["returncode"] == 0
    assert accepts_connections(host, timeout=1) is None
    assert ready.exists()  # it is the restarted process that answers


def test_kill_without_restart_says_it_only_kills(
    tmp_path: Path, service: tuple[str, int, list[Path]]
) -> None:
    host, _, _ = service
    run = RunDir.create(tmp_path / "runs", {"candidate": "svc", "host": host})
    plan = FaultPlan((Fault(kind="kill", at_s=0, duration_s=0.5),), "svc", host, run)
    plan.poll(0.0)
    deadline = time.monotonic() + 10
    while accepts_connections(host, timeout=0.2) is None:  # wait for the death, not a timer
        assert time.monotonic() < deadline
        time.sleep(0.05)
    plan.poll(RECOVERY_WAIT_S + 1)  # past the recovery wait, without waiting for it
    end = _end(run)
    assert end["recovered"] is False
    assert "pockit only kills" in end["error"] and "restart" in end["error"]
    assert accepts_connections(host, timeout=0.5) is not None  # and it stayed down


def test_restart_is_validated_as_an_argument_list_for_kill_only(tmp_path: Path) -> None:
    from pockit._errors import SpecError
    from pockit.spec import parse_spec

    (tmp_path / "l.py").write_text("")
    head = (
        "name: t\nhypothesis: h\ncandidates: [{name: a, host: 'http://127.0.0.1:1'}]\n"
        "load: {locustfile: l.py, duration: 30s}\n"
        "criteria: [{metric: success_rate, op: '>=', threshold: 0.9}]\n"
    )
    spec = parse_spec(
        head
        + "faults: [{kind: kill, at: 5s, duration: 3s, restart: [systemctl, restart, checkout]}]\n",
        path=tmp_path / "poc.yaml",
    )
    assert spec.faults[0].restart == ("systemctl", "restart", "checkout")
    with pytest.raises(SpecError, match=r"faults\[0\].restart"):
        parse_spec(
            head + "faults: [{kind: latency, at: 5s, value: 9, restart: [docker, start, x]}]\n",
            path=tmp_path / "poc.yaml",
        )
