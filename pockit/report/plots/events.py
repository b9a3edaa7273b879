"""Events on a time axis: the overlay every timeline chart draws (faults as red bands, idle gaps
as grey bands, phases as thin lines), and the helpers that put a run's clock on the x axis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pockit._contract import EventKind
from pockit.report.plots.style import FAULT_COLOR, PHASE_COLOR, lit

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = [
    "event_label",
    "is_fault",
    "mark_events",
    "run_origins",
    "to_utc",
    "with_elapsed",
]


def to_utc(value: Any) -> Any:
    import pandas as pd

    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def is_fault(kind: str) -> bool:
    return "fault" in kind.lower() or kind.lower() in ("kill", "latency", "error_rate")


def event_label(ev: Mapping[str, Any]) -> str:
    kind = str(ev.get("kind", "event"))
    extra = ev.get("fault_kind") or ev.get("phase") or ev.get("name") or ev.get("detail") or ""
    return f"{kind} {extra}".strip()[:40]


def with_elapsed(tl: pd.DataFrame) -> pd.DataFrame:
    """Add ``t_s``: seconds since the first bucket of the same run, so repeats line up."""
    df = tl.copy()
    df["ts"] = df["ts"].map(to_utc) if df["ts"].dtype == object else df["ts"]
    has_run = "run_id" in df.columns
    origin = df.groupby("run_id")["ts"].transform("min") if has_run else df["ts"].min()
    df["t_s"] = (df["ts"] - origin).dt.total_seconds()
    return df


def run_origins(tl: pd.DataFrame) -> dict[Any, Any]:
    if "run_id" not in tl.columns:
        return {}
    return {rid: to_utc(ts) for rid, ts in tl.groupby("run_id")["ts"].min().items()}


_GAP_COLOR = "#9aa5b1"
_SPAN_KINDS = (
    EventKind.FAULT_START,
    EventKind.FAULT_END,
    EventKind.IDLE_GAP_START,
    EventKind.IDLE_GAP_END,
)
_ALERT_COLOR = "#b54708"
_LINE_KINDS = (EventKind.PHASE, EventKind.LOAD_START, EventKind.LOAD_STOP)


def _event_x(ev: Mapping[str, Any], origins: Mapping[Any, Any]) -> float | None:
    origin = origins.get(ev.get("run_id"))
    if origin is None:
        return None
    return float((to_utc(ev["ts"]) - origin).total_seconds())


def _spans(
    events: Sequence[Mapping[str, Any]], origins: Mapping[Any, Any], start: str, end: str
) -> list[tuple[float, float, Mapping[str, Any]]]:
    """(x0, x1, start event) for each ``start`` event closed by the next ``end`` of the same run.

    Faults pair on their ``fault`` index; a span never closed runs to the right edge (``inf``).
    """
    out = []
    for i, ev in enumerate(events):
        if ev.get("kind") != start:
            continue
        x0 = _event_x(ev, origins)
        if x0 is None:
            continue
        x1 = float("inf")
        for later in events[i + 1 :]:
            if (
                later.get("kind") == end
                and later.get("run_id") == ev.get("run_id")
                and later.get("fault") == ev.get("fault")
                and later.get("gap") == ev.get("gap")
            ):
                x1 = _event_x(later, origins) or x1
                break
        out.append((x0, x1, ev))
    return out


def mark_events(
    ax: Axes,
    events: Sequence[Mapping[str, Any]],
    origins: Mapping[Any, Any],
    *,
    labels: bool = True,
) -> None:
    """Faults as red bands, idle gaps as grey bands, phases as thin unlabelled lines.

    Only what an on-call reader looks for gets a label (faults, idle gaps, a lost worker, a
    guardrail), once per distinct label and position, stacked so two labels never overlap.
    """
    lo, hi = ax.get_xlim()
    min_gap = max((hi - lo) * 0.12, 1e-9)
    placed: list[tuple[float, int]] = []  # (x, row) of labels already drawn
    seen: set[tuple[str, int]] = set()

    def label(x: float, text: str, color: str) -> None:
        key = (text, round(x))
        if not labels or key in seen:
            return
        seen.add(key)
        row = 0
        while any(abs(x - px) < min_gap and pr == row for px, pr in placed):
            row += 1
        if row > 3:
            return  # crowded: the band itself still shows; the table below names every event
        placed.append((x, row))
        ax.annotate(
            lit(text),
            xy=(max(x, lo), 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -3 - 9 * row),
            textcoords="offset points",
            fontsize=7,
            va="top",
            color=color,
            bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
        )

    drawn_lines: set[int] = set()
    for ev in events:
        kind = str(ev.get("kind", ""))
        if kind not in _LINE_KINDS:
            continue
        x = _event_x(ev, origins)
        if x is None or round(x * 10) in drawn_lines:
            continue
        drawn_lines.add(round(x * 10))
        ax.axvline(x, color=PHASE_COLOR, ls=(0, (3, 3)), lw=0.7, alpha=0.6)
    for x0, x1, ev in _spans(events, origins, EventKind.FAULT_START, EventKind.FAULT_END):
        right = x1 if x1 != float("inf") else hi
        ax.axvspan(x0, right, color=FAULT_COLOR, alpha=0.12, lw=0)
        ax.axvline(x0, color=FAULT_COLOR, lw=1.0, alpha=0.8)
        value = ev.get("value")
        extra = f" {value:g}" if isinstance(value, int | float) else ""
        label(x0, f"fault: {ev.get('fault_kind', '?')}{extra}", FAULT_COLOR)
    for x0, x1, _ev in _spans(events, origins, EventKind.IDLE_GAP_START, EventKind.IDLE_GAP_END):
        right = x1 if x1 != float("inf") else hi
        ax.axvspan(x0, right, color=_GAP_COLOR, alpha=0.18, lw=0)
        label(x0, "idle gap", PHASE_COLOR)
    for ev in events:
        kind = str(ev.get("kind", ""))
        if kind in _LINE_KINDS or kind in _SPAN_KINDS:
            continue
        x = _event_x(ev, origins)
        if x is None:
            continue
        color = FAULT_COLOR if is_fault(kind) else _ALERT_COLOR
        ax.axvline(x, color=color, lw=1.0, alpha=0.8)
        label(x, event_label(ev), color)
    ax.set_xlim(lo, hi)
