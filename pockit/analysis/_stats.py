"""The figures of a group of requests: rates, throughput, intended latency, burn, with their methods.

Rates and throughput are over **every** request; throughput divides by the measured load window
(:func:`load_seconds`), start..end only for runs without one. With several runs of a candidate the
run is the unit of replication (:func:`use_run_unit`). ``pockit stats`` puts these together in
:mod:`pockit.analysis._run_stats`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from pockit._constants import CONFIDENCE
from pockit._contract import RunField
from pockit.analysis._intervals import Sides, poisson_rate, wilson
from pockit.analysis._quantiles import METHOD_QUANTILE, Estimate
from pockit.analysis._samples import RunInfo, run_duration_s

if TYPE_CHECKING:
    import polars as pl

#: Fewer runs of a candidate than this and the run-to-run spread is too weak to lean on (a warning).
MIN_RUNS = 3

METHOD_RATE = "Wilson score interval"
_POISSON = "exact Poisson (Garwood) interval on the count"
#: Throughput over runs that recorded their load window (every ``pockit run``).
METHOD_THROUGHPUT = (
    "requests / measured load window (run.json load_window: load_start..load_stop, summed over "
    f"runs); {_POISSON}"
)
#: Throughput over runs that did not (imported runs): their run.json start..end.
METHOD_THROUGHPUT_RUN = (
    "requests / run duration (run.json start..end: these runs recorded no load_start..load_stop, "
    f"e.g. imported ones); {_POISSON}"
)
#: Some runs with a load window, some without.
METHOD_THROUGHPUT_MIXED = (
    "requests / measured load window where a run recorded one (run.json load_window), else its "
    f"run duration (start..end); {_POISSON}"
)


def throughput_method(windowed: Iterable[bool]) -> str:
    """The throughput method text for runs that did (True) or did not (False) record a load window."""
    seen = set(windowed)
    if seen == {True}:
        return METHOD_THROUGHPUT
    if seen == {False}:
        return METHOD_THROUGHPUT_RUN
    return METHOD_THROUGHPUT_MIXED if seen else METHOD_THROUGHPUT


def load_seconds(info: RunInfo, frame: pl.DataFrame | None = None) -> tuple[float, bool]:
    """What one run's throughput divides by, and whether it is the measured load window.

    The load window (run.json ``load_window``, written by ``pockit run`` from the capture plugin's
    load_start .. load_stop) is the time load was applied; start..end also holds Locust's start-up
    and shutdown. A run without one (``pockit import``) falls back to start..end
    (:func:`run_duration_s`). Every throughput pockit prints comes through here.
    """
    raw = info.record.raw if info.record is not None else {}
    window = raw.get(RunField.LOAD_WINDOW)
    seconds = window.get("seconds") if isinstance(window, dict) else None
    if (
        isinstance(seconds, int | float)
        and not isinstance(seconds, bool)
        and math.isfinite(seconds)
        and seconds > 0
    ):
        return float(seconds), True
    return run_duration_s(info, frame), False


def stats_method(throughput: str = METHOD_THROUGHPUT) -> str:
    """The ``pockit stats`` method text, with the throughput definition its runs used."""
    return (
        f"latency percentiles: {METHOD_QUANTILE}, over successful requests with a known latency (a "
        "description; a decision's latency criterion counts failed requests as over its threshold); "
        "successful requests whose latency is null, NaN, infinite or negative are skipped by the "
        "percentiles and counted in latency_skipped; "
        f"success/error rate over all requests: {METHOD_RATE}; throughput: {throughput}; "
        "intervals are two-sided at the stated confidence; with several runs of a candidate the run "
        "is the unit (per-run figures and their spread)"
    )


METHOD_STATS = stats_method()

# -- building blocks ------------------------------------------------------------------------------


def rate_estimate(
    k: int, n: int, *, confidence: float = CONFIDENCE, sides: Sides = "two"
) -> Estimate:
    """Share ``k / n`` with its Wilson interval."""
    if n <= 0:
        return Estimate.missing(METHOD_RATE)
    lo, hi = wilson(k, n, confidence=confidence, sides=sides)
    return Estimate(k / n, float(lo), float(hi), n, METHOD_RATE)


def throughput_estimate(
    n: int,
    duration_s: float,
    *,
    confidence: float = CONFIDENCE,
    sides: Sides = "two",
    method: str = METHOD_THROUGHPUT,
) -> Estimate:
    """Requests per second over ``duration_s`` (see :func:`load_seconds`), with the Poisson
    interval of the count."""
    if not (duration_s > 0):
        return Estimate.missing(method)
    lo, hi = poisson_rate(n, duration_s, confidence=confidence, sides=sides)
    return Estimate(n / duration_s, lo, hi, n, method)


def intended_latency_expr() -> pl.Expr:
    """``latency_ms + (t_start - t_intended)`` in ms, as an expression (see :func:`intended_latency`)."""
    import polars as pl

    return (
        pl.col("latency_ms")
        + (pl.col("t_start") - pl.col("t_intended")).dt.total_nanoseconds().cast(pl.Float64) / 1e6
    )


def intended_latency(frame: pl.DataFrame) -> pl.Series:
    """Latency measured from the intended send time (open-model runs): free of coordinated omission.

    ``latency_ms + (t_start - t_intended)``: a request the load generator sent late because the
    system was slow is charged the time it waited to be sent. Rows without ``t_intended`` or a
    latency are left out.
    """
    import polars as pl

    sub = frame.filter(pl.col("t_intended").is_not_null() & pl.col("latency_ms").is_not_null())
    return sub.select(intended_latency_expr().alias("latency_intended_ms")).to_series()


def use_run_unit(infos: Sequence[RunInfo], repeats: int | None = None) -> bool:
    """The run is the unit whenever a candidate has several runs, declared repeats or not.

    Separate ``pockit run`` invocations or several imported files vary from run to run (a warm
    cache, a noisy neighbour, another deploy); pooling their requests as if independent hides
    that spread and lets a candidate at its threshold PASS far more than 5% of the time.
    ``repeats`` (the spec's plan) only shapes the warnings.
    """
    return len(infos) >= 2


def repeat_warnings(name: str, infos: Sequence[RunInfo], repeats: int | None = None) -> list[str]:
    if use_run_unit(infos, repeats) and len(infos) < MIN_RUNS:
        return [
            f"{name}: only {len(infos)} run(s); the run is the unit, and the run-to-run spread "
            f"needs at least {MIN_RUNS} to be trusted"
        ]
    if repeats and repeats > 1 and len(infos) < repeats:
        return [f"{name}: {len(infos)} of {repeats} planned repeats present"]
    return []


METHOD_BURN = "error rate / (1 - SLO target), Wilson interval of the error rate scaled alike"


def error_budget_burn(
    errors: int,
    n: int,
    slo_target: float,
    *,
    confidence: float = CONFIDENCE,
    sides: Sides = "two",
) -> Estimate:
    """Error-budget burn rate: 1.0 spends the budget exactly at the SLO's pace, 10 ten times faster."""
    if not 0.0 < slo_target < 1.0 or n <= 0:
        return Estimate.missing(METHOD_BURN)
    budget = 1.0 - slo_target
    rate = rate_estimate(errors, n, confidence=confidence, sides=sides)
    return Estimate(
        rate.value / budget, rate.ci_low / budget, rate.ci_high / budget, n, METHOD_BURN
    )
