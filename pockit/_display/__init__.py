"""How pockit's results look to a reader: numbers with units, intervals, p-values, outcome badges.

One home for the look of a verdict, shared by the result objects' ``_repr_html_`` (JupyterLab,
through IPython's display protocol), the report's HTML pieces (:mod:`pockit.report.render`) and the
email body. Every style is an inline ``style=""`` attribute, so the colours survive JupyterLab's
themes and mail clients that strip ``<style>``; the class names stay for the report's stylesheet
(print rules) and for tests. Low in the import graph: it imports nothing from pockit but ``_util``.

- :mod:`._format`: numbers with units, intervals, p-values, badges, tables, the verdict banner.
- :mod:`._results`: the HTML of the result objects (comparison, decision, stats, cost, spec).
"""

from __future__ import annotations

from pockit._display._format import (
    HEAD_BG,
    INK,
    MUTED,
    NO_BOUND_MARK,
    NO_BOUND_NOTE,
    OUTCOME_COLORS,
    OUTCOMES,
    P_FLOOR,
    RULE,
    VERDICT_COLORS,
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
from pockit._display._results import (
    COMPARISON_HEAD,
    ci_pair,
    comparison_rows,
    comparison_table,
    cost_html,
    criteria_rows,
    decision_html,
    shift_text,
    spec_html,
    stats_html,
    stats_rows,
    throughput_label,
)

__all__ = [
    "COMPARISON_HEAD",
    "HEAD_BG",
    "INK",
    "MUTED",
    "NO_BOUND_MARK",
    "NO_BOUND_NOTE",
    "OUTCOMES",
    "OUTCOME_COLORS",
    "P_FLOOR",
    "RULE",
    "VERDICT_COLORS",
    "as_dict",
    "badge",
    "bound_notes",
    "ci_pair",
    "comparison_rows",
    "comparison_table",
    "cost_html",
    "criteria_rows",
    "decision_html",
    "esc",
    "interval",
    "missing_bound",
    "note",
    "number",
    "p_value",
    "shift_text",
    "spec_html",
    "stats_html",
    "stats_rows",
    "table",
    "throughput_label",
    "unit_of",
    "verdict_block",
]
