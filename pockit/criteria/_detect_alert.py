"""``detect_alert_s:NAME``: seconds from each injected fault to the first firing of an alert.

NAME is a spec ``metrics:`` source, as ``server:NAME`` names one; its query selects the firing
alert, ``ALERTS{alertname="...",alertstate="firing"}`` on Prometheus. Prometheus answers
``query_range`` with a point (value 1) at every step the alert was firing and none otherwise, so
the fault was detected at the first point of a firing stretch that starts at or after the
fault_start event. An alert that never fires before the run ends is a detection that failed
(+inf, which fails a ``<`` / ``<=`` criterion), not missing data; the source missing for a run
(not fetched, or its fetch failed) is missing data (INCONCLUSIVE).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pockit._contract import EventKind, RunField, events_of, parse_iso
from pockit.criteria._base import INCONCLUSIVE, Judgement, MetricInput
from pockit.criteria._judge import judge, missing, result
from pockit.criteria._registry import Metric, register

if TYPE_CHECKING:
    import polars as pl

    from pockit.analysis import RunInfo

ALERT_METRIC = re.compile(r"detect_alert_s:[A-Za-z_:][A-Za-z0-9_:.]*")
METHOD_DETECT_ALERT = (
    "time from fault_start to the first point of a firing stretch of the alert source's series "
    '(value > 0, Prometheus ALERTS{alertstate="firing"} via query_range) that begins at or '
    "after fault_start and before the run's end; slowest fault; bounds = one query step before "
    "that point (the alert began firing in between; step read off the series' spacing, else the "
    "fault start); never fired = inf (a detection failure)"
)


@dataclass(frozen=True)
class AlertDetection:
    """One fault: seconds to the alert's first firing (inf: never), its bounds, when it fired."""

    run_id: str
    fault: str
    fault_start: datetime
    detect_s: float
    low_s: float
    fired_at: datetime | None
    already_firing: bool


def _step_s(times: list[datetime]) -> float | None:
    """The query step: the smallest positive spacing of the firing points (None: one point)."""
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    positive = [g for g in gaps if g > 0]
    return min(positive) if positive else None


def _stretches(times: list[datetime], step: float | None) -> list[tuple[datetime, datetime]]:
    """(first, last) point of each stretch of consecutive firing points (a gap > 1.5 steps ends one)."""
    if not times:
        return []
    gap = 1.5 * step if step is not None else math.inf
    out = [(times[0], times[0])]
    for t in times[1:]:
        first, last = out[-1]
        if (t - last).total_seconds() > gap:
            out.append((t, t))
        else:
            out[-1] = (first, t)
    return out


def alert_detections(
    metrics: pl.DataFrame, source: str, infos: list[RunInfo]
) -> list[AlertDetection]:
    """Per fault_start event of ``infos``: the first firing of ``source``'s alert after it."""
    import polars as pl

    sub = metrics.filter((pl.col("metric") == source) & (pl.col("value") > 0))
    times = sorted(sub["ts"].cast(pl.Datetime("us", "UTC")).to_list())
    step = _step_s(times)
    stretches = _stretches(times, step)
    out: list[AlertDetection] = []
    for info in infos:
        end = info.end
        for ev in events_of(info.events, EventKind.FAULT_START):
            fs = parse_iso(str(ev["ts"]))
            fault = str(ev.get("fault", ""))
            later = [a for a, _ in stretches if a >= fs and (end is None or a <= end)]
            if later:
                detect = (later[0] - fs).total_seconds()
                low = max(0.0, detect - step) if step is not None else 0.0
                out.append(AlertDetection(info.id, fault, fs, detect, low, later[0], False))
            else:  # never fired anew: was it firing from before, all through the fault?
                already = any(a < fs <= b for a, b in stretches)
                out.append(AlertDetection(info.id, fault, fs, math.inf, math.inf, None, already))
    return out


