"""The report's charts. Each function takes frames that ``analysis``/``sources`` produced and returns a
matplotlib :class:`~matplotlib.figure.Figure` with a title, units and readable axes.

Figures are built with ``Figure()`` directly, never through ``pyplot``: no global state, no backend
switch (a JupyterLab user keeps their inline backend), nothing shown twice. :func:`show` displays one
as an inline PNG and :func:`figure_png` gives the bytes (the email embeds them as CID images).
Missing data gives a figure that says what is missing instead of an exception.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pockit._contract import EventKind, RunField

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "candidates",
    "collect_events",
    "cost_breakdown",
    "cost_curve",
    "cost_figures",
    "figure_png",
    "grid_curves",
    "latency_distribution",
    "latency_intervals",
    "latency_over_time",
    "lit",
    "message",
    "pareto",
    "recovery",
    "server_metrics",
    "show",
    "stop_when_bounds",
    "throughput_errors",
]

#: Width × height of a full-width chart in inches, and its PNG resolution: sized so the demo
#: report's dozen charts stay well under the 1 MB budget while staying sharp on screen and paper.
WIDE = (9.0, 3.4)
TALL = (9.0, 5.2)
DPI = 80

_FAULT_COLOR = "#b42318"
_PHASE_COLOR = "#7b8794"


def _figure(
    size: tuple[float, float] = WIDE, nrows: int = 1, ncols: int = 1, **kw: Any
) -> tuple[Figure, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True, **kw)
    return fig, axes


def lit(text: Any) -> str:
    """``text`` for a matplotlib label, shown as written: every ``$`` escaped.

    matplotlib reads text between two ``$`` as mathtext: a candidate named ``async ($^$ tier)``
    fails to render, ``cost $5 vs $6`` comes out in italics. Every string that comes from data
    (candidate, request, service, metric and event names, units, currencies) goes through here.
    """
    return str(text).replace("$", r"\$")


def _palette(names: Sequence[str]) -> dict[str, Any]:
    import seaborn as sns

    # sorted, so a candidate keeps its colour in every chart whatever order the data comes in
    ordered = sorted({str(n) for n in names})
    colors = sns.color_palette("colorblind", max(len(ordered), 1))
    return {name: colors[i % len(colors)] for i, name in enumerate(ordered)}


def message(title: str, text: str) -> Figure:
    """A small figure that says why a chart is missing (no data, billing not landed, ...).

    :func:`show` displays it as a line of text instead (readable, searchable, no image); the figure
    remains for callers that want a PNG (the email).
    """
    fig, ax = _figure((9.0, 1.3))
    ax.set_axis_off()
    ax.set_title(lit(title), loc="left", fontsize=11)
    ax.text(0.0, 0.4, lit(text), transform=ax.transAxes, fontsize=10, color="#616e7c", va="center")
    fig.pockit_message = (title, text)  # type: ignore[attr-defined]
    return fig


def figure_png(fig: Figure, *, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes (also what the email attaches as a CID image)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def show(fig: Figure) -> Any:
    """Display ``fig`` once as an inline PNG in a notebook and return None (so nothing echoes)."""
    from IPython.display import HTML, Image, display

    note = getattr(fig, "pockit_message", None)
    if note is not None:
        from pockit.report.render import esc

        title, text = note
        display(HTML(f'<p class="pockit-note"><strong>{esc(title)}</strong>: {esc(text)}</p>'))  # type: ignore[no-untyped-call]
        return None
    display(Image(data=figure_png(fig), format="png"))  # type: ignore[no-untyped-call]
    return None


# -- events and time ---------------------------------------------------------------------------


def _to_utc(value: Any) -> Any:
    import pandas as pd

    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def collect_events(runs: Iterable[Any]) -> list[dict[str, Any]]:
    """Events of every run (phase markers, faults, worker lost), each tagged with run_id and candidate."""
    out: list[dict[str, Any]] = []
    for run in runs:
        try:
            meta = run.meta
            events = run.events()
        except Exception:  # a damaged run directory must not stop the report
            continue
        for ev in events:
            if "ts" not in ev:
                continue
            out.append(
                {**ev, "run_id": meta.get(RunField.ID), "candidate": meta.get(RunField.CANDIDATE)}
            )
    return out


def _is_fault(kind: str) -> bool:
    return "fault" in kind.lower() or kind.lower() in ("kill", "latency", "error_rate")


def _event_label(ev: Mapping[str, Any]) -> str:
    kind = str(ev.get("kind", "event"))
    extra = ev.get("fault_kind") or ev.get("phase") or ev.get("name") or ev.get("detail") or ""
    return f"{kind} {extra}".strip()[:40]


def _with_elapsed(tl: pd.DataFrame) -> pd.DataFrame:
    """Add ``t_s``: seconds since the first bucket of the same run, so repeats line up."""
    df = tl.copy()
    df["ts"] = df["ts"].map(_to_utc) if df["ts"].dtype == object else df["ts"]
    has_run = "run_id" in df.columns
    origin = df.groupby("run_id")["ts"].transform("min") if has_run else df["ts"].min()
    df["t_s"] = (df["ts"] - origin).dt.total_seconds()
    return df


def _run_origins(tl: pd.DataFrame) -> dict[Any, Any]:
    if "run_id" not in tl.columns:
        return {}
    return {rid: _to_utc(ts) for rid, ts in tl.groupby("run_id")["ts"].min().items()}


_GAP_COLOR = "#9aa5b1"
_SPAN_KINDS = (
    EventKind.FAULT_START,
    EventKind.FAULT_END,
    EventKind.IDLE_GAP_START,
    EventKind.IDLE_GAP_END,
)
_ALERT_COLOR = "#b54708"
_LINE_KINDS = (EventKind.PHASE, EventKind.LOAD_START, EventKind.LOAD_STOP)


def _event_x(ev: Mapping[str, Any], origins: Mapping[Any, Any]) -> float | None:
    origin = origins.get(ev.get("run_id"))
    if origin is None:
        return None
    return float((_to_utc(ev["ts"]) - origin).total_seconds())


def _spans(
    events: Sequence[Mapping[str, Any]], origins: Mapping[Any, Any], start: str, end: str
) -> list[tuple[float, float, Mapping[str, Any]]]:
    """(x0, x1, start event) for each ``start`` event closed by the next ``end`` of the same run.

    Faults pair on their ``fault`` index; a span never closed runs to the right edge (``inf``).
    """
    out = []
    for i, ev in enumerate(events):
        if ev.get("kind") != start:
            continue
        x0 = _event_x(ev, origins)
        if x0 is None:
            continue
        x1 = float("inf")
        for later in events[i + 1 :]:
            if (
                later.get("kind") == end
                and later.get("run_id") == ev.get("run_id")
                and later.get("fault") == ev.get("fault")
                and later.get("gap") == ev.get("gap")
            ):
                x1 = _event_x(later, origins) or x1
                break
        out.append((x0, x1, ev))
    return out


def _mark_events(
    ax: Axes,
    events: Sequence[Mapping[str, Any]],
    origins: Mapping[Any, Any],
    *,
    labels: bool = True,
) -> None:
    """Faults as red bands, idle gaps as grey bands, phases as thin unlabelled lines.

    Only what an on-call reader looks for gets a label (faults, idle gaps, a lost worker, a
    guardrail), once per distinct label and position, stacked so two labels never overlap.
    """
    lo, hi = ax.get_xlim()
    min_gap = max((hi - lo) * 0.12, 1e-9)
    placed: list[tuple[float, int]] = []  # (x, row) of labels already drawn
    seen: set[tuple[str, int]] = set()

    def label(x: float, text: str, color: str) -> None:
        key = (text, round(x))
        if not labels or key in seen:
            return
        seen.add(key)
        row = 0
        while any(abs(x - px) < min_gap and pr == row for px, pr in placed):
            row += 1
        if row > 3:
            return  # crowded: the band itself still shows; the table below names every event
        placed.append((x, row))
        ax.annotate(
            lit(text),
            xy=(max(x, lo), 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -3 - 9 * row),
            textcoords="offset points",
            fontsize=7,
            va="top",
            color=color,
            bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
        )

    drawn_lines: set[int] = set()
    for ev in events:
        kind = str(ev.get("kind", ""))
        if kind not in _LINE_KINDS:
            continue
        x = _event_x(ev, origins)
        if x is None or round(x * 10) in drawn_lines:
            continue
        drawn_lines.add(round(x * 10))
        ax.axvline(x, color=_PHASE_COLOR, ls=(0, (3, 3)), lw=0.7, alpha=0.6)
    for x0, x1, ev in _spans(events, origins, EventKind.FAULT_START, EventKind.FAULT_END):
        right = x1 if x1 != float("inf") else hi
        ax.axvspan(x0, right, color=_FAULT_COLOR, alpha=0.12, lw=0)
        ax.axvline(x0, color=_FAULT_COLOR, lw=1.0, alpha=0.8)
        value = ev.get("value")
        extra = f" {value:g}" if isinstance(value, int | float) else ""
        label(x0, f"fault: {ev.get('fault_kind', '?')}{extra}", _FAULT_COLOR)
    for x0, x1, _ev in _spans(events, origins, EventKind.IDLE_GAP_START, EventKind.IDLE_GAP_END):
        right = x1 if x1 != float("inf") else hi
        ax.axvspan(x0, right, color=_GAP_COLOR, alpha=0.18, lw=0)
        label(x0, "idle gap", _PHASE_COLOR)
    for ev in events:
        kind = str(ev.get("kind", ""))
        if kind in _LINE_KINDS or kind in _SPAN_KINDS:
            continue
        x = _event_x(ev, origins)
        if x is None:
            continue
        color = _FAULT_COLOR if _is_fault(kind) else _ALERT_COLOR
        ax.axvline(x, color=color, lw=1.0, alpha=0.8)
        label(x, _event_label(ev), color)
    ax.set_xlim(lo, hi)


def _plot_run(ax: Axes, x: Any, y: Any, **kw: Any) -> None:
    """One run's line; its first and last one-second buckets are partial, so they are dotted."""
    n = len(x)
    label = kw.pop("label", None)
    label = None if label is None else lit(label)
    if n <= 2:
        ax.plot(x, y, ls=":", marker="o", ms=2, label=label, **kw)
        return
    ax.plot(x[1:-1], y[1:-1], label=label, **kw)
    ax.plot(x[:2], y[:2], ls=":", **kw)
    ax.plot(x[-2:], y[-2:], ls=":", **kw)


