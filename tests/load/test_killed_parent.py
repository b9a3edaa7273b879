"""`pockit run` killed with SIGKILL: Locust stops by itself, samples are kept, run.json is closed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pockit._contract import StopCode
from pockit._rundir import RunDir
from pockit.demo._service import DemoService
from tests.contract.checks import follows_contract, risk_items

pytestmark = pytest.mark.slow


def test_sigkilled_run_is_closed_as_aborted(make_spec: Callable[..., Path], tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    with DemoService(variants=("async",)) as svc:
        spec = make_spec({"async": svc.url("async")}, load={"duration": "30s"})
        proc = subprocess.Popen(
            [sys.executable, "-m", "pockit", "run", str(spec), "--runs-dir", str(runs), "--no-progress"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # wait until samples are being written
                files = list(runs.glob("*/samples/*.parquet"))
                if files:
                    break
                time.sleep(0.3)
            else:
                pytest.fail("no samples were written")
            meta = json.loads(next(runs.glob("*/run.json")).read_text())
            assert meta["owner_pid"] == proc.pid and meta["status"] == "running"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            run = RunDir.open(next(p for p in runs.iterdir() if p.is_dir()))
            deadline = time.monotonic() + 20
            while run.meta["status"] == "running" and time.monotonic() < deadline:
                time.sleep(0.3)
        finally:
            if proc.poll() is None:
                proc.kill()
    meta = run.meta
    assert meta["status"] == "aborted" and meta["end"]
    assert "died" in meta["stop_reason"]
    assert run.read_samples().height > 0
    assert follows_contract(run).stop_code is StopCode.PARENT_DIED
    assert any("status aborted" in t for t in risk_items(run)["run"])
