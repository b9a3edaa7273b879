"""The HTML of result objects (comparison, decision, stats, cost, spec) for ``_repr_html_`` and the report.

Built from the pieces in :mod:`pockit._display._format`; inline styles only, like the rest of the
package.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from pockit._display._format import (
    _NUM,
    _TH,
    INK,
    OUTCOME_COLORS,
    as_dict,
    badge,
    bound_notes,
    esc,
    interval,
    missing_bound,
    note,
    number,
    p_value,
    table,
    unit_of,
    verdict_block,
)

# -- the comparison against the baseline ---------------------------------------------------------


def shift_text(c: Mapping[str, Any]) -> str:
    """``+12.3 ms (+20.5 %)`` for a comparison's Hodges-Lehmann shift."""
    unit = unit_of(str(c.get("metric", "")))
    shift, rel = c.get("shift"), c.get("relative_shift")
    text = number(shift, unit)
    if isinstance(shift, int | float) and shift > 0:
        text = "+" + text
    if isinstance(rel, int | float) and math.isfinite(rel):
        text += f" ({rel:+.1%})"
    return text


def comparison_rows(comparisons: Iterable[Any]) -> list[list[Any]]:
    """Rows of the baseline comparison table (HTML cells), one per candidate × metric."""
    rows: list[list[Any]] = []
    for comp in comparisons:
        c = as_dict(comp)
        unit = unit_of(str(c.get("metric", "")))
        result = str(c.get("result") or "inconclusive")
        color = {
            "improved": OUTCOME_COLORS["PASS"],
            "regressed": OUTCOME_COLORS["FAIL"],
        }.get(result, INK if result == "no significant change" else OUTCOME_COLORS["WARN"])
        margin = c.get("margin")
        rows.append(
            [
                esc(c.get("candidate")),
                esc(c.get("baseline")),
                esc(c.get("metric")),
                ("num", esc(shift_text(c))),
                ("num", esc(interval(c.get("shift_ci_low"), c.get("shift_ci_high"), unit))),
                ("num", esc(f"±{margin:.0%}" if isinstance(margin, int | float) else "—")),
                f'<strong style="color:{color};">{esc(result)}</strong>',
                ("num", esc(p_value(c.get("p_adjusted")))),
                ("num", esc(f"{number(c.get('n'))} / {number(c.get('n_baseline'))}")),
            ]
        )
    return rows


COMPARISON_HEAD = (
    "candidate",
    "baseline",
    "metric",
    "shift (Hodges–Lehmann)",
    "95% interval",
    "margin",
    "verdict",
    "Holm p",
    "n / n baseline",
)


def comparison_table(comparisons: Iterable[Any]) -> str:
    """Each candidate against the baseline: shift, its interval, the margin, the words, Holm p."""
    rows = comparison_rows(comparisons)
    if not rows:
        return note("No baseline comparison (the spec names no baseline, or it has no runs).")
    return table(COMPARISON_HEAD, rows, cls="pockit-comparison") + note(
        "The shift is candidate − baseline (median of all pairwise differences), in the metric's "
        "unit and relative to the baseline median. The interval decides against the practical "
        "margin: regressed or improved when it lies wholly beyond it, no significant change when "
        "wholly inside, inconclusive (underpowered) otherwise. p is Mann–Whitney, Holm-corrected "
        "across metrics."
    )


# -- result objects ------------------------------------------------------------------------------


def criteria_rows(criteria: Iterable[Any]) -> list[list[Any]]:
    """Rows of a compact criteria table (HTML cells): candidate, criterion, outcome, estimate, bounds, n, reason."""
    rows: list[list[Any]] = []
    for crit in criteria:
        c = as_dict(crit)
        unit = unit_of(str(c.get("metric", "")))
        rows.append(
            [
                esc(c.get("candidate")),
                esc(c.get("label") or c.get("metric")),
                badge(c.get("outcome")),
                ("num", esc(number(c.get("estimate"), unit))),
                ("num", esc(interval(c.get("ci_low"), c.get("ci_high"), unit))),
                ("num", esc(number(c.get("n")))),
                ("reason", esc(c.get("reason"))),
            ]
        )
    return rows