def _empty(tl: Any) -> bool:
    return tl is None or len(tl) == 0


# -- charts ------------------------------------------------------------------------------------


def latency_over_time(
    tl: pd.DataFrame, events: Sequence[Mapping[str, Any]] = (), *, percentile: str = "p95"
) -> Figure:
    """Client latency per second for each run (seconds since the run's start), with fault/phase markers."""
    title = f"Latency over time ({percentile}, per 1 s bucket)"
    if _empty(tl) or percentile not in tl.columns:
        return message(title, "No samples in the timeline.")
    df = _with_elapsed(tl)
    cands = list(dict.fromkeys(df["candidate"])) if "candidate" in df.columns else ["all"]
    colors = _palette(cands)
    fig, ax = _figure()
    groups = df.groupby("run_id") if "run_id" in df.columns else [("all", df)]
    labelled: set[str] = set()
    for _rid, g in groups:
        cand = str(g["candidate"].iloc[0]) if "candidate" in g.columns else "all"
        label = cand if cand not in labelled else None
        labelled.add(cand)
        g = g.sort_values("t_s")
        _plot_run(
            ax,
            g["t_s"].to_numpy(),
            g[percentile].to_numpy(),
            color=colors.get(cand),
            lw=1.3,
            label=label,
        )
        if "p50" in g.columns and percentile != "p50":
            ax.plot(g["t_s"], g["p50"], color=colors.get(cand), lw=0.8, alpha=0.55, ls="--")
    _mark_events(ax, events, _run_origins(df))
    ax.set_title(title + " — dashed: p50", loc="left", fontsize=11)
    ax.set_xlabel("seconds since run start (s)")
    ax.set_ylabel(f"{percentile} latency (ms)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(title="candidate", fontsize=8, loc="upper right")
    return fig


def latency_distribution(latencies: Mapping[str, Sequence[float] | Any]) -> Figure:
    """Percentile plot per candidate: latency (log scale) against percentile, tail stretched out.

    The x axis is ``1 / (1 - q)`` on a log scale, the usual way to show a latency tail: p50, p90,
    p99, p99.9 sit at equal distances.
    """
    import numpy as np

    title = "Latency distribution (percentile plot)"
    names = [n for n, v in latencies.items() if v is not None and len(v) > 0]
    if not names:
        return message(title, "No successful requests to plot.")
    colors = _palette(names)
    fig, ax = _figure()
    right = 2.0
    for name in names:
        x = np.sort(np.asarray(latencies[name], dtype=float))
        x = x[np.isfinite(x)]
        n = len(x)
        if n == 0:
            continue
        q = (np.arange(1, n + 1) - 0.5) / n  # plotting position, keeps the last point finite
        stride = max(1, n // 2000)  # the curve needs ~2000 points; the tail is kept whole below
        idx = np.unique(np.concatenate([np.arange(0, n, stride), np.arange(max(0, n - 200), n)]))
        ax.plot(
            1.0 / (1.0 - q[idx]), x[idx], color=colors[name], lw=1.4, label=lit(f"{name} (n={n:,})")
        )
        right = max(right, 1.0 / (1.0 - q[-1]) * 1.3)
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


def throughput_errors(tl: pd.DataFrame, events: Sequence[Mapping[str, Any]] = ()) -> Figure:
    """Requests per second and error rate over time, one line per run, fault/phase markers on both."""
    title = "Throughput and error rate over time"
    if _empty(tl) or "rps" not in tl.columns:
        return message(title, "No samples in the timeline.")
    df = _with_elapsed(tl)
    cands = list(dict.fromkeys(df["candidate"])) if "candidate" in df.columns else ["all"]
    colors = _palette(cands)
    fig, (ax1, ax2) = _figure(TALL, 2, 1, sharex=True)
    labelled: set[str] = set()
    groups = df.groupby("run_id") if "run_id" in df.columns else [("all", df)]
    for _rid, g in groups:
        cand = str(g["candidate"].iloc[0]) if "candidate" in g.columns else "all"
        label = cand if cand not in labelled else None
        labelled.add(cand)
        g = g.sort_values("t_s")
        t = g["t_s"].to_numpy()
        _plot_run(ax1, t, g["rps"].to_numpy(), color=colors.get(cand), lw=1.2, label=label)
        if "error_rate" in g.columns:
            _plot_run(ax2, t, g["error_rate"].to_numpy() * 100.0, color=colors.get(cand), lw=1.2)
    origins = _run_origins(df)
    _mark_events(ax1, events, origins)
    _mark_events(ax2, events, origins, labels=False)
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


def _pct_value(stats: Mapping[str, Any], key: str, field: str = "value") -> float:
    lat = stats.get("latency_ms") or {}
    entry = lat.get(key) if isinstance(lat, Mapping) else None
    value = entry.get(field) if isinstance(entry, Mapping) else None
    return float(value) if isinstance(value, int | float) else float("nan")


def candidates(stats: Mapping[str, Any]) -> Figure:
    """Candidates side by side: p50/p95/p99 with their 95% intervals, and success rate with its interval."""
    import numpy as np

    from pockit._display import ci_pair
    from pockit.report.render import as_dict

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

    fig, (ax1, ax2) = _figure(WIDE, 1, 2, width_ratios=[3, 1])
    width = 0.8 / max(len(names), 1)
    colors = _palette(names)
    xs = np.arange(len(keys))
    for i, name in enumerate(names):
        vals = np.array([_pct_value(per[name], k) for k in keys])
        lo = np.array([_pct_value(per[name], k, "ci_low") for k in keys])
        hi = np.array([_pct_value(per[name], k, "ci_high") for k in keys])
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


def pareto(points: Sequence[Mapping[str, Any]], *, frontier: Iterable[str] = ()) -> Figure:
    """Cost per 1k requests against P95 latency, one point per candidate; the Pareto front is joined.

    ``points`` items carry ``candidate``, ``cost_per_1k`` and ``p95`` (optionally ``p95_ci_low``/
    ``p95_ci_high``, ``cost_ci_low``/``cost_ci_high``); ``frontier`` names the non-dominated ones as
    ``decision`` found them.
    """
    title = "Cost vs latency (Pareto)"
    pts = [
        p
        for p in points
        if isinstance(p.get("cost_per_1k"), int | float) and isinstance(p.get("p95"), int | float)
    ]
    if not pts:
        return message(
            title,
            "Cost per 1k requests is not known for any candidate (billing missing or not landed).",
        )
    names = [str(p["candidate"]) for p in pts]
    colors = _palette(names)
    front = set(frontier)
    fig, ax = _figure((7.0, 4.0))
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


def cost_breakdown(cost: Any, *, label: str | None = None, candidate: str | None = None) -> Figure:
    """Attributed cost by service (bars) and by hour (steps), the cost column named in the title."""
    import pandas as pd

    from pockit.report.render import as_dict

    d = as_dict(cost)
    who = f"{candidate}: " if candidate else ""
    tag = f"  [{label}]" if label else ""
    title = f"{who}cost by service and by hour"
    if not d:
        return message(title, "No billing data attached: cost is unknown." + tag)
    currency = str(d.get("currency") or "")
    by_service = d.get("by_service") or {}
    by_hour = d.get("by_hour") or {}
    fig, (ax1, ax2) = _figure(WIDE, 1, 2)
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
    names = list(dict.fromkeys(df["metric"]))[:4]
    fig, axes = _figure((9.0, 1.9 * (len(names) + 1)), len(names) + 1, 1, sharex=True)
    cands = [str(c) for c in df["candidate"].unique()] if "candidate" in df.columns else []
    if tl is not None and "candidate" in tl.columns:
        cands += [str(c) for c in tl["candidate"].unique()]
    colors = _palette(cands)
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
        if _is_fault(str(e.get("kind", ""))) and not str(e.get("kind", "")).endswith("end")
    ]
    if _empty(tl) or not faults:
        return message(title, "No faults were injected in these runs.")
    import pandas as pd

    df = tl.copy()
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    fig, (ax1, ax2) = _figure(TALL, 2, 1, sharex=True)
    for ev in faults[:8]:
        t0 = _to_utc(ev["ts"])
        g = df[df["run_id"] == ev.get("run_id")] if "run_id" in df.columns else df
        rel = (g["ts"] - t0).dt.total_seconds()
        win = g[(rel >= -before_s) & (rel <= after_s)]
        x = (win["ts"] - t0).dt.total_seconds()
        label = f"{ev.get('candidate', '')} {_event_label(ev)}".strip()
        if percentile in win.columns:
            ax1.plot(x, win[percentile], lw=1.2, label=lit(label))
        if "error_rate" in win.columns:
            ax2.plot(x, win["error_rate"] * 100.0, lw=1.2)
    for ax in (ax1, ax2):
        ax.axvline(0, color=_FAULT_COLOR, lw=1)
        ax.grid(alpha=0.3)
    ax1.set_title(title + " (t = 0 at the fault)", loc="left", fontsize=11)
    ax1.set_ylabel(f"{percentile} latency (ms)")
    ax1.legend(fontsize=7)
    ax2.set_ylabel("errors (%)")
    ax2.set_xlabel("seconds from fault start (s)")
    return fig


def cost_curve(model: Mapping[str, Any] | None) -> Figure:
    """Projected cost per 1k requests against request rate (log-log), one line per candidate, the
    measured rate of each marked, and every break-even rate drawn as a vertical line."""
    title = "Cost per 1k requests vs request rate (price-book model)"
    if not model or not model.get("curves"):
        return message(title, "No price book: the spec's cost comes from billing, not a model.")
    curves: Mapping[str, Any] = model["curves"]
    colors = _palette(list(curves))
    fig, ax = _figure((7.5, 4.0))
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
            ax.axvline(pair["rps"], color=_PHASE_COLOR, ls="--", lw=1)
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


# -- charts that stay readable whatever the spread ----------------------------------------------


def latency_intervals(stats: Mapping[str, Any]) -> Figure:
    """Each candidate's p50/p95/p99 as a point with its 95% interval, on a log axis.

    A log axis keeps every candidate readable when one tail is 100× another's (bars on a linear
    axis flatten the small ones to nothing). An interval end the data cannot set is drawn as an
    open arrow to the axis edge.
    """
    import math

    from matplotlib.ticker import FuncFormatter

    from pockit.report.render import as_dict

    title = "Latency percentiles with 95% intervals (log scale)"
    per = {str(name): as_dict(s) for name, s in stats.items()}
    keys: list[str] = []
    for s in per.values():
        keys.extend(k for k in s.get("latency_ms") or {} if k not in keys)
    if not per or not keys:
        return message(title, "No latency statistics.")
    names = list(per)
    colors = _palette(names)
    fig, ax = _figure((9.0, 1.2 + 0.55 * len(keys) * max(len(names), 1)))
    step = 0.8 / max(len(names), 1)
    positive: list[float] = []
    for i, name in enumerate(names):
        for j, key in enumerate(keys):
            y = j + 0.4 - step * (i + 0.5)
            v, lo, hi = (_pct_value(per[name], key, f) for f in ("value", "ci_low", "ci_high"))
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


def cost_figures(
    cost: Any, *, label: str | None = None, candidate: str | None = None
) -> list[Figure]:
    """The cost charts that have something to draw: by service and hour, or by service and a line
    saying why there is no hourly cost (a price-book projection has no charges by hour)."""
    from pockit.report.render import as_dict

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
        fig, ax = _figure((9.0, 0.9 + 0.3 * len(items)))
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
    colors = _palette([r[0] for r in records])
    fig, axes = _figure((9.0, 1.0 + 2.0 * len(labels)), nrows=len(labels), sharex=True)
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
            ax.axhline(p0[crit], color=_FAULT_COLOR, lw=1.0, label="threshold share")
        ax.set_ylabel("share")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(lit(crit), loc="left", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    axes[-1].set_xlabel("seconds of load (solid: lower bound, dashed: upper bound)")
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    return fig


# -- a batch grid along a numeric key ------------------------------------------------------------


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
    colors = _palette(list(drawn))
    fig, (ax_lat, ax_rps, ax_err) = _figure((9.0, 3.8), 1, 3)
    styles = {"p50": ":", "p95": "-", "p99": "--"}
    xs_all: set[float] = set()
    positive: list[float] = []
    for name, pts in drawn.items():
        xs = [x for x, _ in pts]
        xs_all.update(xs)
        color = colors[str(name)]
        for pct, ls in styles.items():
            vals = [
                tuple(_pct_value(s, pct, f) for f in ("value", "ci_low", "ci_high")) for _, s in pts
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
            if p95 is not None and math.isfinite(_pct_value(p95, "p95")):
                ax_lat.plot([last], [_pct_value(p95, "p95")], marker="*", ms=12, color=color)
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
