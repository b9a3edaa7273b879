"""``headroom:NAME``: the room a server has left at its measured peak, 1 − utilisation.

``NAME`` is a spec ``metrics:`` source whose values are a utilisation in [0, 1] (CPU share, memory
share, busy slots ÷ slots). The peak is the P95 of its points over the load windows, not the
maximum: one scrape that caught a spike is not the load the service runs at, and the P95 has a
distribution-free interval where a maximum has none. The guide's target band (20–40% headroom)
is two criteria: ``headroom:cpu >= 0.2`` and ``headroom:cpu <= 0.4``.
"""

from __future__ import annotations

import math
import re

from pockit._constants import CONFIDENCE
from pockit.analysis import min_samples_for_bound, quantiles_of
from pockit.criteria._base import Judgement, MetricInput
from pockit.criteria._judge import SIDES, explain, judge, missing, result
from pockit.criteria._points import fetch_errors, points, present
from pockit.criteria._registry import Metric, register

HEADROOM_METRIC = re.compile(r"headroom:[A-Za-z_:][A-Za-z0-9_:.]*")
#: Which quantile of the utilisation points is "the peak".
PEAK_QUANTILE = 0.95
METHOD_HEADROOM = (
    "1 − the P95 of the utilisation points over the load windows (the peak); one-sided 95% "
    "order-statistic bounds on that P95 (distribution-free, but they treat scrapes as independent: "
    "neighbouring scrapes are correlated, so the bounds are somewhat narrow), clipped to [0, 1]; "
    f"a finite bound needs ≥ {min_samples_for_bound(PEAK_QUANTILE)} points"
)


def headroom_of(values: list[float]) -> tuple[float, float, float, int]:
    """``(1 − P95, lower, upper, n)`` of utilisation ``values`` (each in [0, 1]).

    The bounds are the P95's one-sided 95% order-statistic bounds turned around (the upper bound
    on utilisation is the lower bound on headroom), clipped to [0, 1]: utilisation cannot leave it.
    """
    import numpy as np

    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return math.nan, math.nan, math.nan, 0
    [peak] = quantiles_of(arr, [PEAK_QUANTILE], confidence=CONFIDENCE, sides=SIDES)
    u_lo = max(0.0, peak.ci_low) if not math.isnan(peak.ci_low) else 0.0
    u_hi = min(1.0, peak.ci_high) if not math.isnan(peak.ci_high) else 1.0
    return 1.0 - peak.value, 1.0 - u_hi, 1.0 - u_lo, peak.n


def _headroom(inp: MetricInput) -> Judgement:
    import polars as pl

    rule, data = inp.rule, inp.data
    name = rule.metric.split(":", 1)[1]
    rows = points(data, name)
    if rows is None or rows.height == 0:
        errors = fetch_errors(data)
        why = (
            f"no points of server metric {name!r} for {data.name} in its load windows"
            f"; metrics present: {present(data)}"
        )
        return missing(
            rule, why + (f"; fetching failed: {errors}" if errors else ""), METHOD_HEADROOM
        )
    vals = rows["value"].cast(pl.Float64).fill_nan(None)
    nan = vals.null_count()
    kept = [float(v) for v in vals.drop_nulls().to_list()]
    outside = [v for v in kept if not 0.0 <= v <= 1.0]
    if outside:
        return missing(
            rule,
            f"server metric {name!r} has {len(outside)} point(s) outside [0, 1] (range "
            f"{min(kept):g}..{max(kept):g}): headroom needs a utilisation, a share of capacity",
            METHOD_HEADROOM,
        )
    est, lo, hi, n = headroom_of(kept)
    if n == 0:
        return missing(rule, f"server metric {name!r} has only NaN points ({nan})", METHOD_HEADROOM)
    outcome = judge(rule, est, lo, hi)
    reason = explain(rule, outcome, est, lo, hi, "%")
    reason += f"; peak (P95) utilisation {1 - est:.1%} over {n} point(s)"
    need = min_samples_for_bound(PEAK_QUANTILE)
    if n < need:
        reason += f" (a finite bound on the P95 needs ≥ {need}: scrape longer or more often)"
    if nan:
        reason += f"; {nan} NaN point(s) not counted (e.g. busy ÷ slots when slots was 0)"
    details = {"metric": name, "peak_utilisation": 1 - est, "nan_points": nan}
    return result(outcome, (est, lo, hi, n), reason, METHOD_HEADROOM, details)


register(
    Metric(
        name="headroom:NAME",
        unit="%",
        doc="1 − the P95 utilisation of metrics source NAME (values in [0, 1]) over the load",
        compute=_headroom,
        needs=frozenset({"server_metrics"}),
        per_request=False,
        matches=lambda name: HEADROOM_METRIC.fullmatch(name) is not None,
    )
)
