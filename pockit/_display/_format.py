"""Numbers with units, intervals, p-values, outcome badges, tables and the verdict banner (inline styles)."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

from pockit._util import plain_dict

#: Verdict and outcome colours (white text on them); the report's stylesheet uses the same values.
VERDICT_COLORS = {"GO": "#1b7f3b", "NO-GO": "#b42318", "INCONCLUSIVE": "#b54708"}
OUTCOME_COLORS = {
    "PASS": "#1b7f3b",
    "FAIL": "#b42318",
    "WARN": "#b54708",
    "INCONCLUSIVE": "#616e7c",
}
OUTCOMES = ("PASS", "WARN", "FAIL", "INCONCLUSIVE")
INK, MUTED, RULE, HEAD_BG = "#1f2933", "#616e7c", "#d9e2ec", "#f0f4f8"
#: Below this a p-value prints as ``p < 1e-16``: doubles cannot tell smaller values from 0.
P_FLOOR = 1e-16

_BANNER_CLASS = {"GO": "go", "NO-GO": "nogo", "INCONCLUSIVE": "inconclusive"}
_CELL = f"border:1px solid {RULE};padding:4px 8px;text-align:left;vertical-align:top;"
_NUM = _CELL + "text-align:right;font-variant-numeric:tabular-nums;"
_TH = _CELL + f"background:{HEAD_BG};color:{INK};font-weight:600;"
_NOTE = f"color:{MUTED};font-size:12px;margin:2px 0 8px;"

#: Footnote for an interval end the data cannot set (an order-statistic bound needs enough
#: requests beyond the percentile's rank).
NO_BOUND_NOTE = {
    "high": "no upper bound: too few samples above this percentile's rank for a 95% upper bound",
    "low": "no lower bound: too few samples below this percentile's rank for a 95% lower bound",
}
NO_BOUND_MARK = "†"


def esc(value: Any) -> str:
    """``value`` as text, escaped for HTML (quotes too: it may land in an attribute)."""
    return html.escape("" if value is None else str(value), quote=True)


def as_dict(obj: Any) -> dict[str, Any]:
    """A result object as a plain dict: ``to_dict()`` when it has one, a mapping as is, else ``{}``."""
    data = plain_dict(obj)
    return {} if data is None else data


def unit_of(metric: str) -> str:
    """The unit a metric's values are in, from its name (``latency_p95_ms`` -> ``ms``)."""
    if metric.endswith("_ms"):
        return "ms"
    if metric in ("success_rate", "error_rate") or metric.endswith("_rate"):
        return "%"
    if metric in ("observability_coverage", "cardinality_growth") or metric.startswith("headroom:"):
        return "%"  # shares, like the rates
    if metric == "cardinality_peak":
        return "series"
    if metric == "error_budget_burn":
        return "× budget"
    if metric.endswith("_usd"):
        return "USD"
    if metric.endswith("_rps"):
        return "req/s"
    if metric.endswith("_s"):
        return "s"
    return ""


