"""A batch grid along a numeric key: latency, throughput and error rate as curves, one per candidate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pockit.report.plots.style import WIDE, lit, message, new_figure, palette

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from pockit.analysis import Estimate, GroupStats
    from pockit.report.grid import GridPoint

__all__ = ["grid_bars", "grid_curves"]


def _triple(est: Estimate | None, scale: float = 1.0) -> tuple[float, float, float]:
    """An estimate as (value, low, high) × ``scale``; NaN where missing, an end the data could not
    set is NaN too (drawn without its bar)."""
    import math

    if est is None:
        return math.nan, math.nan, math.nan

    def f(v: float) -> float:
        return v * scale if math.isfinite(v) else math.nan

    return f(est.value), f(est.ci_low), f(est.ci_high)


def _errorbar_along(
    ax: Axes, xs: Sequence[float], vals: Sequence[tuple[float, float, float]], **kw: Any
) -> None:
    """A line through ``(value, low, high)`` triples with their intervals (missing ends omitted)."""
    import math

    ys = [v for v, _, _ in vals]
    lo = [v - low if math.isfinite(low) else 0.0 for v, low, _ in vals]
    hi = [high - v if math.isfinite(high) else 0.0 for v, _, high in vals]
    ax.errorbar(xs, ys, yerr=[lo, hi], capsize=3, **kw)


def grid_curves(
    key: str,
    series: Mapping[str, Sequence[tuple[float, GroupStats]]],
    last_pass: Mapping[str, float | None],
) -> Figure:
    """Latency (p50/p95/p99, log axis), throughput and error rate along a numeric grid key, one
    line per series (candidate), each point with its 95% interval; a series' last passing value
    (the largest ``key`` value at which its verdict is GO) is marked with a dotted vertical line
    and a star on its p95 line.

    ``series`` maps a name to ``(grid value, the runs' overall GroupStats)`` pairs; ``last_pass`` maps it to its
    last passing value (None: it passes nowhere).
    """
    import math

    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    title = f"Latency, throughput and errors along {key}"
    drawn = {n: sorted(pts, key=lambda t: t[0]) for n, pts in series.items() if pts}
    if not drawn:
        return message(title, "No grid point produced runs.")
    colors = palette(list(drawn))
    fig, (ax_lat, ax_rps, ax_err) = new_figure((9.0, 3.8), 1, 3)
    styles = {"p50": ":", "p95": "-", "p99": "--"}
    xs_all: set[float] = set()
    positive: list[float] = []
    for name, pts in drawn.items():
        xs = [x for x, _ in pts]
        xs_all.update(xs)
        color = colors[str(name)]
        for pct, ls in styles.items():
            vals = [_triple(s.latency_ms.get(pct)) for _, s in pts]
            if not any(math.isfinite(v) for v, _, _ in vals):
                continue
            positive.extend(x for t in vals for x in t if math.isfinite(x) and x > 0)
            _errorbar_along(ax_lat, xs, vals, color=color, ls=ls, marker="o", ms=3)
        _errorbar_along(
            ax_rps,
            xs,
            [_triple(s.throughput_rps) for _, s in pts],
            color=color,
            marker="o",
            ms=3,
            label=lit(name),
        )
        err = [_triple(s.error_rate, 100.0) for _, s in pts]
        _errorbar_along(ax_err, xs, err, color=color, marker="o", ms=3)
        last = last_pass.get(name)
        if last is not None:
            for ax in (ax_lat, ax_rps, ax_err):
                ax.axvline(last, color=color, ls=(0, (1, 2)), lw=1.5, alpha=0.8)
            at_last = dict(pts).get(last)
            star = _triple(at_last.latency_ms.get("p95"))[0] if at_last is not None else math.nan
            if math.isfinite(star):
                ax_lat.plot([last], [star], marker="*", ms=12, color=color)
            ax_rps.plot(
                [], [], color=color, ls=(0, (1, 2)), label=lit(f"{name}: last pass {last:g}")
            )
        else:
            ax_rps.plot([], [], color="none", label=lit(f"{name}: passes nowhere"))
    ticks = sorted(xs_all)
    for ax in (ax_lat, ax_rps, ax_err):
        ax.set_xticks(ticks)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        ax.set_xlabel(lit(key))
        ax.grid(alpha=0.3)
    if positive:
        ax_lat.set_yscale("log")
        ax_lat.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax_lat.set_ylabel("latency (ms, log scale)")
    ax_lat.set_title("p50 · p95 · p99 (95% interval)", loc="left", fontsize=10)
    ax_lat.legend(
        handles=[Line2D([], [], color="#616e7c", ls=ls, label=pct) for pct, ls in styles.items()],
        fontsize=7,
    )
    ax_rps.set_ylabel("throughput (req/s)")
    ax_rps.set_ylim(bottom=0)
    ax_rps.set_title("throughput", loc="left", fontsize=10)
    ax_rps.legend(fontsize=7)
    ax_err.set_ylabel("error rate (%)")
    ax_err.set_ylim(bottom=0)
    ax_err.set_title("error rate", loc="left", fontsize=10)
    fig.suptitle(lit(title), x=0.01, ha="left", fontsize=11)
    return fig


def grid_bars(points: Sequence[GridPoint]) -> Figure:
    """P95 latency (with its interval) and throughput for every grid point that ran."""
    ok = [p for p in points if p.ok and p.stats is not None]
    if not ok:
        return message("Grid comparison", "No grid point produced runs.")
    fig, (ax1, ax2) = new_figure(WIDE, 1, 2)
    labels = [p.name for p in ok]
    vals, lo, hi, rps = [], [], [], []
    for p in ok:
        assert p.stats is not None
        v, low, high = _triple(p.stats.latency_ms.get("p95"))
        vals.append(v)
        lo.append(max(0.0, v - low) if low == low else 0.0)  # NaN != NaN: no lower end
        hi.append(max(0.0, high - v) if high == high else 0.0)
        r = _triple(p.stats.throughput_rps)[0]
        rps.append(r if r == r else 0.0)
    ys = range(len(ok))
    ax1.barh(list(ys), vals, xerr=[lo, hi], color="#3e7cb1", capsize=3)
    ax1.set_yticks(list(ys))
    ax1.set_yticklabels([lit(x[:40]) for x in labels], fontsize=8)
    ax1.set_xlabel("P95 latency (ms)")
    ax1.set_title("P95 per grid point (95% interval)", loc="left", fontsize=11)
    ax1.grid(alpha=0.3, axis="x")
    ax2.barh(list(ys), rps, color="#7b8794")
    ax2.set_yticks(list(ys))
    ax2.set_yticklabels([])
    ax2.set_xlabel("throughput (req/s)")
    ax2.set_title("throughput", loc="left", fontsize=11)
    ax2.grid(alpha=0.3, axis="x")
    return fig
