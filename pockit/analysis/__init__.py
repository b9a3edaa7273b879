"""Analysis: latency percentiles with confidence intervals, rates, throughput, timelines, comparisons.

Heavy work runs in polars; frames an analyst sees (``timeline``) are pandas. Names load lazily,
so importing this package (or a spec, whose criteria name analysis functions) pulls in neither
polars nor numpy until a function runs.

>>> from pockit.analysis import run_stats, timeline
>>> stats = run_stats(["runs/20261126T062843Z-async-r0-3f9a"])   # doctest: +SKIP
>>> stats.to_dict()["latency_ms"]["p95"]                          # doctest: +SKIP
{'value': 212.4, 'ci_low': 205.1, 'ci_high': 219.8, 'n': 12345}
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "as_runs": "pockit.analysis._samples",
    "CandidateStats": "pockit.analysis._results",
    "class_counts": "pockit.analysis._classes",
    "class_expr": "pockit.analysis._classes",
    "CLASS_METRICS": "pockit.analysis._classes",
    "clopper_pearson": "pockit.analysis._intervals",
    "cold_start_estimate": "pockit.analysis._faults",
    "cold_start_latencies": "pockit.analysis._faults",
    "compare_samples": "pockit.analysis._compare",
    "Comparison": "pockit.analysis._compare",
    "cost_per_1k": "pockit.analysis._cost",
    "cost_per_1k_or_reason": "pockit.analysis._cost",
    "count_text": "pockit.analysis._samples",
    "DEFAULT_HEALTHY_ERROR_RATE": "pockit.analysis._faults",
    "Detection": "pockit.analysis._faults",
    "detection_estimate": "pockit.analysis._faults",
    "detections": "pockit.analysis._faults",
    "error_budget_burn": "pockit.analysis._stats",
    "Estimate": "pockit.analysis._quantiles",
    "evaluate_sequential": "pockit.analysis._sequential",
    "fixed_length_n": "pockit.analysis._seqplan",
    "group_stats": "pockit.analysis._groups",
    "GroupStats": "pockit.analysis._results",
    "hodges_lehmann": "pockit.analysis._compare",
    "holm": "pockit.analysis._compare",
    "intended_latency": "pockit.analysis._stats",
    "intended_latency_expr": "pockit.analysis._stats",
    "LATENCY_METRIC": "pockit.analysis._names",
    "PRIOR_N": "pockit.analysis._mixture",
    "SequentialResult": "pockit.analysis._sequential",
    "latency_quantile": "pockit.analysis._names",
    "LATENCY_SHAPE": "pockit.analysis._names",
    "load_samples": "pockit.analysis._samples",
    "load_seconds": "pockit.analysis._stats",
    "METHOD_CLASSES": "pockit.analysis._classes",
    "METHOD_DETECT": "pockit.analysis._faults",
    "METHOD_QUANTILE": "pockit.analysis._quantiles",
    "METHOD_RECOVERY": "pockit.analysis._faults",
    "METHOD_SEQUENTIAL": "pockit.analysis._sequential",
    "METHOD_THROUGHPUT": "pockit.analysis._stats",
    "MIN_RUNS": "pockit.analysis._stats",
    "min_samples_for_bound": "pockit.analysis._intervals",
    "poisson_rate": "pockit.analysis._intervals",
    "quantile_ci_coverage": "pockit.analysis._intervals",
    "quantile_ci_ranks": "pockit.analysis._intervals",
    "quantile_rank": "pockit.analysis._intervals",
    "quantile_table": "pockit.analysis._quantiles",
    "quantiles_of": "pockit.analysis._quantiles",
    "ranked_values": "pockit.analysis._quantiles",
    "rate_estimate": "pockit.analysis._stats",
    "recoveries": "pockit.analysis._faults",
    "Recovery": "pockit.analysis._faults",
    "recovery_estimate": "pockit.analysis._faults",
    "RECOVERY_SETTLE_BUCKETS": "pockit.analysis._faults",
    "repeat_warnings": "pockit.analysis._stats",
    "REQUEST_CLASSES": "pockit.analysis._classes",
    "request_classes": "pockit.analysis._classes",
    "RequestClass": "pockit.analysis._classes",
    "run_info": "pockit.analysis._samples",
    "run_stats": "pockit.analysis._run_stats",
    "RunInfo": "pockit.analysis._samples",
    "RunLike": "pockit.analysis._samples",
    "RunStats": "pockit.analysis._results",
    "Samples": "pockit.analysis._samples",
    "share_counts": "pockit.analysis._sequential",
    "share_test": "pockit.analysis._sequential",
    "stopping_times": "pockit.analysis._seqplan",
    "t_interval": "pockit.analysis._intervals",
    "throughput_estimate": "pockit.analysis._stats",
    "throughput_method": "pockit.analysis._stats",
    "timeline": "pockit.analysis._timeline",
    "timeline_frame": "pockit.analysis._timeline",
    "unknown_expr": "pockit.analysis._classes",
    "use_run_unit": "pockit.analysis._stats",
    "wilson": "pockit.analysis._intervals",
}

__all__ = [
    "PRIOR_N",
    "SequentialResult",
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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pockit.analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
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
    from pockit.analysis._mixture import PRIOR_N
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
        SequentialResult,
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
