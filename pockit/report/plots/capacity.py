"""The ``load.shape.kind: capacity`` chart: latency (p50, p95) and error rate per step against the
offered rate, with the knee marked (the last passing and first failing step)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pockit.report.model import CapacityTrack
from pockit.report.plots.style import FAULT_COLOR, lit, new_figure, palette

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["capacity_curve"]


def _num(value: float | None) -> float:
    return math.nan if value is None else value


def capacity_curve(tracks: Sequence[CapacityTrack]) -> Figure | None:
    """Each capacity run's steps: p50 and p95 latency (ms, top) and error rate (bottom) against the
    offered rate, failing steps marked with an x, the knee bracket shaded. ``tracks`` is the report
    model's ``capacity`` (one per run with run.json's ``capacity`` record). None when there is none
    (the spec's shape is not a capacity ramp): then no chart."""
    if not tracks:
        return None
    colors = palette([t.label for t in tracks])
    fig, (lat, err) = new_figure((9.0, 6.0), nrows=2, sharex=True)
    for track in tracks:
        name, steps = track.label, track.steps
        rate = [s.rate for s in steps]
        color = colors[name]
        lat.plot(rate, [_num(s.p50_ms) for s in steps], color=color, ls="--", marker=".",
                 lw=1.0, label=lit(f"{name} p50"))  # fmt: skip
        lat.plot(rate, [_num(s.p95_ms) for s in steps], color=color, marker="o",
                 lw=1.6, label=lit(f"{name} p95"))  # fmt: skip
        err.plot(rate, [_num(s.error_rate) for s in steps], color=color, marker="o",
                 lw=1.4, label=lit(name))  # fmt: skip
        failed = [s for s in steps if s.outcome == "FAIL"]
        lat.scatter([s.rate for s in failed], [_num(s.p95_ms) for s in failed],
                    marker="x", s=80, color=FAULT_COLOR, zorder=5)  # fmt: skip
        last, first = track.last_pass, track.first_fail
        if last is not None:
            for ax in (lat, err):
                ax.axvline(last, color=color, lw=1.2, ls=":")
                if first is not None:
                    ax.axvspan(last, first, color=color, alpha=0.12)
            held = f"knee: held {last:g} req/s" + (
                f", failed {first:g}" if first is not None else ", no step failed"
            )
            lat.annotate(lit(held), (last, 0.97), xycoords=("data", "axes fraction"),
                         xytext=(4, -2), textcoords="offset points", va="top", fontsize=8,
                         color=color)  # fmt: skip
    lat.set_ylabel("latency (ms)")
    lat.set_title(
        "latency per step (x: the step failed its knee criteria)", loc="left", fontsize=10
    )
    err.set_ylabel("error rate")
    err.set_xlabel("offered rate (req/s, open model)")
    for ax in (lat, err):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    title = "Capacity: latency and errors against the offered rate, the knee shaded"
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    return fig