def decision_html(decision: Any) -> str:
    """A Decision for JupyterLab: coloured verdict, criteria with badges, baseline comparison."""
    d = as_dict(decision)
    lines = [esc(d.get("reason"))] if d.get("reason") else []
    if d.get("recommended"):
        lines.append(f"Recommended candidate: <strong>{esc(d['recommended'])}</strong>")
    items = [
        f"<strong>{esc(name)}</strong> — {esc(c.get('verdict'))}: {esc(c.get('reason'))}"
        for name, c in (d.get("candidates") or {}).items()
        if isinstance(c, Mapping)
    ]
    parts = [
        verdict_block(
            d.get("verdict"),
            title=d.get("spec_name"),
            lines=lines,
            items=items,
            sha=str(d.get("spec_sha256") or "") or None,
        ),
        table(
            (
                "candidate",
                "criterion",
                "outcome",
                "estimate",
                "bounds (one-sided 95%)",
                "n",
                "reason",
            ),
            criteria_rows(d.get("criteria") or []),
            cls="pockit-criteria",
        ),
    ]
    if d.get("comparisons"):
        parts.append(comparison_table(d["comparisons"]))
    parts.extend(note(f"warning: {w}") for w in d.get("warnings") or [])
    return f'<div class="pockit-result" style="color:{INK};">{"".join(parts)}</div>'


def throughput_label(method: str | None) -> str:
    """The throughput row's name, saying what it divides by (from the stats' own method text)."""
    text = (method or "").lower()
    if "load window" in text:
        return "throughput (requests ÷ load window)"
    if "run duration" in text:
        return "throughput (requests ÷ run start..end)"
    return "throughput"


def ci_pair(ci: Any) -> tuple[Any, Any]:
    if isinstance(ci, Mapping):
        return ci.get("ci_low"), ci.get("ci_high")
    if isinstance(ci, list | tuple) and len(ci) >= 2:
        return ci[0], ci[1]
    return None, None


def stats_rows(
    stats: Mapping[str, Any],
    *,
    cost_per_1k: Mapping[str, Any] | None = None,
    method: str | None = None,
) -> tuple[list[str], list[tuple[str, list[str]]], set[str]]:
    """Candidates side by side as (names, rows of escaped cells, footnoted missing bound sides)."""
    names = list(stats)
    per = {name: as_dict(stats[name]) for name in names}
    missing: set[str] = set()

    def ci(lo: Any, hi: Any, unit: str) -> str:
        side = missing_bound(lo, hi)
        if side:
            missing.add(side)
        return esc(interval(lo, hi, unit, mark_missing=True))

    rows: list[tuple[str, list[str]]] = [
        ("requests (n)", [esc(number(per[n].get("n"))) for n in names]),
        ("success rate", [esc(number(per[n].get("success_rate"), "%")) for n in names]),
        (
            "success rate 95% interval",
            [ci(*ci_pair(per[n].get("success_rate_ci")), "%") for n in names],
        ),
        (
            throughput_label(method),
            [esc(number(per[n].get("throughput_rps"), "req/s")) for n in names],
        ),
    ]
    keys: list[str] = []
    for n in names:
        lat = per[n].get("latency_ms") or {}
        keys.extend(k for k in (lat if isinstance(lat, Mapping) else []) if k not in keys)
    for key in keys:
        pct = {n: (per[n].get("latency_ms") or {}).get(key) or {} for n in names}
        rows.append((f"latency {key}", [esc(number(pct[n].get("value"), "ms")) for n in names]))
        rows.append(
            (
                f"latency {key} 95% interval",
                [ci(pct[n].get("ci_low"), pct[n].get("ci_high"), "ms") for n in names],
            )
        )
    if cost_per_1k:
        rows.append(
            ("cost per 1k requests", [esc(number(cost_per_1k.get(n), "USD")) for n in names])
        )
    return names, rows, missing


def stats_html(
    stats: Mapping[str, Any],
    *,
    cost_per_1k: Mapping[str, Any] | None = None,
    method: str | None = None,
    cls: str = "pockit-candidates",
) -> str:
    """Candidates side by side (inline-styled), with a footnote for interval ends the data cannot set."""
    if not stats:
        return note("No run statistics.")
    names, rows, missing = stats_rows(stats, cost_per_1k=cost_per_1k, method=method)
    th = "".join(f'<th style="{_TH}">{esc(n)}</th>' for n in names)
    body = "".join(
        f'<tr><th style="{_TH}">{esc(label)}</th>'
        + "".join(f'<td class="num" style="{_NUM}">{v}</td>' for v in values)
        + "</tr>"
        for label, values in rows
    )
    return (
        f'<table class="{cls}" style="border-collapse:collapse;margin:8px 0;font-size:13px;color:{INK};">'
        f'<thead><tr><th style="{_TH}"></th>{th}</tr></thead><tbody>{body}</tbody></table>'
        + bound_notes(missing)
    )


