"""Candidates side by side: latency percentiles and success rate with their 95% intervals, and the
Pareto chart of cost per 1k requests against P95 latency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pockit._display import as_dict
from pockit.report.plots.style import WIDE, lit, message, new_figure, palette, pct_value

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from pockit.report.model import ParetoPoint

__all__ = ["candidates", "pareto"]


def candidates(stats: Mapping[str, Any]) -> Figure:
    """Candidates side by side: p50/p95/p99 with their 95% intervals, and success rate with its interval."""
    import numpy as np

    from pockit._display import ci_pair

    title = "Candidates side by side"
    per = {name: as_dict(s) for name, s in stats.items()}
    if not per:
        return message(title, "No run statistics.")
    names = list(per)
    keys: list[str] = []
    for s in per.values():
        for k in s.get("latency_ms") or {}:
            if k not in keys:
                keys.append(k)
    from matplotlib.ticker import FuncFormatter

    fig, (ax1, ax2) = new_figure(WIDE, 1, 2, width_ratios=[3, 1])
    width = 0.8 / max(len(names), 1)
    colors = palette(names)
    xs = np.arange(len(keys))
    for i, name in enumerate(names):
        vals = np.array([pct_value(per[name], k) for k in keys])
        lo = np.array([pct_value(per[name], k, "ci_low") for k in keys])
        hi = np.array([pct_value(per[name], k, "ci_high") for k in keys])
        err = np.vstack(
            [np.nan_to_num(vals - lo, nan=0.0), np.nan_to_num(hi - vals, nan=0.0)]
        ).clip(min=0)
        ax1.bar(
            xs + i * width - 0.4 + width / 2,
            vals,
            width,
            color=colors[name],
            label=lit(name),
            yerr=err,
            capsize=3,
        )
    ax1.set_xticks(xs)
    ax1.set_xticklabels([lit(k) for k in keys])
    ax1.set_ylabel("latency (ms)")
    ax1.set_title(f"{title}: latency percentiles (bars: 95% interval)", loc="left", fontsize=11)
    ax1.grid(alpha=0.3, axis="y")
    ax1.legend(fontsize=8)
    for i, name in enumerate(names):
        sr = per[name].get("success_rate")
        if not isinstance(sr, int | float):
            continue
        lo_, hi_ = ci_pair(per[name].get("success_rate_ci"))
        yerr = None
        if isinstance(lo_, int | float) and isinstance(hi_, int | float):
            yerr = [[max(0.0, (sr - lo_) * 100)], [max(0.0, (hi_ - sr) * 100)]]
        ax2.bar([i], [sr * 100], color=colors[name], yerr=yerr, capsize=3)
    ax2.set_xticks(range(len(names)))
    ax2.set_xticklabels([lit(n) for n in names], rotation=20, fontsize=8)
    ax2.set_ylabel("success rate (%)")
    srs = [float(v) for n in names if isinstance(v := per[n].get("success_rate"), int | float)]
    low = min(srs) * 100 if srs else 0.0
    ax2.set_ylim(max(0.0, min(low - 1.0, 99.0)), 100.0)
    ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax2.set_title("success rate", loc="left", fontsize=11)
    ax2.grid(alpha=0.3, axis="y")
    return fig


def pareto(
    points: Sequence[ParetoPoint | Mapping[str, Any]], *, frontier: Iterable[str] = ()
) -> Figure:
    """Cost per 1k requests against P95 latency, one point per candidate; the Pareto front is joined.

    ``points`` items carry ``candidate``, ``cost_per_1k`` and ``p95`` (optionally ``p95_ci_low``/
    ``p95_ci_high``, ``cost_ci_low``/``cost_ci_high``); ``frontier`` names the non-dominated ones as
    ``decision`` found them.
    """
    title = "Cost vs latency (Pareto)"
    pts = [
        p
        for p in (as_dict(q) for q in points)
        if isinstance(p.get("cost_per_1k"), int | float) and isinstance(p.get("p95"), int | float)
    ]
    if not pts:
        return message(
            title,
            "Cost per 1k requests is not known for any candidate (billing missing or not landed).",
        )
    names = [str(p["candidate"]) for p in pts]
    colors = palette(names)
    front = set(frontier)
    fig, ax = new_figure((7.0, 4.0))
    for p, name in zip(pts, names, strict=True):
        x, y = float(p["p95"]), float(p["cost_per_1k"])
        xerr = None
        lo, hi = p.get("p95_ci_low"), p.get("p95_ci_high")
        if isinstance(lo, int | float) and isinstance(hi, int | float):
            xerr = [[max(0.0, x - lo)], [max(0.0, hi - x)]]
        yerr = None
        clo, chi = p.get("cost_ci_low"), p.get("cost_ci_high")
        if isinstance(clo, int | float) and isinstance(chi, int | float):
            yerr = [[max(0.0, y - clo)], [max(0.0, chi - y)]]
        marker = "*" if name in front else "o"
        ax.errorbar(
            [x],
            [y],
            xerr=xerr,
            yerr=yerr,
            fmt=marker,
            ms=12 if marker == "*" else 7,
            color=colors[name],
            capsize=3,
        )
        ax.annotate(lit(name), (x, y), xytext=(6, 6), textcoords="offset points", fontsize=9)
    fr = sorted(
        (
            (float(p["p95"]), float(p["cost_per_1k"]))
            for p, n in zip(pts, names, strict=True)
            if n in front
        )
    )
    if len(fr) > 1:
        ax.plot(
            [a for a, _ in fr],
            [b for _, b in fr],
            color="#616e7c",
            ls="--",
            lw=1,
            label="Pareto front",
        )
        ax.legend(fontsize=8)
    ax.set_title(title + " — lower left is better; ★ non-dominated", loc="left", fontsize=11)
    ax.set_xlabel("P95 latency (ms)")
    ax.set_ylabel("cost per 1k requests (USD)")
    ax.grid(alpha=0.3)
    ax.margins(0.2)
    return fig
