"""The ``load.stop_when: decided`` chart: each watched criterion's anytime-valid bounds over the run."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pockit.report.model import StopWhenTrack
from pockit.report.plots.style import FAULT_COLOR, lit, message, new_figure, palette

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["stop_when_bounds"]


def stop_when_bounds(tracks: Sequence[StopWhenTrack]) -> Figure | None:
    """``load.stop_when: decided``: each watched criterion's anytime-valid bounds on its share over
    the run, the threshold share, and the moment the run was stopped. ``tracks`` is the report
    model's ``stop_when`` (one per run with run.json's ``stop_when`` record). None when there is
    none (the spec did not ask for it): then there is no chart.
    """
    if not tracks:
        return None
    labels: list[str] = []
    p0: dict[str, float] = {}
    for track in tracks:
        for name, share in track.thresholds.items():
            if name not in labels:
                labels.append(name)
            p0.setdefault(name, math.nan if share is None else share)
    title = "Stop when decided: anytime-valid 95% bounds on each criterion's share over the run"
    if not labels:
        return message(title, "No criterion is a share of requests: nothing was decided early.")
    colors = palette([t.label for t in tracks])
    fig, axes = new_figure((9.0, 1.0 + 2.0 * len(labels)), nrows=len(labels), sharex=True)
    axes = list(axes) if len(labels) > 1 else [axes]
    for ax, crit in zip(axes, labels, strict=True):
        for track in tracks:
            looks = [look for look in track.looks if crit in look.bounds]
            if not looks:
                continue
            xs = [look.elapsed_s for look in looks]
            lo = [_or_nan(look.bounds[crit][0]) for look in looks]
            hi = [_or_nan(look.bounds[crit][1]) for look in looks]
            color = colors[track.label]
            ax.fill_between(xs, lo, hi, color=color, alpha=0.18, step="post")
            ax.step(xs, lo, where="post", color=color, lw=1.4, marker=".", label=lit(track.label))
            ax.step(xs, hi, where="post", color=color, lw=1.0, ls="--", marker=".")
            if track.stopped_at_s is not None:
                at = track.stopped_at_s
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


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value
