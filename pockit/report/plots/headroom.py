"""Headroom and cardinality over time: each ``headroom:NAME`` source's utilisation with its P95
peak and the target band the criteria set, and Prometheus's series count."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pockit.criteria import OBS_SERIES
from pockit.report.plots.style import lit, message, new_figure, palette

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from pockit.decision import Decision

__all__ = ["headroom", "utilisation_band"]


def utilisation_band(decision: Decision, name: str) -> tuple[float, float]:
    """The utilisation the ``headroom:NAME`` criteria accept, ``(low, high)`` in [0, 1]: headroom
    ``>= 0.2`` caps utilisation at 0.8, headroom ``<= 0.4`` floors it at 0.6."""
    low, high = 0.0, 1.0
    for cand in decision.candidates.values():
        for c in cand.criteria:
            if c.metric != f"headroom:{name}":
                continue
            if c.op in (">", ">="):
                high = min(high, 1.0 - c.threshold)
            else:
                low = max(low, 1.0 - c.threshold)
    return low, high


def _peaks(decision: Decision, name: str) -> dict[str, float]:
    """Candidate -> its P95 utilisation (1 − the headroom estimate) for ``headroom:NAME``."""
    out: dict[str, float] = {}
    for cand in decision.candidates.values():
        for c in cand.criteria:
            if c.metric == f"headroom:{name}" and math.isfinite(c.estimate):
                out[cand.name] = 1.0 - c.estimate
    return out


def headroom(metrics: pd.DataFrame | None, decision: Decision) -> Figure | None:
    """One panel per ``headroom:NAME`` source (utilisation per candidate, its P95 peak dashed, the
    accepted band shaded) and one of Prometheus's series count; None when the spec has neither."""
    names = list(
        dict.fromkeys(
            c.metric.split(":", 1)[1]
            for cand in decision.candidates.values()
            for c in cand.criteria
            if c.metric.startswith("headroom:")
        )
    )
    wants_series = any(
        c.metric.startswith("cardinality_")
        for cand in decision.candidates.values()
        for c in cand.criteria
    )
    if not names and not wants_series:
        return None
    title = "Utilisation against the headroom band, and the series count"
    if metrics is None or len(metrics) == 0:
        return message(title, "No server-side metrics were fetched for these runs.")
    import pandas as pd

    df = metrics.copy()
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    panels = [*names, *([OBS_SERIES] if wants_series else [])]
    fig, grid = new_figure((9.0, 2.2 * len(panels)), len(panels), 1, sharex=True)
    axes = list(grid) if len(panels) > 1 else [grid]
    has_cand = "candidate" in df.columns
    colors = palette([str(c) for c in df["candidate"].unique()] if has_cand else [])
    for ax, name in zip(axes, panels, strict=True):
        g = df[df["metric"] == name]
        groups = g.groupby("candidate") if has_cand else [("", g)]
        for cand, gg in groups:
            ax.plot(gg["ts"], gg["value"], lw=1.1, color=colors.get(str(cand)), label=lit(cand))
        if name == OBS_SERIES:
            ax.set_ylabel("series", fontsize=8)
        else:
            low, high = utilisation_band(decision, name)
            ax.axhspan(low, high, color="tab:green", alpha=0.12, label="accepted utilisation")
            for cand, peak in _peaks(decision, name).items():
                ax.axhline(peak, ls="--", lw=1, color=colors.get(cand), label=lit(f"{cand} P95"))
            ax.set_ylim(0, 1.05)
            ax.set_ylabel(lit(f"{name[:24]}\n(utilisation)"), fontsize=8)
        if len(g):
            ax.legend(fontsize=7, loc="upper right")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time (UTC)")
    axes[0].set_title(title, loc="left", fontsize=11)
    return fig
