"""The report as an email: an inline-styled HTML body (verdict, headline numbers, charts as CID images)
with the full HTML report attached; written as ``.eml`` or sent over SMTP.

Mail clients strip ``<style>`` and block remote images, so the body uses ``style=""`` attributes only
and its charts travel inside the message (``cid:``). SMTP settings come from the environment
(``POCKIT_SMTP_*``), never from the spec: a spec is shared, a password must not be.
"""

from __future__ import annotations

import base64
import html
import ipaddress
import json
import os
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, cast

from pockit._errors import ReportError, UsageError
from pockit.report.model import HEADLINE_MIME, Headline

__all__ = ["SmtpSettings", "build_email", "send_email", "write_eml"]

_COLORS = {"GO": "#1b7f3b", "NO-GO": "#b42318", "INCONCLUSIVE": "#b54708"}
_OUTCOME_COLORS = {
    "PASS": "#1b7f3b",
    "FAIL": "#b42318",
    "WARN": "#b54708",
    "INCONCLUSIVE": "#616e7c",
}
#: At most this many charts ride along in the email body; the attached report has them all.
MAX_EMAIL_CHARTS = 3


@dataclass(frozen=True, kw_only=True)
class SmtpSettings:
    """Where to send: ``SmtpSettings.from_env()`` reads POCKIT_SMTP_HOST/PORT/STARTTLS/USER/PASSWORD/FROM/TO."""

    host: str
    port: int = 25
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    sender: str = "pockit@localhost"
    to: tuple[str, ...] = ()
    allow_plain: bool = False

    def check(self) -> None:
        """Refuse a login that would send the password in clear (no STARTTLS).

        ``POCKIT_SMTP_ALLOW_PLAIN=1`` lifts this, for a loopback server only (127.0.0.0/8, ::1,
        or ``localhost`` when it resolves to loopback): a password never crosses a network in clear.
        """
        if not self.user or self.starttls:
            return
        if not self.allow_plain:
            raise UsageError(
                f"POCKIT_SMTP_USER is set but POCKIT_SMTP_STARTTLS is not: logging in to "
                f"{self.host}:{self.port} would send the password in clear. Set POCKIT_SMTP_STARTTLS=1 "
                "(port 587 usually), or POCKIT_SMTP_ALLOW_PLAIN=1 for a loopback test server"
            )
        if not is_loopback(self.host):
            raise UsageError(
                f"POCKIT_SMTP_ALLOW_PLAIN allows a clear-text login to a loopback server only "
                f"(127.0.0.0/8, ::1, localhost); {self.host!r} is not one, so the password would "
                "cross the network in clear. Set POCKIT_SMTP_STARTTLS=1 instead"
            )

    def __repr__(self) -> str:  # never print the password
        return (
            f"SmtpSettings(host={self.host!r}, port={self.port}, starttls={self.starttls}, "
            f"user={self.user!r}, password={'***' if self.password else None}, to={self.to!r})"
        )

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SmtpSettings:
        e = dict(os.environ if env is None else env)
        host = _address_list("POCKIT_SMTP_HOST", e.get("POCKIT_SMTP_HOST", "").strip())
        if not host:
            raise UsageError(
                "--smtp needs POCKIT_SMTP_HOST (and POCKIT_SMTP_TO) in the environment"
            )
        to_text = _address_list("POCKIT_SMTP_TO", e.get("POCKIT_SMTP_TO", ""))
        to = tuple(a.strip() for a in to_text.split(",") if a.strip())
        if not to:
            raise UsageError(
                "--smtp needs POCKIT_SMTP_TO (comma-separated recipients) in the environment"
            )
        port_text = e.get("POCKIT_SMTP_PORT", "25").strip() or "25"
        try:
            port = int(port_text)
        except ValueError:
            raise UsageError(f"POCKIT_SMTP_PORT must be a number, got {port_text!r}") from None
        settings = cls(
            host=host,
            port=port,
            starttls=_flag(e.get("POCKIT_SMTP_STARTTLS")),
            user=e.get("POCKIT_SMTP_USER") or None,
            password=e.get("POCKIT_SMTP_PASSWORD") or None,
            sender=_address_list(
                "POCKIT_SMTP_FROM", e.get("POCKIT_SMTP_FROM") or "pockit@localhost"
            ),
            to=to,
            allow_plain=_flag(e.get("POCKIT_SMTP_ALLOW_PLAIN")),
        )
        settings.check()
        return settings


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address, or ``localhost`` resolving only to loopback ones."""
    name = host.strip().strip("[]").rstrip(".").lower()
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    if name != "localhost":  # another name could resolve anywhere, now or later
        return False
    try:
        infos = socket.getaddrinfo(name, None)
    except OSError:
        return False
    return bool(infos) and all(
        ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos
    )


#: Characters that end or fold a header line (CR, LF, other controls, Unicode line separators).
_HEADER_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def header_text(value: Any, *, limit: int = 200) -> str:
    """``value`` safe for an email header: control characters and line breaks become spaces, so
    text from a spec or from data (a PoC name, a verdict) can never start a header of its own."""
    text = " ".join(_HEADER_BREAKS.sub(" ", "" if value is None else str(value)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _address_list(name: str, value: str) -> str:
    if _HEADER_BREAKS.search(value):
        raise UsageError(f"{name} holds a control character or line break; give plain addresses")
    return value


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _notebook_facts(executed_notebook: Path | None) -> tuple[Headline, list[bytes]]:
    """The headline and chart PNGs the executed notebook holds (no recomputation)."""
    if executed_notebook is None or not Path(executed_notebook).is_file():
        return Headline(), []
    nb = json.loads(Path(executed_notebook).read_text())
    summary = Headline()
    pngs: list[bytes] = []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            data = out.get("data", {}) if isinstance(out, dict) else {}
            payload = data.get(HEADLINE_MIME)
            if isinstance(payload, dict):
                summary = Headline.from_dict(payload)
            png = data.get("image/png")
            if isinstance(png, str):
                pngs.append(base64.b64decode(png))
            elif isinstance(png, list):
                pngs.append(base64.b64decode("".join(png)))
    return summary, pngs


def _body_html(result: Any, summary: Headline, cids: list[str]) -> str:
    verdict = str(summary.verdict or getattr(result, "verdict", "INCONCLUSIVE"))
    color = _COLORS.get(verdict, _COLORS["INCONCLUSIVE"])
    font = "font-family:Arial,Helvetica,sans-serif;color:#1f2933;"
    parts = [
        f'<div style="{font}max-width:680px;">',
        f'<div style="background:{color};color:#ffffff;padding:14px 18px;border-radius:6px;">'
        f'<div style="font-size:26px;font-weight:bold;">{_esc(verdict)}</div>',
    ]
    if summary.title:
        parts.append(f'<div style="font-size:15px;">{_esc(summary.title)}</div>')
    if summary.hypothesis:
        parts.append(
            f'<div style="font-size:14px;margin-top:4px;">Hypothesis: {_esc(summary.hypothesis)}</div>'
        )
    if summary.recommended:
        parts.append(
            f'<div style="font-size:14px;margin-top:4px;">Recommended: <b>{_esc(summary.recommended)}</b></div>'
        )
    parts.append("</div>")
    rows = summary.criteria
    if rows:
        cell = "border:1px solid #d9e2ec;padding:4px 8px;font-size:13px;text-align:left;"
        parts.append(
            '<table style="border-collapse:collapse;margin:12px 0;" cellpadding="0" cellspacing="0">'
        )
        parts.append(
            "<tr>"
            + "".join(
                f'<th style="{cell}background:#f0f4f8;">{h}</th>'
                for h in ("candidate", "criterion", "outcome", "estimate", "reason")
            )
            + "</tr>"
        )
        for r in rows:
            oc = str(r.outcome if r.outcome is not None else "INCONCLUSIVE")
            oc_color = _OUTCOME_COLORS.get(oc, "#616e7c")
            parts.append(
                "<tr>"
                f'<td style="{cell}">{_esc(r.candidate)}</td>'
                f'<td style="{cell}">{_esc(r.label or r.metric)}</td>'
                f'<td style="{cell}color:{oc_color};font-weight:bold;">{_esc(oc)}</td>'
                f'<td style="{cell}">{_esc(r.estimate_text or r.estimate)}</td>'
                f'<td style="{cell}">{_esc(r.reason)}</td>'
                "</tr>"
            )
        parts.append("</table>")
    parts.append(_comparison_html(summary))
    for cid in cids:
        parts.append(
            f'<img src="cid:{cid[1:-1]}" alt="chart" width="640" style="display:block;max-width:100%;margin:8px 0;">'
        )
    parts.append(
        '<p style="font-size:12px;color:#616e7c;">The full report is attached as HTML; it opens offline in any browser.</p></div>'
    )
    return "".join(parts)


def _comparison_html(summary: Headline) -> str:
    """The baseline comparison ``decide`` made (inline-styled), or '' when the spec names no baseline."""
    from pockit._display import comparison_table

    comps = list(summary.comparisons)
    if not comps:
        return ""
    head = (
        '<div style="font-size:15px;font-weight:bold;margin:12px 0 4px;">'
        f"Against the baseline ({_esc(summary.baseline)})</div>"
    )
    return head + comparison_table(comps)


def _comparison_lines(summary: Headline) -> list[str]:
    """The baseline comparison as plain-text lines, each with its units and Holm p."""
    from pockit._display import interval, p_value, shift_text
    from pockit.criteria import unit as unit_of

    lines = []
    for c in summary.comparisons:
        unit = unit_of(str(c.get("metric", "")))
        margin = c.get("margin")
        margin_text = f"±{margin:.0%}" if isinstance(margin, int | float) else "—"
        lines.append(
            f"- {c.get('candidate')} vs {c.get('baseline')}, {c.get('metric')}: {c.get('result')}; "
            f"shift {shift_text(c)}, 95% interval "
            f"{interval(c.get('shift_ci_low'), c.get('shift_ci_high'), unit)}, margin {margin_text}, "
            f"{p_value(c.get('p_adjusted'))} (Holm)"
        )
    return lines


def build_email(
    result: Any,
    executed_notebook: str | Path | None = None,
    *,
    to: tuple[str, ...] = (),
    sender: str = "pockit@localhost",
) -> EmailMessage:
    """An EmailMessage for a built report: HTML body (inline styles, CID charts) + the report attached."""
    report = Path(result.path)
    summary, pngs = _notebook_facts(Path(executed_notebook) if executed_notebook else None)
    verdict = header_text(summary.verdict or result.verdict, limit=40)
    msg = EmailMessage()
    title = header_text(summary.title or report.stem)
    msg["Subject"] = f"[pockit] {verdict}: {title}"
    msg["From"] = header_text(sender)
    if to:
        msg["To"] = header_text(", ".join(to), limit=2000)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="pockit.local")
    charts = pngs[:MAX_EMAIL_CHARTS]
    cids = [make_msgid(domain="pockit.local") for _ in charts]
    lines = [f"pockit verdict: {verdict}", f"{title}"]
    if summary.hypothesis:
        lines.append(f"Hypothesis: {summary.hypothesis}")
    for r in summary.criteria:
        lines.append(
            f"- {r.candidate}: {r.label or r.metric} {r.outcome}"
            f" ({r.estimate_text or r.estimate}): {r.reason}"
        )
    comparison = _comparison_lines(summary)
    if comparison:
        lines.append(f"Against the baseline ({summary.baseline}):")
        lines.extend(comparison)
    lines.append("The full report is attached (HTML).")
    msg.set_content("\n".join(lines))
    msg.add_alternative(_body_html(result, summary, cids), subtype="html")
    html_part = cast(EmailMessage, msg.get_payload()[1])  # type: ignore[index]
    for n, (cid, png) in enumerate(zip(cids, charts, strict=True), start=1):
        # inline: the charts are part of the body; clients list "attachment" parts as files
        html_part.add_related(
            png,
            maintype="image",
            subtype="png",
            cid=cid,
            disposition="inline",
            filename=f"chart-{n}.png",
        )
    msg.add_attachment(
        report.read_text(encoding="utf-8"),
        subtype="html",
        charset="utf-8",
        cte="base64",
        filename=header_text(report.name),
    )
    return msg


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "report"


def write_eml(result: Any, executed_notebook: str | Path | None, out_dir: str | Path) -> Path:
    """Write the report's email to ``out_dir/<report>.eml`` and return its path."""
    msg = build_email(result, executed_notebook)
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_slug(Path(result.path).stem)}.eml"
    path.write_bytes(bytes(msg))
    return path


def send_email(
    msg: EmailMessage, settings: SmtpSettings | None = None, *, timeout_s: float = 30.0
) -> None:
    """Send ``msg`` over SMTP with settings from the environment (STARTTLS and login when set)."""
    s = settings or SmtpSettings.from_env()
    s.check()
    if "To" in msg:
        del msg["To"]
    msg["To"] = header_text(", ".join(s.to), limit=2000)
    if "From" in msg:
        del msg["From"]
    msg["From"] = header_text(s.sender)
    try:
        with smtplib.SMTP(s.host, s.port, timeout=timeout_s) as smtp:
            smtp.ehlo()
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, s.password or "")
            smtp.send_message(msg, from_addr=s.sender, to_addrs=list(s.to))
    except (OSError, smtplib.SMTPException) as exc:
        raise ReportError(
            f"could not send the report to {s.host}:{s.port} ({type(exc).__name__}: {exc}); check POCKIT_SMTP_*"
        ) from None
