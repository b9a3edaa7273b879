"""Escaped HTML pieces for the report: verdict banner, criteria table, candidates, cost, risks.

Every string that comes from data (hypothesis, endpoint names, tags, error texts, reasons) passes
through :func:`html.escape` here, so a notebook can hand the result to ``IPython.display.HTML``
without opening the report to markup injection. The numbers shown are the ones ``analysis`` and
``decision`` computed; nothing is recomputed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pockit._display import (
    OUTCOMES,
    as_dict,
    badge,
    esc,
    note,
    number,
    stats_html,
    verdict_block,
)
from pockit._display import (
    comparison_table as _comparison_table,
)
from pockit.criteria import unit

if TYPE_CHECKING:
    from pockit.report.model import PriceModel, Reproducibility

__all__ = [
    "as_dict",
    "candidates_table",
    "comparison_table",
    "endpoints_table",
    "esc",
    "note",
    "cost_summary",
    "criteria_table",
    "fmt",
    "repro_appendix",
    "price_model_summary",
    "risks_list",
    "short_method",
    "table",
    "verdict_banner",
]

_OUTCOMES = OUTCOMES
_unit = unit  # the registry's unit of a metric (pockit.criteria)


def fmt(value: Any, unit: str = "", digits: int = 3) -> str:
    """A number for a reader, escaped: ``—`` when missing, ``12.3 ms``, ``99.50 %`` for ``unit='%'`` fractions."""
    return esc(number(value, unit, digits))


def _interval(lo: Any, hi: Any, unit: str) -> str:
    if lo is None and hi is None:
        return "—"
    return f"[{fmt(lo, unit)}, {fmt(hi, unit)}]"


def _bounds(c: Mapping[str, Any], unit: str) -> str:
    """A criterion's bounds; a measured total (bounds equal to the estimate) says so instead."""
    lo, hi, est = c.get("ci_low"), c.get("ci_high"), c.get("estimate")
    if lo is not None and lo == hi == est:
        return "exact (no sampling)"
    return _interval(lo, hi, unit)


def _outcome(outcome: Any) -> str:
    return badge(outcome)


def _criterion_label(c: Mapping[str, Any]) -> str:
    metric = str(c.get("metric", "?"))
    endpoint = c.get("endpoint")
    where = f" [{endpoint}]" if endpoint else ""
    threshold = c.get("threshold")
    thr = fmt(threshold) if isinstance(threshold, int | float) else esc(threshold)
    return f"{esc(metric)}{esc(where)} {esc(c.get('op', ''))} {thr}"


def verdict_banner(
    decision: Any, *, hypothesis: str | None = None, title: str | None = None
) -> str:
    """The top of the report: verdict, hypothesis, recommended candidate, one line per candidate.

    Each candidate's line gives its verdict, how many criteria passed, and names the ones that did
    not; the criteria table right below carries every number.
    """
    d = as_dict(decision)
    hyp = hypothesis if hypothesis is not None else d.get("hypothesis")
    lines = (
        [f'<span class="hyp" style="font-size:16px;">Hypothesis: {esc(hyp)}</span>'] if hyp else []
    )
    rec = d.get("recommended")
    if rec:
        lines.append(f"Recommended candidate: <strong>{esc(rec)}</strong>")
    return verdict_block(
        d.get("verdict"),
        title=title,
        lines=lines,
        items=_candidate_lines(d),
        sha=str(d.get("spec_sha256") or "") or None,
    )


