"""``pockit run`` and ``pockit worker`` as a user runs them: real subprocesses, exit codes, JSON."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pockit import RunDir
from pockit.demo._service import DemoService

from .conftest import DEMO_LOCUSTFILE

pytestmark = pytest.mark.slow
POCKIT = [sys.executable, "-m", "pockit"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_with_remote_worker(
    spec: Path,
    runs_dir: Path,
    *,
    local_workers: int,
    worker_out: str,
    env: dict[str, str] | None = None,
) -> tuple[int, str, str, subprocess.CompletedProcess[str]]:
    """``pockit run`` as a master awaiting one remote worker, and that ``pockit worker``.

    Returns the master's exit code, stdout and stderr, and the finished worker process.
    """
    port = _free_port()
    master = subprocess.Popen(
        [*POCKIT, "run", str(spec), "--runs-dir", str(runs_dir), "--json", "--no-progress",
         "--workers", str(local_workers), "--remote-workers", "1",
         "--master-bind", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    worker = subprocess.run(
        [*POCKIT, "worker", "--master", f"127.0.0.1:{port}", "--locustfile", str(DEMO_LOCUSTFILE),
         "--out", worker_out, "--json"],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    out, err = master.communicate(timeout=60)
    return master.returncode, out, err, worker


def test_run_json_lists_run_directories(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = make_spec(
        {"baseline": service.url("baseline"), "async": service.url("async")},
        load={"duration": "2s"},
    )
    out = subprocess.run(
        [
            *POCKIT,
            "run",
            str(spec),
            "--runs-dir",
            str(tmp_path / "runs"),
            "--candidate",
            "async",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)  # stdout is exactly one JSON object; the summary went to stderr
    [path] = data["runs"]
    assert RunDir.open(path).meta["candidate"] == "async"
    assert "completed (duration reached)" in out.stderr


def test_run_exit_codes_for_refusals(make_spec: Callable[..., Path], tmp_path: Path) -> None:
    spec = make_spec({"gone": f"http://127.0.0.1:{_free_port()}"})
    refused = subprocess.run(
        [*POCKIT, "run", str(spec), "--runs-dir", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 69 and "host refuses connections" in refused.stderr
    capped = subprocess.run(
        [*POCKIT, "run", str(spec), "--runs-dir", str(tmp_path / "r"), "--users", "100000"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert capped.returncode == 67 and "max_users" in capped.stderr
    unknown = subprocess.run(
        [*POCKIT, "run", str(spec), "--candidate", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unknown.returncode == 64 and "no candidate 'nope'" in unknown.stderr
    assert not (tmp_path / "r").exists()


def test_remote_worker_joins_a_run(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    """The README recipe on one host: a master waiting for a remote worker, which writes to --out."""
    spec = make_spec({"async": service.url("async")}, load={"duration": "3s"})
    code, out, err, worker = _run_with_remote_worker(
        spec, tmp_path / "runs", local_workers=0, worker_out=str(tmp_path / "remote")
    )
    assert code == 0, err
    assert worker.returncode == 0, worker.stderr
    assert "Unknown message type" not in worker.stderr + worker.stdout  # issue 13
    [path] = json.loads(out)["runs"]
    meta = RunDir.open(path).meta
    files = json.loads(worker.stdout)["samples"]
    assert files and meta["status"] == "completed" and meta["workers"] == 1
    assert (
        sum(pq.ParquetFile(f).metadata.num_rows for f in files) == meta["counts"]["locust_requests"]
    )


def test_remote_worker_to_s3_then_gathered(
    service: DemoService,
    make_spec: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker on another machine uploads to s3:// (a real moto server here); the run gathers it."""
    import os

    import boto3
    from moto.server import ThreadedMotoServer

    from pockit.load import gather_samples

    moto_port = _free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    try:
        aws = {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        for k, v in aws.items():
            monkeypatch.setenv(k, v)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        boto3.client("s3").create_bucket(Bucket="poc-runs")
        spec = make_spec({"async": service.url("async")}, load={"duration": "3s"})
        code, out, err, worker = _run_with_remote_worker(
            spec,
            tmp_path / "runs",
            local_workers=1,
            worker_out="s3://poc-runs/checkout/w-remote",
            env={**os.environ, **aws},
        )
        assert code == 0, err
        assert worker.returncode == 0, worker.stderr
        uploaded = json.loads(worker.stdout)["samples"]
        # each worker invocation uploads under its own <stamp>-<pid>/ sub-prefix
        assert uploaded and all(
            re.match(r"s3://poc-runs/checkout/w-remote/\d{8}T\d{6}Z-\d+/samples/", k)
            for k in uploaded
        )
        [path] = json.loads(out)["runs"]
        before = RunDir.open(path).meta["counts"]
        assert 0 < before["samples"] < before["locust_requests"]  # only the local worker's so far
        assert (
            gather_samples(path, "s3://poc-runs/checkout/w-remote") == len(uploaded) + 1
        )  # + capture status
        after = RunDir.open(path)
        assert (
            after.meta["counts"]["samples"]
            == after.read_samples().height
            == before["locust_requests"]
        )
        assert sorted(after.read_samples()["worker"].unique().to_list()) == [0, 1]
    finally:
        moto.stop()


def test_gather_takes_only_this_runs_samples_from_a_reused_out(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    """Two runs whose remote worker wrote to the same --out: gathering the second takes only its own."""
    spec = make_spec({"async": service.url("async")}, load={"duration": "2s"})
    out_dir = tmp_path / "shared-out"
    paths = []
    for i in range(2):
        code, out, err, worker = _run_with_remote_worker(
            spec, tmp_path / f"runs{i}", local_workers=0, worker_out=str(out_dir)
        )
        assert code == 0 and worker.returncode == 0, err + worker.stderr
        [path] = json.loads(out)["runs"]
        paths.append(path)
    assert len([p for p in out_dir.iterdir() if p.is_dir()]) == 2  # one sub-folder per invocation
    second = RunDir.open(paths[1])
    assert second.meta["counts"]["samples"] == 0  # the remote worker's samples are not there yet
    res = subprocess.run(
        [*POCKIT, "gather", paths[1], str(out_dir), "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["skipped"][str(out_dir)] > 0 and "another run's samples" in res.stderr
    assert data["warnings"] == []
    counts = RunDir.open(paths[1]).meta["counts"]
    assert counts["samples"] == counts["locust_requests"] == second.read_samples().height > 0


def test_lost_remote_worker_is_recorded(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    """A remote worker's Locust SIGKILLed mid-run: the master records it; the run stopped early."""
    import signal
    import time

    import psutil

    spec = make_spec({"async": service.url("async")}, load={"duration": "10s"})
    port, out_dir = _free_port(), tmp_path / "remote"
    master = subprocess.Popen(
        [*POCKIT, "run", str(spec), "--runs-dir", str(tmp_path / "runs"), "--json", "--no-progress",
         "--workers", "0", "--remote-workers", "1", "--master-bind", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    worker = subprocess.Popen(
        [*POCKIT, "worker", "--master", f"127.0.0.1:{port}", "--locustfile", str(DEMO_LOCUSTFILE),
         "--out", str(out_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not list(out_dir.glob("*/samples/*.pkbatch")) and time.monotonic() < deadline:
            time.sleep(0.1)
        [child] = psutil.Process(worker.pid).children()
        child.send_signal(signal.SIGKILL)
        out, err = master.communicate(timeout=60)
    finally:
        for p in (master, worker):
            if p.poll() is None:
                p.kill()
        worker.communicate(timeout=10)
    [path] = json.loads(out)["runs"] if master.returncode == 0 else [None]
    assert path, err
    run = RunDir.open(path)
    meta = run.meta
    [lost] = meta["workers_lost"]
    assert lost["worker"].startswith("remote:") and lost["reason"] == "stopped sending heartbeats"
    assert meta["stop_reason"].startswith("stopped early (load ran ")
    assert meta["load_window"]["seconds"] < 9
    assert any(e["kind"] == "worker_lost" and e.get("source") == "master" for e in run.events())


def test_stop_when_sees_a_remote_workers_requests_while_the_run_goes(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    """Issue 16: with only a remote ``pockit worker`` loading, the master's stop_when watcher used
    to see no request until ``pockit gather`` (so it never decided early). The worker now sends each
    batch to the master as it writes it (``locust/live/``), and the run stops once decided."""
    spec = make_spec(
        {"async": service.url("async")},
        load={
            "users": 4,
            "duration": "40s",
            "stop_when": "decided",
            "stop_when_min_duration": "3s",
        },
        criteria=[{"metric": "success_rate", "op": ">=", "threshold": 0.5}],
    )
    code, out, err, worker = _run_with_remote_worker(
        spec, tmp_path / "runs", local_workers=0, worker_out=str(tmp_path / "remote")
    )
    assert code == 0, err
    assert worker.returncode == 0, worker.stderr
    [path] = json.loads(out)["runs"]
    run = RunDir.open(path)
    meta = run.meta
    assert meta["stop_code"] == "decided", meta["stop_reason"]
    last = meta["stop_when"]["history"][-1]["criteria"][0]
    assert last["n"] > 0 and last["outcome"] == "PASS"
    live = sorted((run.locust_dir / "live").glob("w*"))
    assert live, "the master kept no live batch"
    assert {f.suffix for f in live} == {".parquet"}  # the parent converted each one
    assert meta["counts"]["samples"] == 0  # the run's own samples/ waits for pockit gather
    # what the master kept is what the worker wrote (both converted from its compact batches)
    written = {Path(f).name: Path(f) for f in json.loads(worker.stdout)["samples"]}
    assert all(pq.read_table(f).equals(pq.read_table(written[f.name])) for f in live)
