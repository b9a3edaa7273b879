"""Distributed runs: a Locust master and local workers; a worker lost mid-run is survived and recorded."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from pockit import LoadError, RunDir
from pockit.demo._service import DemoService
from pockit.load import run_candidate
from tests._typed import moment, number
from tests.contract.checks import follows_contract, risk_items

pytestmark = pytest.mark.slow


def test_two_local_workers(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = make_spec({"async": service.url("async")}, load={"users": 4, "duration": "4s"})
    [path] = run_candidate(spec, "async", runs_dir=tmp_path, workers=2, progress=False)
    run = RunDir.open(path)
    meta = run.meta
    df = run.read_samples()
    assert meta["status"] == "completed" and meta["workers"] == 2 and meta["distributed"] is True
    assert sorted(df["worker"].unique().to_list()) == [0, 1]
    assert number(df.group_by("worker").len()["len"].min()) > 10  # both workers sent load
    # the master's final statistics come from the workers' reports: same count as captured
    assert meta["counts"]["samples"] == df.height == meta["counts"]["locust_requests"]
    assert meta["capture"]["processes"] == 2 and meta["workers_lost"] == []
    assert meta["capture"]["recorder"] == "c"  # both workers ran pockit's C extension
    assert (run.locust_dir / "worker0.log").is_file() and (run.locust_dir / "worker1.log").is_file()


def _kill_one_worker_when_loaded(runs_dir: Path, killed: list[int]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if list(runs_dir.glob("*/samples/w001-*.parquet")) and list(
            runs_dir.glob("*/samples/w000-*.parquet")
        ):
            for proc in psutil.process_iter(["cmdline", "environ"]):
                try:
                    cmd = proc.info["cmdline"] or []
                    env = proc.environ()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                if (
                    "--worker" in cmd
                    and str(runs_dir) in env.get("POCKIT_RUN_DIR", "")
                    and env.get("POCKIT_LOCAL_WORKER") == "1"
                ):
                    proc.send_signal(signal.SIGKILL)
                    killed.append(proc.pid)
                    return
        time.sleep(0.1)


def test_worker_killed_mid_run(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = make_spec({"async": service.url("async")}, load={"users": 4, "duration": "7s"})
    killed: list[int] = []
    killer = threading.Thread(target=_kill_one_worker_when_loaded, args=(tmp_path, killed))
    killer.start()
    [path] = run_candidate(spec, "async", runs_dir=tmp_path, workers=2, progress=False)
    killer.join()
    assert killed, "the test did not find worker 1 to kill"
    run = RunDir.open(path)
    meta = run.meta
    assert meta["status"] == "completed"
    [lost] = meta["workers_lost"]
    assert (
        lost["worker"] == "worker1"
        and lost["pid"] == killed[0]
        and lost["returncode"] == -signal.SIGKILL
    )
    assert any(e["kind"] == "worker_lost" for e in run.events())
    follows_contract(run)
    [lost_risk] = risk_items(run)["workers"]
    assert "1 load worker(s) lost" in lost_risk
    df = run.read_samples()
    # batch files are named w<index>-<pid>-<seq>: which index did the killed process have?
    [dead] = {int(f.name[1:4]) for f in run.sample_files() if f"-{killed[0]}-" in f.name}
    survivor = df.filter(df["worker"] != dead)
    # the survivor kept loading after the kill, to the end of the run
    assert moment(survivor["t_start"].max()) > moment(
        df.filter(df["worker"] == dead)["t_start"].max()
    )
    assert survivor.height > 20


def test_worker_that_never_connects(
    service: DemoService,
    make_spec: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POCKIT_WORKER_WAIT_S", "3")
    spec = make_spec({"async": service.url("async")})
    with pytest.raises(LoadError, match="Gave up waiting for workers"):
        run_candidate(
            spec, "async", runs_dir=tmp_path / "runs", workers=0, remote_workers=1, progress=False
        )
    [path] = list((tmp_path / "runs").iterdir())
    meta = RunDir.open(path).meta
    assert (
        meta["status"] == "failed"
        and meta["remote_workers"] == 1
        and meta["counts"]["samples"] == 0
    )


def test_workers_log_no_unknown_message(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    """Issue 13: the master's ``pockit_run`` reached workers before their handler existed
    (Locust connects a worker before its init event), so each logged "Unknown message type"."""
    spec = make_spec({"async": service.url("async")}, load={"users": 2, "duration": "2s"})
    [path] = run_candidate(spec, "async", runs_dir=tmp_path, workers=2, progress=False)
    run = RunDir.open(path)
    logs = {p.name: p.read_text() for p in run.locust_dir.glob("*.log")}
    assert {"worker0.log", "worker1.log"} <= set(logs)
    for name, text in logs.items():
        assert "Unknown message type" not in text, (name, text)
    # the message still arrives: each worker recorded the master's run id
    assert json.loads((run.locust_dir / "master-run.json").read_text())["run_id"] == run.meta["id"]
