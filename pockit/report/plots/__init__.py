"""The report's charts. Each function takes what the report model holds (frames ``analysis`` and
``sources`` produced, the decision's figures) and returns a matplotlib
:class:`~matplotlib.figure.Figure` with a title, units and readable axes.

One module per subject: :mod:`.style` (sizes, colours, literal text, the "no data" figure,
:func:`show` and :func:`figure_png`), :mod:`.events` (events on a time axis), :mod:`.latency`,
:mod:`.timeline` (throughput, server metrics, recovery), :mod:`.comparison` (candidates side by
side, Pareto), :mod:`.cost`, :mod:`.faults` (detect and recover around each fault), :mod:`.classes` (denies
and request classes per endpoint), :mod:`.sequential` (``load.stop_when``), :mod:`.capacity` (the capacity ramp), :mod:`.batch` (grid curves),
:mod:`.headroom` (utilisation against the headroom band, the series count).
Missing data gives a figure that says what is missing instead of an exception.
"""

from __future__ import annotations

from pockit.report.evidence import collect_events  # gathered there; still importable here
from pockit.report.plots.batch import grid_bars, grid_curves
from pockit.report.plots.capacity import capacity_curve
from pockit.report.plots.classes import request_classes
from pockit.report.plots.comparison import candidates, pareto
from pockit.report.plots.cost import cost_breakdown, cost_curve, cost_figures
from pockit.report.plots.faults import fault_timeline
from pockit.report.plots.headroom import headroom
from pockit.report.plots.latency import (
    latency_distribution,
    latency_intervals,
    latency_over_time,
)
from pockit.report.plots.sequential import stop_when_bounds
from pockit.report.plots.style import DPI, TALL, WIDE, figure_png, lit, message, show
from pockit.report.plots.timeline import recovery, server_metrics, throughput_errors

__all__ = [
    "DPI",
    "TALL",
    "WIDE",
    "candidates",
    "capacity_curve",
    "collect_events",
    "cost_breakdown",
    "cost_curve",
    "cost_figures",
    "fault_timeline",
    "figure_png",
    "grid_bars",
    "grid_curves",
    "headroom",
    "latency_distribution",
    "latency_intervals",
    "latency_over_time",
    "lit",
    "message",
    "pareto",
    "recovery",
    "request_classes",
    "server_metrics",
    "show",
    "stop_when_bounds",
    "throughput_errors",
]