def number(value: Any, unit: str = "", digits: int = 3) -> str:
    """A number for a reader, plain text: ``—`` when missing, ``12.3 ms``, ``99.50 %`` for ``unit='%'`` fractions.

    >>> number(12.3456, "ms"), number(0.995, "%"), number(None), number(float("inf"), "s")
    ('12.3 ms', '99.50 %', '—', '∞')
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, int | float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "∞" if value > 0 else ("−∞" if value < 0 else "—")
    if unit == "%":
        return f"{value * 100:.2f} %"
    if isinstance(value, int) or (abs(value) >= 100 and float(value).is_integer()):
        return f"{int(value):,} {unit}".strip()
    text = f"{value:.{digits}g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if abs(value) >= 10 and abs(value) < 1e6:
        text = f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{text} {unit}".strip()


def p_value(p: Any) -> str:
    """``p = 0.032``; ``p < 1e-16`` for what a double rounds to 0; ``p = —`` when there is none."""
    if not isinstance(p, int | float) or not math.isfinite(p):
        return "p = —"
    if p < P_FLOOR:
        return f"p < {P_FLOOR:g}"
    return f"p = {p:.2g}"


def interval(lo: Any, hi: Any, unit: str = "", *, mark_missing: bool = False) -> str:
    """``[lo, hi]`` in the unit; a missing end is ``—`` (with ``†`` when ``mark_missing``)."""
    if lo is None and hi is None:
        return "—"
    dash = "—" + (NO_BOUND_MARK if mark_missing else "")
    left = dash if lo is None else number(lo, unit)
    right = dash if hi is None else number(hi, unit)
    return f"[{left}, {right}]"


def missing_bound(lo: Any, hi: Any) -> str | None:
    """``"low"``/``"high"`` when exactly one end of an interval is missing (it needs a footnote)."""
    if lo is None and hi is not None:
        return "low"
    if hi is None and lo is not None:
        return "high"
    return None


def bound_notes(sides: Iterable[str]) -> str:
    """The footnotes for interval ends that could not be set, as an HTML paragraph ('' if none)."""
    seen = sorted(set(sides))
    if not seen:
        return ""
    text = "; ".join(NO_BOUND_NOTE[s] for s in seen)
    return f'<p class="pockit-note" style="{_NOTE}">{NO_BOUND_MARK} {esc(text)}.</p>'


def badge(outcome: Any) -> str:
    """An outcome (PASS/WARN/FAIL/INCONCLUSIVE) as a coloured badge."""
    text = str(outcome or "INCONCLUSIVE").upper()
    cls = text if text in OUTCOMES else "INCONCLUSIVE"
    style = (
        f"background:{OUTCOME_COLORS[cls]};color:#fff;font-weight:700;padding:1px 6px;"
        "border-radius:3px;white-space:nowrap;"
    )
    return f'<span class="outcome {cls}" style="{style}">{esc(text)}</span>'


def note(text: str) -> str:
    """A muted one-line note (escaped), e.g. where a chart would have had nothing to draw."""
    return f'<p class="pockit-note" style="{_NOTE}">{esc(text)}</p>'


def table(head: Sequence[str], rows: Iterable[Sequence[str]], *, cls: str = "") -> str:
    """An inline-styled table; ``head`` is plain text (escaped), cells are HTML already escaped.

    A cell given as ``("num", html)`` is right-aligned; ``(css_class, html)`` sets its class.
    """
    th = "".join(f'<th style="{_TH}">{esc(h)}</th>' for h in head)
    body = []
    for row in rows:
        cells = []
        for cell in row:
            kind, text = cell if isinstance(cell, tuple) else ("", cell)
            style = _NUM if kind == "num" else _CELL
            attr = f' class="{kind}"' if kind else ""
            cells.append(f'<td{attr} style="{style}">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    klass = f' class="{cls}"' if cls else ""
    return (
        f'<table{klass} style="border-collapse:collapse;margin:8px 0;font-size:13px;color:{INK};">'
        f"<thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def verdict_block(
    verdict: Any,
    *,
    title: str | None = None,
    lines: Sequence[str] = (),
    items: Sequence[str] = (),
    sha: str | None = None,
) -> str:
    """The verdict banner: the word on its colour, then ``lines`` (HTML) and an ``items`` list (HTML)."""
    word = str(verdict or "INCONCLUSIVE").upper()
    color = VERDICT_COLORS.get(word, VERDICT_COLORS["INCONCLUSIVE"])
    cls = _BANNER_CLASS.get(word, "inconclusive")
    parts = [
        f'<div class="pockit-banner {cls}" role="status" id="verdict" style="background:{color};'
        'color:#fff;border-radius:6px;padding:14px 18px;margin:8px 0 16px;">'
    ]
    if title:
        parts.append(f'<div class="pockit-title" style="font-size:15px;">{esc(title)}</div>')
    parts.append(
        '<div class="verdict" style="font-size:28px;font-weight:700;letter-spacing:.5px;">'
        f"{esc(word)}</div>"
    )
    parts.extend(f'<div style="margin:2px 0;">{line}</div>' for line in lines)
    if items:
        parts.append(
            '<ul style="margin:4px 0 0 18px;padding:0;">'
            + "".join(f"<li>{i}</li>" for i in items)
            + "</ul>"
        )
    if sha:
        parts.append(
            f'<div class="sha" style="font-size:12px;opacity:.85;">spec sha256 {esc(sha[:16])}…</div>'
        )
    parts.append("</div>")
    return "".join(parts)
