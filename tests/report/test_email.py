"""The report email: inline chart parts, and SMTP login refused without STARTTLS."""

from __future__ import annotations

import base64
import email
import json
from email import policy
from pathlib import Path
from types import SimpleNamespace

from pockit.report import build_email

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