def cost_html(cost: Any, *, candidate: str | None = None) -> str:
    """A cost result (attributed or a price-book projection) in a line: total, column, coverage."""
    d = as_dict(cost)
    who = (
        f"<strong>{esc(candidate or d.get('candidate') or '')}</strong> "
        if (candidate or d.get("candidate"))
        else ""
    )
    if not d or d.get("problem"):
        why = esc(d.get("problem") or "no billing data attached")
        return f'<p style="color:{INK};">{who}{badge("INCONCLUSIVE")} cost unknown — {why}</p>'
    currency = str(d.get("currency") or "")
    total = esc(number(d.get("total"), currency))
    if d.get("column") == "model":
        return f'<p style="color:{INK};">{who}projected total {total} from a price book (not billed cost)</p>'
    covers = d.get("covers_window")
    cover = (
        "billing covers the whole test window"
        if covers
        else f'<strong style="color:{OUTCOME_COLORS["WARN"]};">billing does not cover the whole '
        "test window yet</strong>"
    )
    services = sorted((d.get("by_service") or {}).items(), key=lambda kv: -float(kv[1] or 0.0))
    top = ", ".join(f"{esc(k)} {esc(number(v, currency))}" for k, v in services[:5])
    return (
        f'<p style="color:{INK};">{who}total {total} from the <code>{esc(d.get("column", "?"))}</code>'
        f" cost column, {esc(number(d.get('rows')))} billing row(s); {cover}."
        + (f"<br>by service: {top}" if top else "")
        + "</p>"
    )


# -- the spec ------------------------------------------------------------------------------------


def _seconds(value: Any) -> str:
    return "—" if value is None else number(value, "s")


def spec_html(spec: Any) -> str:
    """A :class:`pockit.spec.Spec` for JupyterLab: hypothesis, candidates, load, criteria, guardrails.

    Read by attribute (the spec imports this module, not the other way round); every value escaped.
    """
    parts = [
        f'<div class="pockit-spec" style="color:{INK};">'
        f'<div style="font-size:16px;font-weight:700;">{esc(spec.name)}</div>'
        f'<p style="margin:2px 0 8px;">{esc(spec.hypothesis)}</p>'
    ]
    cands = [
        [
            f"<strong>{esc(c.name)}</strong>"
            + (" (baseline)" if spec.baseline and spec.baseline.candidate == c.name else ""),
            f"<code>{esc(c.host)}</code>",
            esc(", ".join(f"{k}={v}" for k, v in c.tags.items()) or "—"),
            esc(c.description or ""),
        ]
        for c in spec.candidates
    ]
    parts.append(table(("candidate", "host", "tags", "description"), cands, cls="candidates"))
    load = spec.load
    if load is None:
        parts.append(note("no load section: this spec judges runs made elsewhere (pockit import)"))
    else:
        users = load.users if load.shape.kind == "constant" else f"{load.shape.kind} shape"
        parts.append(
            f'<p style="margin:4px 0;"><strong>load</strong> {esc(users)} user(s), '
            f"{esc(_seconds(load.duration_s))} × {esc(load.repeats)} repeat(s), spawn "
            f"{esc(number(load.spawn_rate, 'users/s'))}, cooldown {esc(_seconds(load.cooldown_s))}"
            + (f", {esc(load.workers)} worker(s)" if load.workers else "")
            + (f", stop_when {esc(load.stop_when)}" if load.stop_when != "off" else "")
            + f"; locustfile <code>{esc(load.locustfile)}</code></p>"
        )
    rows: list[list[Any]] = []
    for c in spec.criteria:
        unit = unit_of(c.metric)
        rows.append(
            [
                f"<code>{esc(c.metric)}</code>" + (f" [{esc(c.endpoint)}]" if c.endpoint else ""),
                ("num", esc(f"{c.op} {number(c.threshold, unit)}")),
                ("num", esc("—" if c.warn is None else number(c.warn, unit))),
                "key" if c.key else "",
                esc(c.on_missing),
            ]
        )
    parts.append(table(("criterion", "threshold", "warn band", "veto", "if missing"), rows))
    g = spec.guardrails
    budget = "" if g.max_budget_usd is None else f", budget {number(g.max_budget_usd, 'USD')}"
    parts.append(
        f'<p style="margin:4px 0;"><strong>guardrails</strong> hosts '
        f"{esc(', '.join(g.allowed_hosts))}; at most {esc(number(g.max_users, 'users'))}, "
        f"{esc(number(g.max_rps, 'req/s'))}, {esc(_seconds(g.max_duration_s))} per run"
        f"{esc(budget)}</p>"
    )
    sha = str(spec.sha256 or "")
    if sha:
        parts.append(note(f"spec sha256 {sha[:16]}…"))
    parts.append("</div>")
    return "".join(parts)
