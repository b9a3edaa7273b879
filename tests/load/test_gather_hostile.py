"""`pockit gather` reads other machines' output: it never writes outside the run, never follows a
link out of the worker's folder, and an unreachable S3 endpoint is an error that names it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pockit._rundir import RunDir, iso

from .test_gather_cli import _batch


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _aws_env(endpoint: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
    }


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A real moto server (S3 over HTTP) on a free loopback port."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _run(tmp_path: Path) -> RunDir:
    now = iso(datetime.now(UTC))
    return RunDir.create(
        tmp_path / "runs", {"candidate": "async", "start": now, "end": now, "status": "completed"}
    )


def _gather(run: RunDir, source: str, env: dict[str, str] | None = None) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "pockit", "gather", str(run.path), source],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip


def test_s3_key_that_is_absolute_below_the_prefix_is_refused(
    moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    for k, v in _aws_env(moto_endpoint).items():
        monkeypatch.setenv(k, v)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="hostile")
    good = tmp_path / "good.parquet"
    _batch(good, 3, 1)
    outside = tmp_path / "elsewhere"  # where the old code wrote: '/' + this path, from the key
    s3.upload_file(str(good), "hostile", "w1/20260101T000000Z-1/samples/w1-000000.parquet")
    evil = f"w1/{outside}/samples/evil.parquet"  # 'w1/' + '/tmp/...': the part below is absolute
    assert "//" in evil
    s3.upload_file(str(good), "hostile", evil)
    run = _run(tmp_path)

    out = _gather(run, "s3://hostile/w1", _aws_env(moto_endpoint))

    assert out.returncode == 65, out.stderr
    assert "refusing key" in out.stderr and "evil.parquet" in out.stderr
    assert "Traceback" not in out.stderr
    assert not outside.exists(), "a key wrote outside the gather folder"
    assert run.sample_files() == []  # refused before anything was copied


def test_s3_key_with_dotdot_is_refused(
    moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    for k, v in _aws_env(moto_endpoint).items():
        monkeypatch.setenv(k, v)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="dotdot")
    good = tmp_path / "good.parquet"
    _batch(good, 3, 1)
    s3.upload_file(str(good), "dotdot", "w1/a/../../../samples/x.parquet")
    out = _gather(_run(tmp_path), "s3://dotdot/w1", _aws_env(moto_endpoint))
    assert out.returncode == 65 and "refusing key" in out.stderr, out.stderr


def test_local_symlink_in_a_worker_folder_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    remote = tmp_path / "worker-out"
    _batch(remote / "samples" / "w1-000000.parquet", 3, 1)
    (remote / "samples" / "zz.parquet").symlink_to(secret)
    run = _run(tmp_path)

    out = _gather(run, str(remote))

    assert out.returncode == 65, out.stderr
    assert "zz.parquet" in out.stderr and "symbolic link" in out.stderr
    assert not (run.samples_dir / "zz.parquet").exists()
    assert run.sample_files() == []


def test_local_worker_subfolder_linked_elsewhere_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    _batch(elsewhere / "samples" / "w9-000000.parquet", 2, 9)
    remote = tmp_path / "worker-out"
    remote.mkdir()
    (remote / "20260101T000000Z-1").symlink_to(elsewhere, target_is_directory=True)
    out = _gather(_run(tmp_path), str(remote))
    assert out.returncode == 65 and "not a regular file inside" in out.stderr, out.stderr


def test_unreachable_s3_endpoint_is_a_source_error_naming_it(tmp_path: Path) -> None:
    endpoint = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    out = _gather(_run(tmp_path), "s3://bucket/w1", _aws_env(endpoint))
    assert out.returncode == 66, out.stderr
    assert endpoint in out.stderr and "Traceback" not in out.stderr
    assert out.stderr.startswith("pockit gather: gather s3://bucket/w1: cannot reach")
