"""The email writer with hostile text: a clear-text login only to loopback, no header injection."""

from __future__ import annotations

import base64
import email
import json
from email import policy
from pathlib import Path
from types import SimpleNamespace

import pytest

from pockit._errors import UsageError
from pockit.report import SmtpSettings, build_email
from pockit.report._email import header_text, is_loopback, write_eml

from .test_email import _env


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.4.5", "::1", "[::1]", "localhost"])
def test_allow_plain_accepts_loopback(host: str) -> None:
    settings = SmtpSettings.from_env(
        {**_env(2525, POCKIT_SMTP_ALLOW_PLAIN="1"), "POCKIT_SMTP_HOST": host}
    )
    assert settings.allow_plain and settings.user == "pockit"


@pytest.mark.parametrize("host", ["smtp.example.com", "10.0.0.5", "0.0.0.0", "::ffff:8.8.8.8"])
def test_allow_plain_refuses_any_other_host(host: str) -> None:
    env = {**_env(2525, POCKIT_SMTP_ALLOW_PLAIN="1"), "POCKIT_SMTP_HOST": host}
    with pytest.raises(UsageError, match="loopback server only"):
        SmtpSettings.from_env(env)
    # built by hand too: the check runs again before sending
    by_hand = SmtpSettings(host=host, user="u", password="p", to=("a@b",), allow_plain=True)
    with pytest.raises(UsageError, match="loopback server only"):
        by_hand.check()


def test_is_loopback_does_not_trust_other_names() -> None:
    assert is_loopback("LOCALHOST.") and is_loopback("127.0.0.1")
    assert not is_loopback("localhost.example.com") and not is_loopback("")


def _hostile_report(tmp_path: Path, title: str, verdict: str) -> tuple[SimpleNamespace, Path]:
    report = tmp_path / "report.html"
    report.write_text("<html><body>report</body></html>", encoding="utf-8")
    payload = {"verdict": verdict, "title": title, "criteria": []}
    out = {"output_type": "display_data", "data": {"application/vnd.pockit.verdict+json": payload}}
    nb = tmp_path / "report.ipynb"
    png = {"output_type": "display_data", "data": {"image/png": base64.b64encode(b"x").decode()}}
    nb.write_text(json.dumps({"cells": [{"cell_type": "code", "outputs": [out, png]}]}))
    return SimpleNamespace(path=report, verdict="GO"), nb


def test_crlf_in_the_name_never_injects_a_header(tmp_path: Path) -> None:
    title = "checkout\r\nBcc: victim@example.com\r\n\r\n<b>body</b>"
    result, nb = _hostile_report(tmp_path, title, "GO\nX-Injected: yes")
    eml = write_eml(result, nb, tmp_path / "mail")  # wrote without crashing
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["Bcc"] is None and msg["X-Injected"] is None
    assert (
        str(msg["Subject"]).strip()
        == "[pockit] GO X-Injected: yes: checkout Bcc: victim@example.com <b>body</b>"
    )
    headers = eml.read_bytes().split(b"\n\n", 1)[0].decode()
    assert "\nBcc:" not in headers and "\nX-Injected:" not in headers


def test_header_text_drops_every_line_break() -> None:
    assert header_text("a\rb\nc\x00d\u2028e\x85f\tg") == "a b c d e f g"
    assert len(header_text("x" * 500)) == 200


def test_control_characters_in_smtp_addresses_are_refused() -> None:
    with pytest.raises(UsageError, match="POCKIT_SMTP_TO"):
        SmtpSettings.from_env({**_env(25), "POCKIT_SMTP_TO": "a@b\r\nBcc: c@d"})


def test_build_email_with_a_plain_name_is_unchanged(tmp_path: Path) -> None:
    result, nb = _hostile_report(tmp_path, "checkout-api", "NO-GO")
    assert build_email(result, nb)["Subject"] == "[pockit] NO-GO: checkout-api"
