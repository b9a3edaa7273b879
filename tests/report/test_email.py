"""The report email: inline chart parts, and SMTP login refused without STARTTLS."""

from __future__ import annotations

import base64
import email
import json
import socketserver
import threading
from collections.abc import Iterator
from email import policy
from pathlib import Path
from types import SimpleNamespace

import pytest

from pockit._errors import UsageError
from pockit.report import SmtpSettings, build_email, send_email

# smallest valid PNGs are not needed: the email carries the bytes as they are
PNGS = [b"\x89PNG\r\n\x1a\nchart-one", b"\x89PNG\r\n\x1a\nchart-two"]


def _report(tmp_path: Path) -> tuple[SimpleNamespace, Path]:
    report = tmp_path / "report.html"
    report.write_text("<html><body>report</body></html>", encoding="utf-8")
    outputs = [
        {"output_type": "display_data", "data": {"image/png": base64.b64encode(p).decode()}}
        for p in PNGS
    ]
    nb = tmp_path / "report.ipynb"
    nb.write_text(json.dumps({"cells": [{"cell_type": "code", "outputs": outputs}]}))
    return SimpleNamespace(path=report, verdict="GO"), nb


def test_charts_are_inline_with_distinct_names(tmp_path: Path) -> None:
    result, nb = _report(tmp_path)
    msg = email.message_from_bytes(bytes(build_email(result, nb)), policy=policy.default)
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert [p.get_content() for p in images] == PNGS
    assert [p.get_content_disposition() for p in images] == ["inline", "inline"]
    names = [p.get_filename() for p in images]
    assert len(set(names)) == len(names) == 2
    html = next(p for p in msg.walk() if p.get_content_type() == "text/html")
    for part in images:
        assert f"cid:{part['Content-ID'][1:-1]}" in html.get_content()
    attached = [p.get_filename() for p in msg.iter_attachments()]
    assert attached == ["report.html"]


class _AuthSink(socketserver.StreamRequestHandler):
    """A loopback SMTP server that offers AUTH PLAIN and records the commands: a real socket."""

    commands: list[str] = []

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self._say("220 sink ESMTP")
        while line := self.rfile.readline():
            cmd = line.decode(errors="replace").strip()
            type(self).commands.append(cmd)
            up = cmd.upper()
            if up.startswith(("EHLO", "HELO")):
                self._say("250-sink")
                self._say("250 AUTH PLAIN")
            elif up.startswith("AUTH"):
                self._say("235 ok")
            elif up.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self._say("250 ok")
            elif up == "DATA":
                self._say("354 go on")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                self._say("250 queued")
            elif up == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 not implemented")


@pytest.fixture
def auth_sink() -> Iterator[tuple[int, list[str]]]:
    _AuthSink.commands = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _AuthSink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], _AuthSink.commands
    finally:
        server.shutdown()
        server.server_close()


def _env(port: int, **extra: str) -> dict[str, str]:
    return {
        "POCKIT_SMTP_HOST": "127.0.0.1",
        "POCKIT_SMTP_PORT": str(port),
        "POCKIT_SMTP_TO": "sponsor@example.test",
        "POCKIT_SMTP_USER": "pockit",
        "POCKIT_SMTP_PASSWORD": "hunter2",
        **extra,
    }


def test_login_without_starttls_is_refused(
    tmp_path: Path, auth_sink: tuple[int, list[str]]
) -> None:
    port, commands = auth_sink
    with pytest.raises(UsageError, match="POCKIT_SMTP_STARTTLS"):
        SmtpSettings.from_env(_env(port))
    # settings built by hand are checked when sending, before anything reaches the socket
    result, nb = _report(tmp_path)
    plain = SmtpSettings(
        host="127.0.0.1", port=port, user="pockit", password="hunter2", to=("a@b",)
    )
    with pytest.raises(UsageError, match="in clear"):
        send_email(build_email(result, nb), plain)
    assert commands == []


def test_allow_plain_logs_in_on_a_loopback_server(
    tmp_path: Path, auth_sink: tuple[int, list[str]]
) -> None:
    port, commands = auth_sink
    settings = SmtpSettings.from_env(_env(port, POCKIT_SMTP_ALLOW_PLAIN="1"))
    result, nb = _report(tmp_path)
    send_email(build_email(result, nb), settings)
    assert any(c.upper().startswith("AUTH PLAIN") for c in commands)
    assert any(c.upper() == "DATA" for c in commands)
