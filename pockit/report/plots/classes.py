"""Denies and request classes per endpoint: for each candidate's endpoints, two stacked bars of
shares of its requests — access (denied 401/403, throttled 429) and errors (transport, HTTP,
validation). The two stacks are drawn apart because the classes overlap across them (a failed 401
is denied and an HTTP error); within a stack they are disjoint, so the stack's length is a share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pockit.report.plots.style import lit, message, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["request_classes"]

#: (class, colour) of each stack, in drawing order.
ACCESS = (("denied", "#b54708"), ("throttled", "#f79009"))
ERRORS = (("transport", "#7a271a"), ("http", "#d92d20"), ("validation", "#9e77ed"))
#: At most this many bars' worth of endpoints (the rest are named in the title).
MAX_ROWS = 16


def _rows(endpoint_stats: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(candidate, endpoint, its class counts) with at least one request, in the model's order."""
    out = []
    for cand, stats in endpoint_stats.items():
        classes = getattr(stats, "request_classes", None) or {}
        for name, row in (classes.get("endpoints") or {}).items():
            if isinstance(row, Mapping) and row.get("n"):
                out.append((str(cand), str(name), row))
    return out


def request_classes(endpoint_stats: Mapping[str, Any]) -> Figure:
    """Shares of denied / throttled and of transport / HTTP / validation errors per endpoint
    (``ReportModel.endpoint_stats``: each candidate's ``run_stats``)."""
    title = "Denies and request classes per endpoint"
    rows = _rows(endpoint_stats)
    if not rows:
        return message(title, "No request classes: no runs, or runs without a status column.")
    if not any(row.get(c) for _, _, row in rows for c, _ in (*ACCESS, *ERRORS)):
        return message(title, "No denied, throttled or failed requests on any endpoint.")
    shown = rows[:MAX_ROWS]
    fig, ax = new_figure((9.0, 1.2 + 0.55 * len(shown)))
    labels = []
    for i, (cand, name, row) in enumerate(shown):
        n = float(row["n"])
        for offset, stack in ((-0.2, ACCESS), (0.2, ERRORS)):
            left = 0.0
            for cls, color in stack:
                share = 100.0 * float(row.get(cls) or 0) / n
                label = cls if i == 0 else None
                ax.barh(i + offset, share, height=0.38, left=left, color=color, label=label)
                left += share
        labels.append(lit(f"{cand} {name} (n={int(n)})"))
    ax.set_yticks(range(len(shown)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("share of the endpoint's requests (%) — upper bar: access, lower bar: errors")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))  # never over a bar
    more = f" (first {MAX_ROWS} of {len(rows)})" if len(rows) > MAX_ROWS else ""
    ax.set_title(title + more, loc="left", fontsize=11)
    return fig
