"""`pockit run` over several candidates refuses the whole batch up front when one is unreachable."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pockit.demo._service import DemoService

from .conftest import served

pytestmark = pytest.mark.slow


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_later_candidate_refuses_before_any_load(
    make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    with DemoService(variants=("baseline",)) as svc:
        url = svc.url("baseline")
        spec = make_spec({"baseline": url, "async": f"http://127.0.0.1:{_closed_port()}"})
        out = subprocess.run(
            [sys.executable, "-m", "pockit", "run", str(spec), "--runs-dir", str(tmp_path / "runs"), "--json"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert out.returncode == 69, out.stderr
        assert "refuses connections" in out.stderr
        assert served(url) == 0, "the reachable candidate must not be loaded first"
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_runs_written_before_a_failure_are_listed(
    make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    """The second candidate's locustfile breaks only for it; the first candidate's run is reported."""
    breaking = tmp_path / "breaking.py"
    breaking.write_text(
        "import os\n"
        "from locust import HttpUser, task, constant\n"
        "if os.environ.get('POCKIT_CANDIDATE') == 'async':\n"
        "    raise RuntimeError('this locustfile refuses the async candidate')\n"
        "class U(HttpUser):\n"
        "    wait_time = constant(0.05)\n"
        "    @task\n"
        "    def items(self):\n"
        "        self.client.get('/api/items')\n"
    )
    with DemoService(variants=("baseline", "async")) as svc:
        spec = make_spec(svc.urls, load={"locustfile": str(breaking), "duration": "2s"})
        out = subprocess.run(
            [sys.executable, "-m", "pockit", "run", str(spec), "--runs-dir", str(tmp_path / "runs"), "--json"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert out.returncode == 69, out.stderr
    data = json.loads(out.stdout)
    assert len(data["runs"]) == 1 and "baseline" in data["runs"][0]
    assert "refuses the async candidate" in data["error"]
    assert "run directories written before this stopped" in out.stderr
