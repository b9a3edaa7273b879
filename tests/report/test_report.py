"""`pockit report` end to end: real papermill kernel, real nbconvert, real SMTP socket on 127.0.0.1."""

from __future__ import annotations

import email
import json
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from pockit._errors import ReportError
from pockit._rundir import RunDir, iso
from pockit.report import SmtpSettings, build_email, build_report, check_html, send_email
from pockit.report._build import (
    CELL_TIMEOUT_S,
    CELL_TIMEOUT_S_PER_M,
    _cell_timeout,
    execute_notebook,
)

from .conftest import EVIL, SPEC_TEXT, make_run

pytestmark = pytest.mark.slow

MAX_BYTES = 1_000_000


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One report built through the real CLI (papermill + nbconvert), with its .eml."""
    work = tmp_path_factory.mktemp("report")
    (work / "locustfile.py").write_text("x = 1\n")
    spec = work / "poc.yaml"
    spec.write_text(SPEC_TEXT.format(locustfile=work / "locustfile.py"))
    runs = [
        make_run(work / "runs", "baseline", median_ms=60.0, seed=1),
        make_run(
            work / "runs",
            "async",
            median_ms=30.0,
            seed=2,
            start=datetime(2026, 1, 5, 10, 1, tzinfo=UTC),
        ),
    ]
    out = work / "out" / "report.html"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pockit",
            "report",
            str(spec),
            *(str(r.path) for r in runs),
            "--out",
            str(out),
            "--email-out",
            str(work / "mail"),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode in (0, 1, 2), proc.stderr[-3000:]
    data = json.loads(proc.stdout)
    return {
        "proc": proc,
        "data": data,
        "html": out.read_text(),
        "out": out,
        "work": work,
        "spec": spec,
        "runs": runs,
    }


def test_json_names_report_and_verdict_and_exit_code_follows_it(built: dict[str, Any]) -> None:
    data = built["data"]
    assert Path(data["report"]) == built["out"].resolve()
    assert data["verdict"] in ("GO", "NO-GO", "INCONCLUSIVE")
    assert built["proc"].returncode == {"GO": 0, "NO-GO": 1, "INCONCLUSIVE": 2}[data["verdict"]]


def test_html_is_self_contained(built: dict[str, Any]) -> None:
    html = built["html"]
    assert check_html(html) == []
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert html.count('src="data:image/png;base64,') >= 5  # the charts, inline
    assert built["out"].stat().st_size <= MAX_BYTES


def test_html_has_no_code(built: dict[str, Any]) -> None:
    html = built["html"]
    for code in ("import pockit", "pockit.load_spec", "plots.show(", "spec_path = "):
        assert code not in html
    assert "jp-InputArea-editor" not in html


def test_html_reads_top_down_with_verdict_first(built: dict[str, Any]) -> None:
    html = built["html"]
    verdict = built["data"]["verdict"]
    banner = html.index('id="verdict"')
    assert (
        f'<div class="verdict" style="font-size:28px;font-weight:700;letter-spacing:.5px;">{verdict}</div>'
        in html
    )
    for heading in (
        "Criteria",
        "Against the baseline",
        "Candidates side by side",
        "Latency over time",
        "Latency distribution",
        "Throughput and errors",
        "Cost",
        "Server-side metrics",
        "Recovery after faults",
        "Risks and productionization backlog",
        "Reproducibility",
    ):
        pos = html.find(f">{heading}<")
        assert pos > banner, heading
    assert "Production needs a warm pool" in html  # spec note in the backlog
    assert built["spec"].read_bytes() and "sha256" in html


def test_strings_from_data_are_escaped(built: dict[str, Any]) -> None:
    html = built["html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the endpoint name, shown as text
    assert EVIL not in html
    assert "&lt;b&gt;baseline&lt;/b&gt;" in html  # markup in the hypothesis is text too


def test_eml_is_inline_styled_with_cid_charts_and_report_attached(built: dict[str, Any]) -> None:
    emls = list((built["work"] / "mail").glob("*.eml"))
    assert len(emls) == 1
    msg = email.message_from_bytes(emls[0].read_bytes(), policy=policy.default)
    assert built["data"]["verdict"] in str(msg["Subject"])
    body = msg.get_body(preferencelist=("html",))
    assert body is not None
    html = body.get_content()
    assert "<style" not in html.lower() and "<script" not in html.lower()
    assert 'style="' in html
    cids = {p["Content-ID"].strip("<>") for p in msg.walk() if p.get_content_type() == "image/png"}
    assert cids and all(f"cid:{c}" in html for c in cids)
    attached = [p for p in msg.iter_attachments() if p.get_filename() == "report.html"]
    assert len(attached) == 1 and attached[0].get_content().rstrip("\n") == built["html"].rstrip(
        "\n"
    )
    assert EVIL not in html


class _SmtpSink(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to accept one message: a real socket, not a mock."""

    received: list[bytes] = []

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self._say("220 sink ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode(errors="replace").strip().upper()
            if cmd.startswith(("EHLO", "HELO")):
                self._say("250 sink")
            elif cmd.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self._say("250 ok")
            elif cmd == "DATA":
                self._say("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                type(self).received.append(data)
                self._say("250 queued")
            elif cmd == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 not implemented")


@pytest.fixture
def smtp_sink() -> Iterator[tuple[int, list[bytes]]]:
    _SmtpSink.received = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpSink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], _SmtpSink.received
    finally:
        server.shutdown()
        server.server_close()


def test_smtp_sends_to_a_real_socket(
    built: dict[str, Any], smtp_sink: tuple[int, list[bytes]]
) -> None:
    port, received = smtp_sink
    settings = SmtpSettings.from_env(
        {
            "POCKIT_SMTP_HOST": "127.0.0.1",
            "POCKIT_SMTP_PORT": str(port),
            "POCKIT_SMTP_TO": "sponsor@example.test",
            "POCKIT_SMTP_PASSWORD": "hunter2",
        }
    )
    assert "hunter2" not in repr(settings)
    from pockit.report import ReportResult

    result = ReportResult(
        path=built["out"],
        verdict=built["data"]["verdict"],
        size_bytes=0,
        executed_notebook=Path(built["data"]["executed_notebook"]),
    )
    send_email(build_email(result, result.executed_notebook), settings)
    assert len(received) == 1
    msg = email.message_from_bytes(received[0], policy=policy.default)
    assert msg["To"] == "sponsor@example.test"
    assert built["data"]["verdict"] in str(msg["Subject"])


def test_smtp_without_settings_is_a_usage_error() -> None:
    from pockit._errors import UsageError

    with pytest.raises(UsageError, match="POCKIT_SMTP_HOST"):
        SmtpSettings.from_env({})


def test_run_without_samples_still_builds_and_says_so(
    built: dict[str, Any], tmp_path: Path
) -> None:
    empty = RunDir.create(
        tmp_path / "runs",
        {"candidate": "async", "start": iso(datetime(2026, 1, 5, 11, tzinfo=UTC))},
    )
    empty.update_meta(status="completed", end=iso(datetime(2026, 1, 5, 11, 0, 10, tzinfo=UTC)))
    result = build_report(built["spec"], [empty], tmp_path / "empty.html")
    assert result.verdict == "INCONCLUSIVE"
    html = result.path.read_text()
    assert check_html(html) == []
    assert "INCONCLUSIVE" in html and "only 0 requests" in html


def _notebook(path: Path, code: str) -> Path:
    """A notebook at ``path``: a parameters cell (``x``), then ``code``, on the python3 kernel."""
    nb = new_notebook(
        cells=[new_code_cell("x = 1", metadata={"tags": ["parameters"]}), new_code_cell(code)]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def test_failing_cell_raises_report_error_with_the_cell(tmp_path: Path) -> None:
    src = _notebook(tmp_path / "broken.ipynb", "raise ValueError('the billing export is gone')")
    with pytest.raises(ReportError) as info:
        execute_notebook(src, tmp_path / "out.ipynb", {"x": 2})
    assert info.value.cell is not None and "the billing export is gone" in info.value.cell
    assert "ValueError" in str(info.value)


def test_a_cell_past_its_timeout_fails_the_report_and_the_default_grows_with_the_runs(
    tmp_path: Path,
) -> None:
    src = _notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(60)")
    with pytest.raises(ReportError, match="timed out"):
        execute_notebook(src, tmp_path / "out.ipynb", {"x": 2}, cell_timeout_s=1)
    run = make_run(tmp_path / "runs", "baseline", n=2000)
    assert _cell_timeout([str(run.path)]) == CELL_TIMEOUT_S + CELL_TIMEOUT_S_PER_M * 2000 / 1e6
    assert _cell_timeout([str(tmp_path / "missing")]) == CELL_TIMEOUT_S  # the notebook says why
