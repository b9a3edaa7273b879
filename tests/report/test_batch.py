"""`pockit batch`: papermill over a grid with a real Locust subprocess against a real local HTTP server."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
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


class _Slow(_Ok):
    """30 ms per request, served one at a time: latency grows with the number of users."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        time.sleep(0.03)
        super().do_GET()


def _serve(httpd: HTTPServer) -> Iterator[str]:
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server() -> Iterator[str]:
    yield from _serve(ThreadingHTTPServer(("127.0.0.1", 0), _Ok))


@pytest.fixture
def serial_server() -> Iterator[str]:
    yield from _serve(HTTPServer(("127.0.0.1", 0), _Slow))


def _batch(spec: Path, runs: Path, out: Path, *grid: str) -> subprocess.CompletedProcess[str]:
    """``pockit batch SPEC --grid ... --json`` as a subprocess (the real command, with a timeout)."""
    flags = [arg for g in grid for arg in ("--grid", g)]
    return subprocess.run(
        [sys.executable, "-m", "pockit", "batch", str(spec), *flags]
        + ["--runs-dir", str(runs), "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )


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
    proc = _batch(spec, tmp_path / "runs", out, "candidate=local,missing")
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


def test_batch_over_users_judges_each_point_and_says_where_each_candidate_passes(
    tmp_path: Path, server: str, serial_server: str, locustfile: Path
) -> None:
    """Two candidates × users=1,6 against real servers: "fast" (threaded) holds its median at both,
    "serial" (one request at a time, 30 ms each) queues at 6 users, so its median passes 80 ms."""
    spec = tmp_path / "poc.yaml"
    spec.write_text(
        f"""\
name: grid-test
hypothesis: the fast server holds a 80 ms median at 6 users
candidates:
  - {{name: fast, host: "{server}"}}
  - {{name: serial, host: "{serial_server}"}}
load: {{locustfile: {locustfile}, users: 1, spawn_rate: 20, duration: 2s}}
criteria:
  - {{metric: latency_p50_ms, op: "<", threshold: 80, key: true}}
  - {{metric: success_rate, op: ">=", threshold: 0.8}}  # a 1-user point of ~1 s has ~20 requests
"""
    )
    out = tmp_path / "grid.html"
    proc = _batch(spec, tmp_path / "runs", out, "users=1,6", "candidate=fast,serial")
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout)
    verdicts = {p["name"]: p["verdict"] for p in data["points"]}
    assert verdicts == {
        "users=1-candidate=fast": "GO",
        "users=1-candidate=serial": "GO",
        "users=6-candidate=fast": "GO",
        "users=6-candidate=serial": "NO-GO",
    }, [(p["name"], p["verdict_reason"]) for p in data["points"]]
    slow6 = next(p for p in data["points"] if p["name"] == "users=6-candidate=serial")
    outcomes = {c["metric"]: c["outcome"] for c in slow6["criteria"]}
    assert outcomes == {"latency_p50_ms": "FAIL", "success_rate": "PASS"}
    sentence = "fast passes up to 6 users (every value tried); serial passes up to 1 user, not at 6 (NO-GO)."
    assert data["along"] == {
        "key": "users",
        "last_passing": {"fast": 6.0, "serial": 1.0},
        "sentence": sentence,
    }
    html = out.read_text()
    assert check_html(html) == []
    assert sentence in html
    table = html[html.index("batch-verdicts") :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 5  # header + 4 points
    assert table.count('class="outcome FAIL"') == 1 and table.count('class="outcome PASS"') == 7
    assert "Along the grid" in html and "<img" in html[html.index("Along the grid") :]
    assert "100.00 %" in html  # success rate as a percentage, not 1
