"""The ``load.stop_when: decided`` chart: each watched criterion's anytime-valid bounds over the run."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pockit._contract import RunField
from pockit.report.plots.style import FAULT_COLOR, lit, message, new_figure, palette

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["stop_when_bounds"]


def stop_when_bounds(runs: Iterable[Any]) -> Figure | None:
    """``load.stop_when: decided``: each watched criterion's anytime-valid bounds on its share over
    the run, the threshold share, and the moment the run was stopped. None when no run has the
    ``stop_when`` record in its run.json (the spec did not ask for it): then there is no chart.
    """
    import math

    from pockit._contract import StopCode

    records: list[tuple[str, dict[str, Any], bool]] = []
    for run in runs:
        meta = getattr(run, "meta", {}) or {}
        rec = meta.get(RunField.STOP_WHEN)
        if isinstance(rec, dict) and rec.get("history"):
            label = f"{meta.get(RunField.CANDIDATE)} r{meta.get(RunField.REPEAT) or 0}"
            records.append((label, rec, meta.get(RunField.STOP_CODE) == StopCode.DECIDED))
    if not records:
        return None
    labels: list[str] = []
    p0: dict[str, float] = {}
    for _, rec, _ in records:
        crits = [c for c in rec.get("criteria") or [] if isinstance(c, dict)]
        names = rec.get("labels") or [c.get("metric") for c in crits]
        for name, c in zip(names, crits, strict=False):
            if str(name) not in labels:
                labels.append(str(name))
            p0.setdefault(str(name), float(c.get("p0") or math.nan))
    title = "Stop when decided: anytime-valid 95% bounds on each criterion's share over the run"
    if not labels:
        return message(title, "No criterion is a share of requests: nothing was decided early.")
    colors = palette([r[0] for r in records])
    fig, axes = new_figure((9.0, 1.0 + 2.0 * len(labels)), nrows=len(labels), sharex=True)
    axes = list(axes) if len(labels) > 1 else [axes]
    for ax, crit in zip(axes, labels, strict=True):
        for name, rec, stopped in records:
            xs, lo, hi = [], [], []
            for look in rec["history"]:
                for c in look.get("criteria") or []:
                    if str(c.get("label") or c.get("metric")) == crit:
                        xs.append(float(look.get("elapsed_s") or 0.0))
                        lo.append(math.nan if c.get("lo") is None else float(c["lo"]))
                        hi.append(math.nan if c.get("hi") is None else float(c["hi"]))
            if not xs:
                continue
            color = colors[name]
            ax.fill_between(xs, lo, hi, color=color, alpha=0.18, step="post")
            ax.step(xs, lo, where="post", color=color, lw=1.4, marker=".", label=lit(name))
            ax.step(xs, hi, where="post", color=color, lw=1.0, ls="--", marker=".")
            if stopped:
                at = float(rec.get("elapsed_s") or xs[-1])
                ax.axvline(at, color=color, lw=1.2, ls=":")
                ax.annotate(
                    "decided: stopped",
                    (at, 0.02),
                    xycoords=("data", "axes fraction"),
                    xytext=(-4, 2),
                    textcoords="offset points",
                    ha="right",
                    fontsize=8,
                    color=color,
                )
        if math.isfinite(p0.get(crit, math.nan)):
            ax.axhline(p0[crit], color=FAULT_COLOR, lw=1.0, label="threshold share")
        ax.set_ylabel("share")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(lit(crit), loc="left", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    axes[-1].set_xlabel("seconds of load (solid: lower bound, dashed: upper bound)")
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    return fig