def _candidate_lines(d: Mapping[str, Any]) -> list[str]:
    """One line (HTML) per candidate: verdict, outcome counts, the criteria that did not pass (escaped)."""
    by_cand: dict[str, list[Mapping[str, Any]]] = {}
    for c in d.get("criteria") or []:
        by_cand.setdefault(str(c.get("candidate") or ""), []).append(c)
    cands = d.get("candidates") if isinstance(d.get("candidates"), Mapping) else {}
    rec = d.get("recommended")
    order = sorted(by_cand, key=lambda n: (n != rec, list(by_cand).index(n)))
    lines = []
    for name in order:
        crits = by_cand[name]
        info = cands.get(name) if isinstance(cands, Mapping) else None
        info = info if isinstance(info, Mapping) else {}
        counts = [
            f"{sum(str(c.get('outcome', '')).upper() == o for c in crits)} {o}"
            for o in _OUTCOMES
            if any(str(c.get("outcome", "")).upper() == o for c in crits)
        ]
        not_passed = [
            f"{_criterion_label(c)} <strong>{esc(str(c.get('outcome', '?')).upper())}</strong>"
            for c in crits
            if str(c.get("outcome", "")).upper() != "PASS"
        ]
        verdict = info.get("verdict")
        head = f"<strong>{esc(name)}</strong>" if name else "all runs"
        if verdict:
            head += f" — {esc(verdict)}"
        text = f"{head}: {', '.join(counts)}"
        if not_passed:
            text += " — " + "; ".join(not_passed)
        elif info.get("reason"):
            text += f" — {esc(info['reason'])}"
        lines.append(text)
    return lines


#: Short names for the statistical methods the decision states, matched on the full text.
_METHOD_SHORT = (
    ("Clopper-Pearson", "order statistic / Clopper-Pearson, one-sided 95%"),
    ("Mann-Whitney", "Mann-Whitney U + Hodges-Lehmann shift"),
    ("SLO target", "error-budget burn, Wilson interval"),
    ("Wilson", "Wilson score interval"),
    ("Garwood", "Poisson (Garwood) interval"),
    ("Poisson", "Poisson interval"),
    ("billing", "billing total ÷ requests × 1000"),
    ("fault_end", "time to recover after a fault"),
    ("batch means", "mean, one-sided t over batch means"),
)


def short_method(method: str) -> str:
    """A table-cell name for a method text (the full text goes once in the footnotes)."""
    for needle, short in _METHOD_SHORT:
        if needle.lower() in method.lower():
            return short
    head = method.split(";")[0].split(" (")[0].strip()
    return head if len(head) <= 48 else head[:47].rstrip() + "…"


def criteria_table(decision: Any) -> str:
    """One row per candidate × criterion: outcome, estimate, 95% bounds, n, method, reason.

    The method column holds a short name with a footnote number; each full method text is listed
    once under the table, so rows stay one or two lines high.
    """
    d = as_dict(decision)
    rows = d.get("criteria") or []
    if not rows:
        return '<p class="pockit-note">No criteria were evaluated.</p>'
    head = (
        "<thead><tr><th>candidate</th><th>criterion</th><th>key</th><th>outcome</th><th>estimate</th>"
        "<th>95% bounds</th><th>n</th><th>method</th><th>reason</th></tr></thead>"
    )
    methods: list[str] = []
    body = []
    for c in rows:
        unit = _unit(str(c.get("metric", "")))
        method = str(c.get("method") or "")
        if method and method not in methods:
            methods.append(method)
        note = f' <sup class="fn">[{methods.index(method) + 1}]</sup>' if method else ""
        body.append(
            "<tr>"
            f"<td>{esc(c.get('candidate', ''))}</td>"
            f'<td class="crit">{_criterion_label(c)}</td>'
            f"<td>{'yes' if c.get('key') else ''}</td>"
            f"<td>{_outcome(c.get('outcome'))}</td>"
            f'<td class="num">{fmt(c.get("estimate"), unit)}</td>'
            f'<td class="num">{_bounds(c, unit)}</td>'
            f'<td class="num">{fmt(c.get("n"))}</td>'
            f'<td class="method">{esc(short_method(method)) if method else "—"}{note}</td>'
            f'<td class="reason">{esc(c.get("reason", ""))}</td>'
            "</tr>"
        )
    notes = "".join(f"<li>{esc(m)}</li>" for m in methods)
    foot = (
        '<div class="pockit-methods"><p>Methods. Bounds are one-sided 95% on the side that decides '
        "PASS/FAIL; the candidates table below shows two-sided 95% intervals, so the two differ "
        f"slightly.</p><ol>{notes}</ol></div>"
        if methods
        else ""
    )
    return f'<table class="pockit-criteria">{head}<tbody>{"".join(body)}</tbody></table>{foot}'


