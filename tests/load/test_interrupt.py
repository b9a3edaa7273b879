"""Ctrl-C and SIGTERM stop a run within seconds: status aborted, samples kept, no child left."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pockit import RunDir
from pockit.demo._service import DemoService
from tests._procs import leftovers

pytestmark = pytest.mark.slow


def _wait_for_samples(runs_dir: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if list(runs_dir.glob("*/samples/*.parquet")):
            return
        time.sleep(0.1)
    raise AssertionError("no samples appeared")


@pytest.mark.parametrize(
    ("sig", "code", "reason", "workers"),
    [
        (signal.SIGTERM, 143, "terminated (SIGTERM)", 0),
        (signal.SIGINT, 130, "interrupted (SIGINT)", 0),
        (signal.SIGTERM, 143, "terminated (SIGTERM)", 2),
    ],
)
def test_signal_stops_cleanly(
    service: DemoService,
    make_spec: Callable[..., Path],
    tmp_path: Path,
    sig: signal.Signals,
    code: int,
    reason: str,
    workers: int,
) -> None:
    spec = make_spec({"async": service.url("async")}, load={"duration": "60s"})
    runs_dir = tmp_path / "runs"
    cmd = [
        sys.executable,
        "-m",
        "pockit",
        "run",
        str(spec),
        "--runs-dir",
        str(runs_dir),
        "--json",
        "--no-progress",
    ]
    if workers:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        try:
            _wait_for_samples(runs_dir)
        except AssertionError:
            proc.kill()
            raise AssertionError(proc.communicate()[1].decode()[-3000:]) from None
        assert leftovers(str(runs_dir)), "Locust should be running"
        sent = time.monotonic()
        proc.send_signal(sig)
        proc.wait(timeout=20)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, proc.stderr.read().decode() if proc.stderr else ""
    assert took < 10
    [run_dir] = list(runs_dir.iterdir())
    run = RunDir.open(run_dir)
    meta = run.meta
    # on a busy machine the reason may go on to note a saturated load generator: judge its head
    assert meta["status"] == "aborted" and meta["stop_reason"].startswith(reason) and meta["end"]
    assert meta["counts"]["samples"] == run.read_samples().height > 0
    assert json.loads((run_dir / "run.json").read_text())["id"] == meta["id"]
    time.sleep(0.5)
    assert leftovers(str(runs_dir)) == []


def test_kernel_interrupt_ends_with_one_line(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    """A notebook's Interrupt (SIGINT to a real ipykernel): one line, not pockit's stack.

    The run is closed as aborted and Locust is gone before the line shows; the error is
    RunInterrupted (a KeyboardInterrupt, so Run All stops there) with the run directory in .runs.
    """
    from jupyter_client.manager import start_new_kernel

    spec = make_spec({"async": service.url("async")}, load={"duration": "60s"})
    runs_dir = tmp_path / "runs"
    km, kc = start_new_kernel(kernel_name="pockit", cwd=str(tmp_path))
    try:
        msg_id = kc.execute(
            "import pockit\n"
            f"pockit.run_candidate({str(spec)!r}, 'async', runs_dir={str(runs_dir)!r})\n"
        )
        _wait_for_samples(runs_dir)
        km.interrupt_kernel()
        errors, stdout = [], []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            msg = kc.get_iopub_msg(timeout=30)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "error":
                errors.append(content)
            elif kind == "stream" and content["name"] == "stdout":
                stdout.append(content["text"])
            elif kind == "status" and content["execution_state"] == "idle":
                break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    [error] = errors
    assert error["ename"] == "RunInterrupted"
    assert len(error["traceback"]) == 1 and "\n" not in error["traceback"][0]
    assert "says status aborted" in error["traceback"][0]
    assert "aborted (interrupted (SIGINT))" in "".join(stdout)  # the summary still printed
    [run_dir] = list(runs_dir.iterdir())
    assert RunDir.open(run_dir).meta["status"] == "aborted"
    time.sleep(0.5)
    assert leftovers(str(runs_dir)) == []


def test_ctrl_c_again_while_stopping_still_closes_the_run(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    """An impatient user presses Ctrl-C again (and again) while Locust is being stopped: the run
    still ends as aborted with its samples counted, never left saying ``running``."""
    spec = make_spec({"async": service.url("async")}, load={"duration": "60s"})
    runs_dir = tmp_path / "runs"
    cmd = [sys.executable, "-m", "pockit", "run", str(spec), "--runs-dir", str(runs_dir),
           "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_samples(runs_dir)
        for pause in (0.0, 0.05, 0.2, 0.5):  # the first stops the run; the rest land while it stops
            time.sleep(pause)
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, proc.stderr.read().decode() if proc.stderr else ""
    [run_dir] = list(runs_dir.iterdir())
    run = RunDir.open(run_dir)
    assert run.meta["status"] == "aborted" and run.meta["end"]
    assert run.meta["stop_reason"].startswith("interrupted (SIGINT)")
    assert run.meta["counts"]["samples"] == run.read_samples().height > 0
    time.sleep(0.5)
    assert leftovers(str(runs_dir)) == []
