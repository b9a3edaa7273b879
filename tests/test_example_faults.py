"""``examples/faults/poc.yaml`` as the README says to run it: ``pockit demo serve --prometheus``,
then ``pockit run`` and ``pockit decide``, as subprocesses on 127.0.0.1 (ports and run length
shortened the way tests/test_readme.py shortens the worked example)."""

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_faults_example_measures_detection_by_client_and_by_alert(tmp_path: Path) -> None:
    ports = {"8081": str(_free_port()), "8082": str(_free_port()), "9091": str(_free_port())}
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    spec = tmp_path / "examples" / "faults" / "poc.yaml"
    text = spec.read_text()
    for old, new in (*ports.items(), ("duration: 20s", "duration: 12s"), ("at: 6s", "at: 3s")):
        assert old in text, old  # the example still says what this test adapts
        text = text.replace(old, new)
    spec.write_text(text)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    serve = subprocess.Popen(
        [*POCKIT, "demo", "serve", "--port", f"baseline={ports['8081']}",
         "--port", f"async={ports['8082']}", "--prometheus", ports["9091"], "--seconds", "120"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        assert serve.stdout is not None
        lines = [serve.stdout.readline() for _ in range(3)]
        assert lines[2].startswith("prometheus  http://127.0.0.1:"), lines
        time.sleep(2)  # a scrape or two of the healthy targets first
        run = subprocess.run(
            [*POCKIT, "run", str(spec), "--runs-dir", "runs/faults", "--no-progress"],
            capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        decided = subprocess.run(
            [*POCKIT, "decide", str(spec), "runs/faults", "--json"],
            capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
        )  # fmt: skip
    finally:
        serve.send_signal(signal.SIGINT)
        serve.communicate(timeout=30)
    assert decided.returncode in (0, 1, 2), decided.stderr
    by = {(c["candidate"], c["metric"]): c for c in json.loads(decided.stdout)["criteria"]}
    for cand in ("baseline", "async"):
        alert = by[(cand, "detect_alert_s:alerts")]
        client = by[(cand, "detect_s")]
        # the alert needs scrapes, the rule's 4 s window and a query step: slower than the
        # client's first breaching second, and within the README's 4 s bound of the fault
        assert alert["outcome"] == "PASS" and 0 < alert["estimate"] <= 4.5, alert["reason"]
        assert client["outcome"] == "PASS" and client["estimate"] <= 1, client["reason"]
