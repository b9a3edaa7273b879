"""``examples/every-metric/poc.yaml`` as the README says to run it: ``pockit demo serve --slots 4
--prometheus PORT``, then ``pockit run``, ``pockit decide`` and ``pockit report``, as subprocesses on
127.0.0.1 (ports adapted). Issue 15's "done when": one spec using every newer criterion runs
against the demo, decides, and the report shows each. About 80 s: the ramp is 66 s, the least a
finite headroom bound needs (59 one-second scrapes)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
POCKIT = [sys.executable, "-m", "pockit"]
NEW = (
    "capacity_rps",
    "detect_s",
    "detect_alert_s:alerts",
    "recovery_s",
    "headroom:slots",
    "observability_coverage",
    "cardinality_peak",
    "cardinality_growth",
    "denied_rate",
    "throttled_rate",
    "retry_rate",
    "validation_error_rate",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_every_newer_metric_runs_decides_and_shows(tmp_path: Path) -> None:
    ports = {"8081": str(_free_port()), "8082": str(_free_port()), "9091": str(_free_port())}
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    shutil.copytree(REPO / "pockit" / "demo", tmp_path / "pockit" / "demo")  # its locustfile
    spec = tmp_path / "examples" / "every-metric" / "poc.yaml"
    text = spec.read_text()
    for old, new in ports.items():
        assert old in text, old  # the example still says what this test adapts
        text = text.replace(old, new)
    spec.write_text(text)
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def pockit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*POCKIT, *args], capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path
        )

    serve = subprocess.Popen(
        [*POCKIT, "demo", "serve", "--port", f"baseline={ports['8081']}",
         "--port", f"async={ports['8082']}", "--slots", "4", "--prometheus", ports["9091"],
         "--seconds", "240"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        assert serve.stdout is not None
        lines = [serve.stdout.readline() for _ in range(3)]
        assert lines[2].startswith("prometheus  http://127.0.0.1:"), lines
        time.sleep(2)  # a scrape or two of the healthy targets first
        run = pockit("run", str(spec), "--runs-dir", "runs/every", "--no-progress")
        assert run.returncode == 0, run.stderr
        decided = pockit("decide", str(spec), "runs/every", "--json")
        report = pockit("report", str(spec), "runs/every", "--out", "every.html", "--json")
    finally:
        serve.send_signal(signal.SIGINT)
        serve.communicate(timeout=30)
    assert decided.returncode == 0, decided.stdout + decided.stderr  # GO: every criterion passed
    by = {c["metric"]: c for c in json.loads(decided.stdout)["criteria"]}
    assert {m: by[m]["outcome"] for m in NEW} == dict.fromkeys(NEW, "PASS")
    cap = by["capacity_rps"]
    assert (cap["ci_low"], cap["ci_high"]) == (120, 140)  # the burst fails the last step
    assert 0 < by["detect_alert_s:alerts"]["estimate"] <= 4.5 and by["detect_s"]["estimate"] <= 1
    assert report.returncode == 0, report.stderr
    html = (tmp_path / "every.html").read_text()
    for shown in (*NEW, "Capacity ramp", "Detect and recover around each fault",
                  "Denies and request classes per endpoint", "Server-side metrics"):  # fmt: skip
        assert shown in html, shown
