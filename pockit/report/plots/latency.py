"""Latency charts: per second over each run, the whole distribution as a percentile plot, and each
candidate's percentiles with their 95% intervals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pockit.report.plots.events import mark_events, run_origins, with_elapsed
from pockit.report.plots.style import (
    is_empty,
    lit,
    message,
    new_figure,
    palette,
    pct_value,
    plot_run,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from pockit.analysis import LatencyCurve

__all__ = ["latency_distribution", "latency_intervals", "latency_over_time"]


def latency_over_time(
    tl: pd.DataFrame, events: Sequence[Mapping[str, Any]] = (), *, percentile: str = "p95"
) -> Figure:
    """Client latency per second for each run (seconds since the run's start), with fault/phase markers."""
    title = f"Latency over time ({percentile}, per 1 s bucket)"
    if is_empty(tl) or percentile not in tl.columns:
        return message(title, "No samples in the timeline.")
    df = with_elapsed(tl)
    cands = list(dict.fromkeys(df["candidate"])) if "candidate" in df.columns else ["all"]
    colors = palette(cands)
    fig, ax = new_figure()
    groups = df.groupby("run_id") if "run_id" in df.columns else [("all", df)]
    labelled: set[str] = set()
    for _rid, g in groups:
        cand = str(g["candidate"].iloc[0]) if "candidate" in g.columns else "all"
        label = cand if cand not in labelled else None
        labelled.add(cand)
        g = g.sort_values("t_s")
        plot_run(
            ax,
            g["t_s"].to_numpy(),
            g[percentile].to_numpy(),
            color=colors.get(cand),
            lw=1.3,
            label=label,
        )
        if "p50" in g.columns and percentile != "p50":
            ax.plot(g["t_s"], g["p50"], color=colors.get(cand), lw=0.8, alpha=0.55, ls="--")
    mark_events(ax, events, run_origins(df))
    ax.set_title(title + " — dashed: p50", loc="left", fontsize=11)
    ax.set_xlabel("seconds since run start (s)")
    ax.set_ylabel(f"{percentile} latency (ms)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(title="candidate", fontsize=8, loc="upper right")
    return fig


def latency_distribution(latencies: Mapping[str, LatencyCurve | Sequence[float] | Any]) -> Figure:
    """Percentile plot per candidate: latency (log scale) against percentile, tail stretched out.

    ``latencies`` maps candidate -> its :class:`~pockit.analysis.LatencyCurve` (the report model's
    ``latencies``: exact order statistics at each bin boundary, built in bounded memory) or an array
    of latencies, turned into the same curve. The x axis is ``1 / (1 - q)`` on a log scale, the
    usual way to show a latency tail: p50, p90, p99, p99.9 sit at equal distances.
    """
    from pockit.analysis import LatencyCurve, curve_from_values

    title = "Latency distribution (percentile plot)"
    curves = {
        name: v if isinstance(v, LatencyCurve) else curve_from_values(name, v)
        for name, v in latencies.items()
        if v is not None and len(v) > 0
    }
    names = [n for n, c in curves.items() if c.n > 0]
    if not names:
        return message(title, "No successful requests to plot.")
    colors = palette(names)
    fig, ax = new_figure()
    right = 2.0
    for name in names:
        curve = curves[name]
        xs = [1.0 / (1.0 - q) for q in curve.q]
        ax.plot(xs, curve.latency_ms, color=colors[name], lw=1.4,
                label=lit(f"{name} (n={curve.n:,})"))  # fmt: skip
        right = max(right, xs[-1] * 1.3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ticks = [t for t in (0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999) if 1 / (1 - t) <= right]
    ax.set_xticks([1 / (1 - t) for t in ticks])
    ax.set_xticklabels([f"p{t * 100:g}" for t in ticks])
    ax.set_xlim(1.5, right)
    from matplotlib.ticker import FuncFormatter, LogLocator

    plain = FuncFormatter(lambda v, _pos: f"{v:g}")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda _v, _pos: ""))
    ax.set_title(title, loc="left", fontsize=11)
    ax.set_xlabel("percentile")
    ax.set_ylabel("latency (ms, log scale)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="upper left")
    return fig


def latency_intervals(stats: Mapping[str, Any]) -> Figure:
    """Each candidate's p50/p95/p99 as a point with its 95% interval, on a log axis.

    A log axis keeps every candidate readable when one tail is 100× another's (bars on a linear
    axis flatten the small ones to nothing). An interval end the data cannot set is drawn as an
    open arrow to the axis edge.
    """
    import math

    from matplotlib.ticker import FuncFormatter

    from pockit._display import as_dict

    title = "Latency percentiles with 95% intervals (log scale)"
    per = {str(name): as_dict(s) for name, s in stats.items()}
    keys: list[str] = []
    for s in per.values():
        keys.extend(k for k in s.get("latency_ms") or {} if k not in keys)
    if not per or not keys:
        return message(title, "No latency statistics.")
    names = list(per)
    colors = palette(names)
    fig, ax = new_figure((9.0, 1.2 + 0.55 * len(keys) * max(len(names), 1)))
    step = 0.8 / max(len(names), 1)
    positive: list[float] = []
    for i, name in enumerate(names):
        for j, key in enumerate(keys):
            y = j + 0.4 - step * (i + 0.5)
            v, lo, hi = (pct_value(per[name], key, f) for f in ("value", "ci_low", "ci_high"))
            if not (math.isfinite(v) and v > 0):
                continue
            positive.extend(x for x in (v, lo, hi) if math.isfinite(x) and x > 0)
            left = v - lo if math.isfinite(lo) and lo > 0 else 0.0
            right = hi - v if math.isfinite(hi) else 0.0
            ax.errorbar(
                [v],
                [y],
                xerr=[[left], [right]],
                fmt="o",
                color=colors[name],
                capsize=3,
                label=lit(name) if j == 0 else None,
            )
            if not math.isfinite(hi):  # no upper bound: say so on the chart
                ax.annotate(
                    "no upper bound",
                    (v, y),
                    xytext=(8, -3),
                    textcoords="offset points",
                    fontsize=8,
                    color="#616e7c",
                )
    if not positive:
        return message(title, "No positive latencies to draw.")
    ax.set_xscale("log")
    ax.set_xlim(min(positive) / 1.5, max(positive) * 2.0)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.set_yticks(range(len(keys)))
    ax.set_yticklabels(keys)
    ax.set_ylim(-0.6, len(keys) - 0.4)
    ax.invert_yaxis()
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(alpha=0.3, axis="x", which="both")
    ax.legend(title="candidate", fontsize=8, loc="lower right")
    return fig
