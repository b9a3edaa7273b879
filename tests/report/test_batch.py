"""`pockit batch`: papermill over a grid with a real Locust subprocess against a real local HTTP server."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pockit._errors import UsageError
from pockit.report import check_html, parse_grid

pytestmark = pytest.mark.slow


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = b'{"items": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_parse_grid() -> None:
    assert parse_grid(["users=2,5", "candidate=a,b"]) == {"users": [2, 5], "candidate": ["a", "b"]}
    with pytest.raises(UsageError, match="not a poc_run parameter"):
        parse_grid(["colour=red"])
    with pytest.raises(UsageError, match="KEY=V1,V2"):
        parse_grid(["users"])


def test_batch_runs_the_grid_and_a_failed_point_does_not_stop_the_others(
    tmp_path: Path, server: str, locustfile: Path
) -> None:
    spec = tmp_path / "poc.yaml"
    spec.write_text(
        f"""\
name: batch-test
hypothesis: a tiny server answers fast
candidates:
  - {{name: local, host: "{server}"}}
load: {{locustfile: {locustfile}, users: 2, spawn_rate: 10, duration: 2s}}
criteria:
  - {{metric: success_rate, op: ">=", threshold: 0.9}}
"""
    )
    out = tmp_path / "batch.html"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pockit",
            "batch",
            str(spec),
            "--grid",
            "candidate=local,missing",
            "--runs-dir",
            str(tmp_path / "runs"),
            "--out",
            str(out),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 75, proc.stderr[-3000:]  # one point failed, one ran (not 1: NO-GO)
    data = json.loads(proc.stdout)
    by_name = {p["name"]: p for p in data["points"]}
    assert by_name["candidate=local"]["status"] == "ok"
    assert len(by_name["candidate=local"]["run_dirs"]) == 1
    assert Path(by_name["candidate=local"]["notebook"]).name == "poc_run-candidate=local.ipynb"
    assert by_name["candidate=missing"]["status"] == "failed"
    assert "missing" in by_name["candidate=missing"]["error"]
    html = out.read_text()
    assert check_html(html) == []
    assert "1 of 2 grid point(s) ran" in html
    assert "candidate=missing" in html or "missing" in html
