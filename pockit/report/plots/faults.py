"""Detect and recover around each fault: error rate and latency per second of the run, the fault's
window shaded, the moments the decision measured (client-side detection, alert firing, recovery)
as vertical lines; a moment that never happened is said in the panel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pockit.report.model import FaultWindow
from pockit.report.plots.style import FAULT_COLOR, is_empty, lit, message, new_figure

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["fault_timeline"]

#: At most this many faults get a column (the rest are named in the title).
MAX_FAULTS = 4
_COLORS = {"detect": "#1f6feb", "recover": "#1a7f37"}
_STYLES = ("-", "--", ":", "-.")


def fault_timeline(
    tl: pd.DataFrame,
    faults: Sequence[FaultWindow],
    *,
    before_s: float = 5.0,
    after_s: float = 20.0,
    percentile: str = "p95",
) -> Figure:
    """Error rate (top) and ``percentile`` latency (bottom) per second around each fault, t = 0 at
    its start: the fault window shaded, detection (blue) and recovery (green) moments marked."""
    title = "Detect and recover around each fault"
    if not faults:
        return message(title, "No faults were injected in these runs.")
    if is_empty(tl) or "run_id" not in tl.columns:
        return message(title, "No samples in the timeline.")
    import pandas as pd

    df = tl.copy()
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    shown = list(faults)[:MAX_FAULTS]
    fig, grid = new_figure((9.0, 4.6), 2, len(shown), sharex="col")
    axes = grid.reshape(2, len(shown))  # one fault: a column of two axes all the same
    for col, fw in enumerate(shown):
        top, bottom = axes[0][col], axes[1][col]
        t0 = pd.Timestamp(fw.start).tz_convert("UTC")
        g = df[df["run_id"] == fw.run_id]
        rel = (g["ts"] - t0).dt.total_seconds()
        span = (fw.end - fw.start).total_seconds() if fw.end is not None else None
        hi = after_s if span is None else max(after_s, span + 10.0)
        win = g[(rel >= -before_s) & (rel <= hi)]
        x = (win["ts"] - t0).dt.total_seconds()
        if "error_rate" in win.columns:
            top.plot(x, win["error_rate"] * 100.0, lw=1.2, color="#444")
        if percentile in win.columns:
            bottom.plot(x, win[percentile], lw=1.2, color="#444")
        notes: list[str] = []
        for ax in (top, bottom):
            ax.axvspan(0, span if span is not None else hi, color=FAULT_COLOR, alpha=0.12, lw=0)
            ax.axvline(0, color=FAULT_COLOR, lw=1)
            ax.grid(alpha=0.3)
        for i, mark in enumerate(fw.marks):
            if mark.at_s is None:
                notes.append(f"{mark.label}: never")
                continue
            style = _STYLES[i % len(_STYLES)]
            for ax in (top, bottom):
                ax.axvline(mark.at_s, color=_COLORS.get(mark.kind, "#555"), lw=1.4, ls=style)
            text = f"{mark.label} {mark.at_s:.1f} s"
            if (
                mark.kind == "recover" and span is not None
            ):  # recovery_s counts from the fault's end
                text = f"recovered at {mark.at_s:.1f} s ({mark.label} {mark.at_s - span:.1f} s)"
            top.plot([], [], color=_COLORS.get(mark.kind, "#555"), ls=style, label=lit(text))
        if any(m.at_s is not None for m in fw.marks):
            top.legend(fontsize=7, loc="upper right")
        head = f"{fw.candidate} · fault {fw.fault} {fw.kind}".strip()
        top.set_title(lit(head + ("\n" + "; ".join(notes) if notes else "")), fontsize=8)
        bottom.set_xlabel("s from fault start")
    axes[0][0].set_ylabel("errors (%)")
    axes[1][0].set_ylabel(f"{percentile} latency (ms)")
    more = f" (first {MAX_FAULTS} of {len(faults)})" if len(faults) > MAX_FAULTS else ""
    fig.suptitle(title + more, x=0.01, ha="left", fontsize=11)
    return fig
