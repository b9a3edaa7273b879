"""Charts over the run's clock: throughput and errors per second, server-side metrics beside the
client's latency, and latency and errors around each injected fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pockit.criteria import OBS_SERIES, OBS_UP
from pockit.report.plots.events import (
    event_label,
    is_fault,
    mark_events,
    run_origins,
    to_utc,
    with_elapsed,
)
from pockit.report.plots.style import (
    FAULT_COLOR,
    TALL,
    is_empty,
    lit,
    message,
    new_figure,
    palette,
    plot_run,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["recovery", "server_metrics", "throughput_errors"]


def throughput_errors(tl: pd.DataFrame, events: Sequence[Mapping[str, Any]] = ()) -> Figure:
    """Requests per second and error rate over time, one line per run, fault/phase markers on both."""
    title = "Throughput and error rate over time"
    if is_empty(tl) or "rps" not in tl.columns:
        return message(title, "No samples in the timeline.")
    df = with_elapsed(tl)
    cands = list(dict.fromkeys(df["candidate"])) if "candidate" in df.columns else ["all"]
    colors = palette(cands)
    fig, (ax1, ax2) = new_figure(TALL, 2, 1, sharex=True)
    labelled: set[str] = set()
    groups = df.groupby("run_id") if "run_id" in df.columns else [("all", df)]
    for _rid, g in groups:
        cand = str(g["candidate"].iloc[0]) if "candidate" in g.columns else "all"
        label = cand if cand not in labelled else None
        labelled.add(cand)
        g = g.sort_values("t_s")
        t = g["t_s"].to_numpy()
        plot_run(ax1, t, g["rps"].to_numpy(), color=colors.get(cand), lw=1.2, label=label)
        if "error_rate" in g.columns:
            plot_run(ax2, t, g["error_rate"].to_numpy() * 100.0, color=colors.get(cand), lw=1.2)
    origins = run_origins(df)
    mark_events(ax1, events, origins)
    mark_events(ax2, events, origins, labels=False)
    ax1.set_title(title, loc="left", fontsize=11)
    ax1.set_ylabel("throughput (req/s)")
    ax1.set_ylim(bottom=0)
    ax2.set_ylabel("errors (% of requests)")
    ax2.set_ylim(bottom=0, top=max(1.0, ax2.get_ylim()[1]))
    ax2.set_xlabel("seconds since run start (s)")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    ax1.legend(title="candidate", fontsize=8, loc="upper right")
    return fig


def server_metrics(
    metrics: pd.DataFrame | None, tl: pd.DataFrame | None = None, *, percentile: str = "p95"
) -> Figure:
    """Server-side metrics (one panel each, up to four) above client latency on the same UTC clock."""
    title = "Server-side metrics beside client latency"
    if metrics is None or len(metrics) == 0:
        return message(
            title,
            "No server-side metrics were fetched (the spec names no metrics source, or it returned nothing).",
        )
    import pandas as pd

    df = metrics.copy()
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    # Prometheus's own up and series count have their chart (plots.headroom) and the criteria table
    names = [n for n in dict.fromkeys(df["metric"]) if n not in (OBS_UP, OBS_SERIES)][:4]
    if not names:
        return message(title, "No server-side metrics besides Prometheus's up and series count.")
    fig, axes = new_figure((9.0, 1.9 * (len(names) + 1)), len(names) + 1, 1, sharex=True)
    cands = [str(c) for c in df["candidate"].unique()] if "candidate" in df.columns else []
    if tl is not None and "candidate" in tl.columns:
        cands += [str(c) for c in tl["candidate"].unique()]
    colors = palette(cands)
    for ax, name in zip(axes, names, strict=False):
        g = df[df["metric"] == name]
        group_cols = [c for c in ("candidate", "source") if c in g.columns]
        for key, gg in g.groupby(group_cols) if group_cols else [("", g)]:
            keys = key if isinstance(key, tuple) else (key,)
            cand = str(keys[0]) if "candidate" in group_cols else ""
            ax.plot(
                gg["ts"],
                gg["value"],
                lw=1.1,
                color=colors.get(cand),
                label=lit(" ".join(str(k) for k in keys)) or None,
            )
        if len(g) and group_cols:
            ax.legend(fontsize=7, loc="upper right")
        unit = str(g["unit"].iloc[0]) if "unit" in g.columns and len(g) else ""
        ax.set_ylabel(lit(f"{name[:24]}\n({unit})" if unit else name[:24]), fontsize=8)
        ax.grid(alpha=0.3)
    last = axes[-1]
    if tl is not None and len(tl) and percentile in tl.columns:
        t = tl.copy()
        t["ts"] = pd.to_datetime(t["ts"], utc=True)
        for who, g in t.groupby("candidate") if "candidate" in t.columns else [("all", t)]:
            last.plot(g["ts"], g[percentile], lw=1.1, label=lit(who), color=colors.get(str(who)))
        last.legend(fontsize=7, loc="upper right")
    last.set_ylabel(f"client {percentile}\n(ms)", fontsize=8)
    last.set_xlabel("time (UTC)")
    last.grid(alpha=0.3)
    axes[0].set_title(title, loc="left", fontsize=11)
    return fig


def recovery(
    tl: pd.DataFrame,
    events: Sequence[Mapping[str, Any]],
    *,
    before_s: float = 10.0,
    after_s: float = 40.0,
    percentile: str = "p95",
) -> Figure:
    """Latency and error rate around each fault, aligned at the fault's start (t = 0)."""
    title = "Recovery after faults"
    faults = [
        e
        for e in events
        if is_fault(str(e.get("kind", ""))) and not str(e.get("kind", "")).endswith("end")
    ]
    if is_empty(tl) or not faults:
        return message(title, "No faults were injected in these runs.")
    import pandas as pd

    df = tl.copy()
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    fig, (ax1, ax2) = new_figure(TALL, 2, 1, sharex=True)
    for ev in faults[:8]:
        t0 = to_utc(ev["ts"])
        g = df[df["run_id"] == ev.get("run_id")] if "run_id" in df.columns else df
        rel = (g["ts"] - t0).dt.total_seconds()
        win = g[(rel >= -before_s) & (rel <= after_s)]
        x = (win["ts"] - t0).dt.total_seconds()
        label = f"{ev.get('candidate', '')} {event_label(ev)}".strip()
        if percentile in win.columns:
            ax1.plot(x, win[percentile], lw=1.2, label=lit(label))
        if "error_rate" in win.columns:
            ax2.plot(x, win["error_rate"] * 100.0, lw=1.2)
    for ax in (ax1, ax2):
        ax.axvline(0, color=FAULT_COLOR, lw=1)
        ax.grid(alpha=0.3)
    ax1.set_title(title + " (t = 0 at the fault)", loc="left", fontsize=11)
    ax1.set_ylabel(f"{percentile} latency (ms)")
    ax1.legend(fontsize=7)
    ax2.set_ylabel("errors (%)")
    ax2.set_xlabel("seconds from fault start (s)")
    return fig