def candidates_table(
    stats: Mapping[str, Any],
    *,
    cost_per_1k: Mapping[str, Any] | None = None,
    method: str | None = None,
) -> str:
    """Candidates side by side: requests, success rate, throughput, p50/p95/p99 with intervals, cost/1k.

    ``method`` is the stats' method text (``RunStats.method``): the throughput row says what it
    divides by. An interval end the data cannot set is marked and footnoted.
    """
    return stats_html(stats, cost_per_1k=cost_per_1k, method=method)


def comparison_table(decision: Any) -> str:
    """The comparison against ``baseline.candidate`` that ``decide`` made: shift, interval, margin, words, Holm p."""
    d = as_dict(decision)
    if not d.get("baseline") and not d.get("comparisons"):
        return note("The spec names no baseline (baseline.candidate): no comparison was made.")
    return _comparison_table(d.get("comparisons") or [])


def endpoints_table(stats_by_candidate: Mapping[str, Any]) -> str:
    """One row per candidate × endpoint: requests, failed, success rate, p50/p95/p99 in ms.

    ``stats_by_candidate`` maps a candidate to its own :class:`~pockit.analysis.RunStats` (or its
    ``to_dict()``), so no row pools two candidates.
    """
    head = ("candidate", "endpoint", "requests", "failed", "success rate", "p50", "p95", "p99")
    rows: list[list[Any]] = []
    for cand, stats in stats_by_candidate.items():
        endpoints = as_dict(stats).get("endpoints") or {}
        for name, e in endpoints.items():
            lat = e.get("latency_ms") or {}
            rows.append(
                [esc(cand), esc(name)]
                + [("num", fmt(e.get(k))) for k in ("n", "n_failed")]
                + [("num", fmt(e.get("success_rate"), "%"))]
                + [
                    ("num", fmt((lat.get(k) or {}).get("value"), "ms"))
                    for k in ("p50", "p95", "p99")
                ]
            )
    if not rows:
        return note("No per-endpoint statistics.")
    from pockit._display import table as styled_table

    return styled_table(head, rows, cls="pockit-endpoints")


