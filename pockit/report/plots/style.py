"""Chart primitives every chart module shares: figure sizes, the colour of a candidate, text that
stays literal, the "no data" figure, and showing or encoding a figure (PNG for the notebook and email).

Figures are built with ``Figure()`` directly, never through ``pyplot``: no global state, no backend
switch (a JupyterLab user keeps their inline backend), nothing shown twice.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "DPI",
    "FAULT_COLOR",
    "PHASE_COLOR",
    "TALL",
    "WIDE",
    "figure_png",
    "is_empty",
    "lit",
    "message",
    "new_figure",
    "palette",
    "pct_value",
    "plot_run",
    "show",
]

#: Width × height of a full-width chart in inches, and its PNG resolution: sized so the demo
#: report's dozen charts stay well under the 1 MB budget while staying sharp on screen and paper.
WIDE = (9.0, 3.4)
TALL = (9.0, 5.2)
DPI = 80

FAULT_COLOR = "#b42318"
PHASE_COLOR = "#7b8794"


def new_figure(
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


def palette(names: Sequence[str]) -> dict[str, Any]:
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
    fig, ax = new_figure((9.0, 1.3))
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


def plot_run(ax: Axes, x: Any, y: Any, **kw: Any) -> None:
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


def is_empty(tl: Any) -> bool:
    return tl is None or len(tl) == 0


def pct_value(stats: Mapping[str, Any], key: str, field: str = "value") -> float:
    """``stats["latency_ms"][key][field]`` of a run_stats dict, NaN where missing."""
    lat = stats.get("latency_ms") or {}
    entry = lat.get(key) if isinstance(lat, Mapping) else None
    value = entry.get(field) if isinstance(entry, Mapping) else None
    return float(value) if isinstance(value, int | float) else float("nan")
