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
from pockit.analysis._cost import cost_per_1k, cost_per_1k_or_reason
from pockit.analysis._faults import (
    DEFAULT_HEALTHY_ERROR_RATE,
    METHOD_DETECT,
    METHOD_RECOVERY,
    RECOVERY_SETTLE_BUCKETS,
    Detection,
    Recovery,
    cold_start_estimate,
    cold_start_latencies,
    detection_estimate,
    detections,
    recoveries,
    recovery_estimate,
)
from pockit.analysis._groups import group_stats
from pockit.analysis._intervals import (
    clopper_pearson,
    min_samples_for_bound,
    poisson_rate,
    quantile_ci_coverage,
    quantile_ci_ranks,
    quantile_rank,
    t_interval,
    wilson,
)
from pockit.analysis._names import LATENCY_METRIC, LATENCY_SHAPE, latency_quantile
from pockit.analysis._quantiles import (
    METHOD_QUANTILE,
    Estimate,
    quantile_table,
    quantiles_of,
    ranked_values,
)
from pockit.analysis._results import CandidateStats, GroupStats, RunStats
from pockit.analysis._run_stats import run_stats
from pockit.analysis._samples import (
    RunInfo,
    RunLike,
    Samples,
    as_runs,
    count_text,
    load_samples,
    run_info,
)
from pockit.analysis._seqplan import fixed_length_n, stopping_times
from pockit.analysis._sequential import (
    METHOD_SEQUENTIAL,
    evaluate_sequential,
    share_counts,
    share_test,
)
from pockit.analysis._stats import (
    METHOD_THROUGHPUT,
    MIN_RUNS,
    error_budget_burn,
    intended_latency,
    intended_latency_expr,
    load_seconds,
    rate_estimate,
    repeat_warnings,
    throughput_estimate,
    throughput_method,
    use_run_unit,
)
from pockit.analysis._timeline import timeline, timeline_frame

__all__ = [
    "DEFAULT_HEALTHY_ERROR_RATE",
    "LATENCY_METRIC",
    "LATENCY_SHAPE",
    "METHOD_DETECT",
    "METHOD_QUANTILE",
    "METHOD_RECOVERY",
    "METHOD_SEQUENTIAL",
    "METHOD_THROUGHPUT",
    "RECOVERY_SETTLE_BUCKETS",
    "RunLike",
    "as_runs",
    "cost_per_1k_or_reason",
    "count_text",
    "evaluate_sequential",
    "intended_latency_expr",
    "latency_quantile",
    "load_seconds",
    "quantile_rank",
    "ranked_values",
    "repeat_warnings",
    "run_info",
    "share_counts",
    "share_test",
    "throughput_method",
    "use_run_unit",
    "CLASS_METRICS",
    "METHOD_CLASSES",
    "MIN_RUNS",
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
    "fixed_length_n",
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
    "run_stats",
    "share_counts",
    "share_test",
    "stopping_times",
    "t_interval",
    "throughput_estimate",
    "unknown_expr",
    "timeline",
    "timeline_frame",
    "wilson",
]