def _unfetched(source: str, infos: list[RunInfo], metrics: pl.DataFrame | None) -> list[str]:
    """Why ``source`` is missing for some of the runs with faults: its fetch failed (run.json
    ``metrics_errors``), or no metrics were ever attached to the run and none were given."""
    import polars as pl

    why: list[str] = []
    for info in infos:
        if not events_of(info.events, EventKind.FAULT_START):
            continue
        raw: dict[str, Any] = info.record.raw if info.record is not None else {}
        errors = raw.get(RunField.METRICS_ERRORS) or {}
        if isinstance(errors, dict) and source in errors:
            why.append(f"run {info.id}: fetching {source!r} failed ({errors[source]})")
            continue
        has_points = False
        if metrics is not None and metrics.height:
            end = info.end or info.start
            ts = pl.col("ts").cast(pl.Datetime("us", "UTC"))
            window = (ts >= info.start) & (ts <= end) & (pl.col("metric") == source)
            has_points = metrics.filter(window).height > 0
        if not has_points and not raw.get(RunField.METRICS):
            why.append(f"run {info.id}: no metrics attached (source {source!r} never fetched)")
    return why


def _detect_alert(inp: MetricInput) -> Judgement:
    rule, data = inp.rule, inp.data
    source = rule.metric.split(":", 1)[1]
    method = METHOD_DETECT_ALERT
    with_faults = [i for i in data.infos if events_of(i.events, EventKind.FAULT_START)]
    if not with_faults:
        return missing(
            rule,
            f"no fault_start event in the runs of {data.name}: {rule.metric} needs an injected fault",
            method,
        )
    unfetched = _unfetched(source, with_faults, data.metrics)
    if unfetched:
        return missing(
            rule,
            f"alert source {source!r} missing, so whether the alert fired is unknown: "
            + "; ".join(unfetched),
            method,
        )
    import polars as pl

    frame = (
        data.metrics
        if data.metrics is not None
        else pl.DataFrame(
            schema={"ts": pl.Datetime("us", "UTC"), "metric": pl.String, "value": pl.Float64}
        )
    )
    found = alert_detections(frame, source, with_faults)
    worst = max(found, key=lambda d: d.detect_s)
    finite = [d.detect_s for d in found if math.isfinite(d.detect_s)]
    outcome = judge(rule, worst.detect_s, worst.low_s, worst.detect_s)
    missed = [d for d in found if math.isinf(d.detect_s)]
    if missed and all(d.already_firing for d in missed):
        outcome = INCONCLUSIVE
        reason = (
            f"alert {source!r} was already firing when {len(missed)} of {len(found)} fault(s) "
            "began and kept firing through them: their detection cannot be told apart"
        )
    elif missed:
        reason = (
            f"alert {source!r} never fired after {len(missed)} of {len(found)} fault(s) began, "
            "before the run ended: not detected (a detection failure)"
        )
    else:
        reason = (
            f"slowest alert {worst.detect_s:.0f} s (bounds {worst.low_s:.0f}..{worst.detect_s:.0f} s), "
            f"mean {sum(finite) / len(finite):.1f} s over {len(found)} fault(s); {rule.op} "
            f"{rule.threshold:g} s: {outcome}"
        )
    details = {
        "source": source,
        "mean_s": sum(finite) / len(finite) if finite and not missed else None,
        "faults": [
            {
                "run_id": d.run_id,
                "fault": d.fault,
                "started_at": d.fault_start.isoformat(),
                "detect_alert_s": d.detect_s if math.isfinite(d.detect_s) else None,
                "fired_at": d.fired_at.isoformat() if d.fired_at is not None else None,
                "already_firing": d.already_firing,
            }
            for d in found
        ],
    }
    return result(
        outcome, (worst.detect_s, worst.low_s, worst.detect_s, len(found)), reason, method, details
    )


register(
    Metric(
        name="detect_alert_s:NAME",
        unit="s",
        doc="seconds from each fault_start to the first firing of the alert a metrics source "
        '(ALERTS{alertstate="firing"}) selects; worst fault',
        compute=_detect_alert,
        needs=frozenset({"faults", "server_metrics"}),
        per_request=False,
        matches=lambda name: ALERT_METRIC.fullmatch(name) is not None,
    )
)
