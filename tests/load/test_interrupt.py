"""Ctrl-C and SIGTERM stop a run within seconds: status aborted, samples kept, no child left."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
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
    make_spec,
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
    assert meta["status"] == "aborted" and meta["stop_reason"] == reason and meta["end"]
    assert meta["counts"]["samples"] == run.read_samples().height > 0
    assert json.loads((run_dir / "run.json").read_text())["id"] == meta["id"]
    time.sleep(0.5)
    assert leftovers(str(runs_dir)) == []
