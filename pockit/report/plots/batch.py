"""A batch grid along a numeric key: latency, throughput and error rate as curves, one per candidate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pockit.report.plots.style import WIDE, lit, message, new_figure, palette, pct_value

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["grid_bars", "grid_curves"]


def _along_value(stats: Mapping[str, Any], key: str) -> tuple[float, float, float]:
    """``stats[key]`` with its interval (``key_ci``), NaN where missing, for the grid curves."""
    import math

    def f(v: Any) -> float:
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else math.nan

    ci = stats.get(f"{key}_ci") or {}
    return f(stats.get(key)), f(ci.get("ci_low")), f(ci.get("ci_high"))


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
    series: Mapping[str, Sequence[tuple[float, Mapping[str, Any]]]],
    last_pass: Mapping[str, float | None],
) -> Figure:
    """Latency (p50/p95/p99, log axis), throughput and error rate along a numeric grid key, one
    line per series (candidate), each point with its 95% interval; a series' last passing value
    (the largest ``key`` value at which its verdict is GO) is marked with a dotted vertical line
    and a star on its p95 line.

    ``series`` maps a name to ``(grid value, run_stats dict)`` pairs; ``last_pass`` maps it to its
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
            vals = [
                tuple(pct_value(s, pct, f) for f in ("value", "ci_low", "ci_high")) for _, s in pts
            ]
            if not any(math.isfinite(v) for v, _, _ in vals):
                continue
            positive.extend(x for t in vals for x in t if math.isfinite(x) and x > 0)
            _errorbar_along(ax_lat, xs, vals, color=color, ls=ls, marker="o", ms=3)  # type: ignore[arg-type]
        _errorbar_along(
            ax_rps,
            xs,
            [_along_value(s, "throughput_rps") for _, s in pts],
            color=color,
            marker="o",
            ms=3,
            label=lit(name),
        )
        err = [tuple(100 * v for v in _along_value(s, "error_rate")) for _, s in pts]
        _errorbar_along(ax_err, xs, err, color=color, marker="o", ms=3)  # type: ignore[arg-type]
        last = last_pass.get(name)
        if last is not None:
            for ax in (ax_lat, ax_rps, ax_err):
                ax.axvline(last, color=color, ls=(0, (1, 2)), lw=1.5, alpha=0.8)
            p95 = dict(pts).get(last)
            if p95 is not None and math.isfinite(pct_value(p95, "p95")):
                ax_lat.plot([last], [pct_value(p95, "p95")], marker="*", ms=12, color=color)
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


def grid_bars(points: Sequence[Mapping[str, Any]]) -> Figure:
    """P95 latency (with its interval) and throughput for every grid point that ran."""
    ok = [p for p in points if p.get("status") == "ok" and p.get("stats")]
    if not ok:
        return message("Grid comparison", "No grid point produced runs.")
    fig, (ax1, ax2) = new_figure(WIDE, 1, 2)
    labels = [str(p.get("name")) for p in ok]
    vals, lo, hi, rps = [], [], [], []
    for p in ok:
        e = (p["stats"].get("latency_ms") or {}).get("p95") or {}
        v = e.get("value")
        vals.append(float(v) if isinstance(v, int | float) else float("nan"))
        lo.append(
            max(0.0, vals[-1] - e["ci_low"]) if isinstance(e.get("ci_low"), int | float) else 0.0
        )
        hi.append(
            max(0.0, e["ci_high"] - vals[-1]) if isinstance(e.get("ci_high"), int | float) else 0.0
        )
        r = p["stats"].get("throughput_rps")
        rps.append(float(r) if isinstance(r, int | float) else 0.0)
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
