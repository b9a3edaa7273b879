"""Cost charts: one candidate's attributed billing by service and by hour, and the price book's cost
per 1k requests over request rate (``cost.source: model``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pockit._display import as_dict
from pockit.report.plots.style import PHASE_COLOR, WIDE, lit, message, new_figure, palette

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from pockit.report.model import PriceModel

__all__ = ["cost_breakdown", "cost_curve", "cost_figures"]


def cost_breakdown(cost: Any, *, label: str | None = None, candidate: str | None = None) -> Figure:
    """Attributed cost by service (bars) and by hour (steps), the cost column named in the title."""
    import pandas as pd

    d = as_dict(cost)
    who = f"{candidate}: " if candidate else ""
    tag = f"  [{label}]" if label else ""
    title = f"{who}cost by service and by hour"
    if not d:
        return message(title, "No billing data attached: cost is unknown." + tag)
    currency = str(d.get("currency") or "")
    by_service = d.get("by_service") or {}
    by_hour = d.get("by_hour") or {}
    fig, (ax1, ax2) = new_figure(WIDE, 1, 2)
    if isinstance(by_service, Mapping) and by_service:
        items = sorted(by_service.items(), key=lambda kv: float(kv[1] or 0.0))[-12:]
        import textwrap

        ax1.barh(
            [lit(textwrap.shorten(str(k), 44, placeholder="…")) for k, _ in items],
            [float(v or 0.0) for _, v in items],
            color="#3e7cb1",
            height=min(0.8, 0.25 * len(items) + 0.2),
        )
        ax1.tick_params(axis="y", labelsize=8)
        pad = max(0.0, (3 - len(items)) / 2)  # one or two services: thin bars, centred
        ax1.set_ylim(-0.6 - pad, len(items) - 0.4 + pad)
    else:
        ax1.text(0.5, 0.5, "no per-service cost", ha="center", transform=ax1.transAxes)
    ax1.set_xlabel(lit(f"cost ({currency})"))
    ax1.set_title("by service", loc="left", fontsize=10)
    ax1.grid(alpha=0.3, axis="x")
    hours: list[tuple[Any, float]] = []
    if isinstance(by_hour, Mapping):
        hours = [(pd.Timestamp(k), float(v or 0.0)) for k, v in by_hour.items()]
    elif isinstance(by_hour, list):
        for row in by_hour:
            if isinstance(row, Mapping):
                k = row.get("hour") or row.get("ts") or row.get("charge_start")
                if k is not None:
                    hours.append((pd.Timestamp(k), float(row.get("cost") or 0.0)))
    if hours:
        hours.sort()
        xs = list(range(len(hours)))
        ax2.bar(xs, [v for _, v in hours], width=0.8, color="#3e7cb1")
        step = max(1, len(hours) // 8)  # at most ~8 labels, whatever the number of hours
        ax2.set_xticks(xs[::step])
        ax2.set_xticklabels(
            [h.strftime("%m-%d %H:00") for h, _ in hours][::step], rotation=30, fontsize=8
        )
        ax2.set_xlim(-0.6, max(len(hours), 3) - 0.4)
    else:
        ax2.text(0.5, 0.5, "no hourly cost", ha="center", transform=ax2.transAxes)
    ax2.set_ylabel(lit(f"cost ({currency})"))
    ax2.set_xlabel("hour (UTC)")
    ax2.set_title("by hour", loc="left", fontsize=10)
    ax2.grid(alpha=0.3, axis="y")
    fig.suptitle(lit(f"{title} — {d.get('column', '?')} cost{tag}"), x=0.01, ha="left", fontsize=11)
    return fig


def cost_curve(priced: PriceModel | Mapping[str, Any] | None) -> Figure:
    """Projected cost per 1k requests against request rate (log-log), one line per candidate, the
    measured rate of each marked, and every break-even rate drawn as a vertical line."""
    title = "Cost per 1k requests vs request rate (price-book model)"
    model = as_dict(priced)
    if not model or not model.get("curves"):
        return message(title, "No price book: the spec's cost comes from billing, not a model.")
    curves: Mapping[str, Any] = model["curves"]
    colors = palette(list(curves))
    fig, ax = new_figure((7.5, 4.0))
    for name, points in curves.items():
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        ax.plot(xs, ys, color=colors[name], label=lit(name), lw=1.8)
        rps = model.get("measured_rps", {}).get(name)
        at = model.get("at_measured", {}).get(name)
        if rps and at:
            ax.plot([rps], [at], "o", color=colors[name], ms=7)
            ax.annotate(
                f"measured {rps:.0f} req/s",
                (rps, at),
                xytext=(6, 6),
                textcoords="offset points",
                fontsize=8,
            )
    for pair in model.get("break_even", []):
        if pair.get("rps"):
            ax.axvline(pair["rps"], color=PHASE_COLOR, ls="--", lw=1)
            ax.text(
                pair["rps"], 0.98, f" break-even {pair['rps']:.1f} req/s",
                transform=ax.get_xaxis_transform(), fontsize=8, va="top", color="#3e4c59",
            )  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("request rate (req/s, log scale)")
    ax.set_ylabel(lit(f"cost per 1k requests ({model.get('currency', 'USD')}, log)"))
    ax.set_title(title, loc="left", fontsize=11)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def cost_figures(
    cost: Any, *, label: str | None = None, candidate: str | None = None
) -> list[Figure]:
    """The cost charts that have something to draw: by service and hour, or by service and a line
    saying why there is no hourly cost (a price-book projection has no charges by hour)."""

    d = as_dict(cost)
    if d.get("by_hour"):
        return [cost_breakdown(cost, label=label, candidate=candidate)]
    who = f"{candidate}: " if candidate else ""
    why = (
        "a price-book projection prices the window as a whole, so there are no charges by hour"
        if d.get("column") == "model" or d.get("price_entry")
        else "the billing rows carry no hourly charges"
    )
    figs: list[Figure] = []
    services = d.get("by_service") or {}
    if isinstance(services, Mapping) and services:
        import textwrap

        items = sorted(services.items(), key=lambda kv: float(kv[1] or 0.0))[-12:]
        fig, ax = new_figure((9.0, 0.9 + 0.3 * len(items)))
        ax.barh(
            [lit(textwrap.shorten(str(k), 60, placeholder="…")) for k, _ in items],
            [float(v or 0.0) for _, v in items],
            color="#3e7cb1",
            height=0.6,
        )
        ax.tick_params(axis="y", labelsize=8)
        ax.set_xlabel(f"cost ({lit(d.get('currency') or '')})")
        ax.grid(alpha=0.3, axis="x")
        tag = f"  [{lit(label)}]" if label else ""
        ax.set_title(
            f"{lit(who)}cost by service — {lit(d.get('column', '?'))} cost{tag}",
            loc="left",
            fontsize=11,
        )
        figs.append(fig)
    figs.append(message(f"{who}cost by hour", why))
    return figs
