"""A load generator pinned at 100% CPU is detected (Locust's own cpu_warning) and said in run.json.

Target: Debian's nginx on 127.0.0.1 (``make test`` installs it), so the client, not the server, is
the bottleneck; the load is bounded by the run's duration.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.bench_capture import LOCUSTFILE, start_nginx
from pockit._rundir import RunDir
from pockit.load import run_candidate

pytestmark = pytest.mark.slow


def test_saturated_load_generator_is_recorded(
    make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        pytest.fail(
            "Debian's nginx is not installed (make test installs it): apt-get install nginx-light"
        )
    hammer = tmp_path / "hammer.py"
    hammer.write_text(LOCUSTFILE)
    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    proc, url = start_nginx(nginx_dir)
    try:
        spec = make_spec(
            {"nginx": url}, load={"locustfile": str(hammer), "users": 20, "duration": "8s"}
        )
        [path] = run_candidate(spec, "nginx", runs_dir=tmp_path / "runs", progress=False)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    meta = RunDir.open(path).meta
    assert meta["status"] == "completed"
    assert meta["load_generator_saturated"] is True
    assert "above 90% CPU" in meta["stop_reason"]
    events = [e for e in RunDir.open(path).events() if e["kind"] == "load_generator_saturated"]
    assert events and all(e["cpu_percent"] >= 90 for e in events)
