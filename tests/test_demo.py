"""`pockit demo` end to end: real demo service, real Locust processes, real papermill and nbconvert."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
import yaml

from tests._procs import leftovers

pytestmark = pytest.mark.slow


def _service_or_locust_children(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    work = tmp_path_factory.mktemp("demo")
    out = work / "demo.html"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pockit",
            "demo",
            "--duration",
            "6",
            "--users",
            "5",
            "--workdir",
            str(work / "work"),
            "--out",
            str(out),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    data = json.loads(proc.stdout)
    return {"data": data, "html": out.read_text(), "out": out, "work": work / "work"}


def test_demo_json_names_report_and_verdict(demo: dict[str, object]) -> None:
    data = demo["data"]
    assert isinstance(data, dict)
    assert Path(data["report"]) == Path(str(demo["out"])).resolve()
    assert data["verdict"] in {"GO", "NO-GO", "INCONCLUSIVE"}
    assert len(data["runs"]) == 2


def test_demo_runs_hold_every_request(demo: dict[str, object]) -> None:
    import polars as pl

    from pockit import RunDir

    data = demo["data"]
    assert isinstance(data, dict)
    for path in data["runs"]:
        run = RunDir.open(path)
        assert run.status == "completed"
        samples = run.read_samples()
        assert samples.height > 50
        # unrounded: Locust's own stats round to ~2 significant figures; ours keep fractions
        assert samples.filter(pl.col("latency_ms") != pl.col("latency_ms").round(0)).height > 0
        assert (run.locust_dir).is_dir()


def test_demo_html_is_self_contained(demo: dict[str, object]) -> None:
    html = str(demo["html"])
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I), (
        "fetches from the network"
    )
    assert "data:image/png;base64," in html, "charts must be inline"
    code_cells = re.findall(r'<div class="(jp-Cell jp-CodeCell[^"]*)"', html)
    assert code_cells and all("jp-mod-noInput" in c for c in code_cells), "code cells leaked"
    assert "jp-InputArea-editor" not in html and 'class="highlight' not in html
    assert "import pockit" not in html and "pockit.decide(" not in html, "notebook source leaked"
    assert len(html.encode()) <= 1_000_000


def test_demo_html_leads_with_verdict_and_reasons(demo: dict[str, object]) -> None:
    html = str(demo["html"])
    data = demo["data"]
    assert isinstance(data, dict)
    verdict_at = html.find(str(data["verdict"]))
    assert verdict_at != -1
    # the verdict comes before the first chart, and so does every criterion's one-line reason
    first_chart = html.find("data:image/png")
    assert verdict_at < first_chart
    work = Path(str(demo["work"]))
    decided = subprocess.run(
        [sys.executable, "-m", "pockit", "decide", str(work / "poc.yaml"), str(work / "runs"), "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    criteria = json.loads(decided.stdout)["criteria"]
    assert len(criteria) == 8  # 4 criteria x 2 candidates
    for c in criteria:
        assert escape(c["reason"], quote=False) in html[:first_chart], c["reason"]
    assert "generated sample" in html


def test_demo_leaves_no_process_behind(demo: dict[str, object]) -> None:
    assert leftovers(str(demo["work"])) == []
    # nothing listens any more on the ports this demo's service had (others' demos do not count)
    spec = yaml.safe_load((Path(str(demo["work"])) / "poc.yaml").read_text())
    ports = {urlsplit(c["host"]).port for c in spec["candidates"]}
    listening = {
        c.laddr.port
        for c in psutil.net_connections("tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr
    }
    assert not ports & listening


def test_ctrl_c_stops_demo_and_its_children(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pockit",
            "demo",
            "--duration",
            "30",
            "--users",
            "3",
            "--workdir",
            str(tmp_path / "work"),
            "--out",
            str(tmp_path / "demo.html"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        # wait until load is running: a Locust process exists below us
        while time.monotonic() < deadline:
            kids = _service_or_locust_children(proc.pid)
            if any("locust" in " ".join(k.cmdline()) for k in kids if k.is_running()):
                break
            time.sleep(0.5)
        else:
            pytest.fail("Locust never started")
        kids = _service_or_locust_children(proc.pid)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        gone, alive = psutil.wait_procs(kids, timeout=20)
        assert alive == [], [p.cmdline() for p in alive]
        assert proc.returncode != 0
        assert not (tmp_path / "demo.html").exists(), "an interrupted demo must not leave a report"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_wrong_out_fails_before_any_load(tmp_path: Path) -> None:
    """``--out`` is checked first: a typo costs a second, not the demo's load and notebooks."""
    out = subprocess.run(
        [sys.executable, "-m", "pockit", "demo", "--out", str(tmp_path / "report.txt")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert out.returncode == 64, out.stderr
    assert "ending in .html" in out.stderr and "demo service up" not in out.stderr
    assert not (tmp_path / "runs").exists()
