"""Shared fixtures for the sources tests: sample datasets, a moto server, the `pockit cost` CLI."""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT / "datasets"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def make_datasets() -> ModuleType:
    """scripts/make_datasets.py as a module: fixture builders that follow the specifications."""
    spec = importlib.util.spec_from_file_location(
        "make_datasets", ROOT / "scripts" / "make_datasets.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_datasets"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A real moto server (HTTP, server mode) on a free loopback port for the whole session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Point boto3's standard chain at moto: AWS_ENDPOINT_URL and fake keys, nothing else."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("POCKIT_CACHE", str(tmp_path / "cache"))
    return moto_url


def moto_static(moto_url: str, kind: str, body: dict[str, Any]) -> None:
    """Queue results on moto's static-response endpoints (Cost Explorer, Athena)."""
    import requests

    resp = requests.post(f"{moto_url}/moto-api/static/{kind}", data=json.dumps(body), timeout=5)
    assert resp.status_code == 201, resp.text


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run `pockit cost ...` through the real cli.main; returns (exit code, stdout, stderr).

    Only the cost sub-command is registered, so this part's tests do not depend on the others.
    """
    import pockit.cli

    monkeypatch.setattr(pockit.cli, "COMMANDS", ("cost",))

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            code = pockit.cli.main(["cost", *argv])
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
