"""Analysis: latency percentiles with confidence intervals, rates, throughput, timelines, comparisons.

Heavy work runs in polars; frames an analyst sees (``timeline``) are pandas.

>>> from pockit.analysis import run_stats, timeline
>>> stats = run_stats(["runs/20261126T062843Z-async-r0-3f9a"])   # doctest: +SKIP
>>> stats.to_dict()["latency_ms"]["p95"]                          # doctest: +SKIP
{'value': 212.4, 'ci_low': 205.1, 'ci_high': 219.8, 'n': 12345}
"""

from __future__ import annotations

from pockit.analysis._classes import (
    CLASS_METRICS,
    METHOD_CLASSES,
    REQUEST_CLASSES,
    RequestClass,
    class_counts,
    class_expr,
    request_classes,
    unknown_expr,
)
from pockit.analysis._compare import Comparison, compare_samples, hodges_lehmann, holm
from pockit.analysis._cost import cost_per_1k
from pockit.analysis._faults import (
    Detection,
    Recovery,
    cold_start_estimate,
    cold_start_latencies,
    detection_estimate,
    detections,
    recoveries,
    recovery_estimate,
)
from pockit.analysis._intervals import (
    clopper_pearson,
    min_samples_for_bound,
    poisson_rate,
    quantile_ci_coverage,
    quantile_ci_ranks,
    t_interval,
    wilson,
)
from pockit.analysis._quantiles import Estimate, quantile_table, quantiles_of
from pockit.analysis._samples import RunInfo, Samples, load_samples
from pockit.analysis._sequential import (
    METHOD_SEQUENTIAL,
    PRIOR_N,
    SequentialResult,
    evaluate_sequential,
    share_counts,
    share_test,
)
from pockit.analysis._stats import (
    MIN_RUNS,
    CandidateStats,
    GroupStats,
    RunStats,
    error_budget_burn,
    group_stats,
    intended_latency,
    rate_estimate,
    run_stats,
    throughput_estimate,
)
from pockit.analysis._timeline import timeline, timeline_frame

__all__ = [
    "CLASS_METRICS",
    "METHOD_CLASSES",
    "METHOD_SEQUENTIAL",
    "MIN_RUNS",
    "PRIOR_N",
    "REQUEST_CLASSES",
    "CandidateStats",
    "Comparison",
    "Detection",
    "Estimate",
    "GroupStats",
    "Recovery",
    "RequestClass",
    "RunInfo",
    "RunStats",
    "Samples",
    "SequentialResult",
    "class_counts",
    "class_expr",
    "clopper_pearson",
    "cold_start_estimate",
    "cold_start_latencies",
    "compare_samples",
    "cost_per_1k",
    "detection_estimate",
    "detections",
    "error_budget_burn",
    "evaluate_sequential",
    "group_stats",
    "hodges_lehmann",
    "holm",
    "intended_latency",
    "load_samples",
    "min_samples_for_bound",
    "poisson_rate",
    "quantile_ci_coverage",
    "quantile_ci_ranks",
    "quantile_table",
    "quantiles_of",
    "rate_estimate",
    "recoveries",
    "recovery_estimate",
    "request_classes",
    "share_counts",
    "share_test",
    "run_stats",
    "t_interval",
    "throughput_estimate",
    "unknown_expr",
    "timeline",
    "timeline_frame",
    "wilson",
]