def table(rows: Any, *, columns: Sequence[str] | None = None, max_rows: int = 50) -> str:
    """Any rows (pandas/polars frame, list of dicts) as an escaped HTML table, at most ``max_rows``."""
    records: list[Mapping[str, Any]]
    if hasattr(rows, "to_dicts"):  # polars
        records = rows.to_dicts()
    elif hasattr(rows, "to_dict") and hasattr(rows, "columns"):  # pandas
        records = rows.to_dict(orient="records")
    else:
        records = [dict(r) for r in (rows or [])]
    if not records:
        return '<p class="pockit-note">(no rows)</p>'
    cols = list(columns) if columns else list(records[0])
    more = len(records) - max_rows
    head = "<tr>" + "".join(f"<th>{esc(c)}</th>" for c in cols) + "</tr>"
    body = []
    for r in records[:max_rows]:
        cells = []
        for c in cols:
            v = r.get(c)
            if isinstance(v, int | float) and not isinstance(v, bool):
                cells.append(f'<td class="num">{fmt(v)}</td>')
            else:
                cells.append(f"<td>{esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    tail = f'<p class="pockit-note">… {more} more row(s) not shown.</p>' if more > 0 else ""
    return f"<table><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>{tail}"


def cost_summary(cost: Any, *, candidate: str | None = None, label: str | None = None) -> str:
    """Attributed cost and how it was computed: cost column, proration, whether billing covers the window."""
    d = as_dict(cost)
    who = f"{esc(candidate)}: " if candidate else ""
    tag = f' <span class="pockit-label">{esc(label)}</span>' if label else ""
    if not d or d.get("problem"):
        why = esc(d.get("problem") or "no billing data attached")
        return (
            f'<p class="pockit-note"><strong>{who}cost unknown</strong> — {why}. '
            f"Cost criteria are INCONCLUSIVE.{tag}</p>"
        )
    currency = d.get("currency") or ""
    if d.get("column") == "model":
        return (
            f"<p>{who}projected total {fmt(d.get('total'), str(currency))} from "
            f"{esc(d.get('source', 'a price book'))}: {esc(d.get('proration', ''))}. "
            f"A projection from unit prices, not billed cost.{tag}</p>"
        )
    covers = d.get("covers_window")
    source = f" from <code>{esc(d['source'])}</code>" if d.get("source") else ""
    cover_text = (
        "billing covers the whole test window"
        if covers
        else "billing does <strong>not</strong> cover the whole test window yet (it may not have landed)"
    )
    return (
        f"<p>{who}total {fmt(d.get('total'), str(currency))}, from the "
        f"<code>{esc(d.get('column', '?'))}</code> cost column, prorated by "
        f"{esc(d.get('proration', 'time overlap'))}; {cover_text}; {fmt(d.get('rows'))} billing row(s)"
        f"{source}.{tag}</p>"
    )


def price_model_summary(priced: PriceModel | Mapping[str, Any]) -> str:
    """What the price book says: cost per 1k at each candidate's measured rate, and break-evens."""
    model = as_dict(priced)
    cur = str(model.get("currency", "USD"))
    items = [
        f"<li><strong>{esc(name)}</strong> (price book entry <code>{esc(model['keys'][name])}</code>): "
        f"{fmt(per_1k, cur)} per 1k requests at the measured {fmt(model['measured_rps'].get(name), 'req/s')}</li>"
        for name, per_1k in sorted(model.get("at_measured", {}).items())
    ]
    for pair in model.get("break_even", []):
        a, b = esc(pair["a"]), esc(pair["b"])
        if pair.get("rps"):
            below = esc(pair.get("cheaper_below"))
            items.append(
                f"<li>{a} and {b} cost the same per 1k requests at <strong>{fmt(pair['rps'], 'req/s')}</strong>; "
                f"below that {below} is cheaper, above it the other.</li>"
            )
        else:
            items.append(f"<li>{a} and {b} never cost the same between the rates priced.</li>")
    return (
        f"<p>Cost model from <code>{esc(Path(str(model.get('book', ''))).name)}</code>: cost per 1k "
        "requests as a function of request rate (per-request, compute, instance-hour, egress and log "
        "prices), so the answer holds beyond the rate this test reached.</p>"
        f"<ul>{''.join(items)}</ul>"
    )


def risks_list(items: Iterable[str | tuple[str, str]]) -> str:
    """A bulleted list of risks/backlog items; a tuple is ``(severity, text)``."""
    lis = []
    for item in items:
        if isinstance(item, tuple):
            sev, text = item
            lis.append(f"<li><strong>{esc(sev)}</strong>: {esc(text)}</li>")
        else:
            lis.append(f"<li>{esc(item)}</li>")
    if not lis:
        return '<p class="pockit-note">Nothing detected.</p>'
    return "<ul>" + "".join(lis) + "</ul>"


def repro_appendix(facts: Reproducibility | Mapping[str, Any]) -> str:
    """Key/value facts (spec sha256, versions, commands, run ids) as an escaped definition table."""
    rows = []
    for key, value in as_dict(facts).items():
        if isinstance(value, list | tuple):
            text = "<br>".join(f"<code>{esc(v)}</code>" for v in value) or "—"
        else:
            text = f"<code>{esc(value)}</code>"
        rows.append(f"<tr><th>{esc(key)}</th><td>{text}</td></tr>")
    return f'<table class="pockit-repro">{"".join(rows)}</table>'
