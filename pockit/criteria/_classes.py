"""Shares of all requests by class (``denied_rate``, ``throttled_rate``, ``transport_error_rate``,
``http_error_rate``, ``validation_error_rate``, ``retry_rate``; the classes are
:data:`pockit.analysis.CLASS_METRICS`), exact one-sided Clopper-Pearson bounds, run as the unit with
several runs. A request whose membership is unknown (no recorded status, or a row the importer
skipped) is judged counted and not counted: PASS or FAIL only when both agree."""

from __future__ import annotations

from typing import Any

from pockit._contract import RunField
from pockit._errors import PockitError
from pockit._rundir import RunDir
from pockit.analysis import CLASS_METRICS, METHOD_CLASSES, RequestClass
from pockit.criteria._base import CandidateData, Judgement, MetricInput
from pockit.criteria._judge import below_min_samples, both_ways, explain, judge, missing, result
from pockit.criteria._rates import METHOD_RATE
from pockit.criteria._registry import Metric, register
from pockit.criteria._share import run_share


def _share(
    data: CandidateData, by_run: dict[str, tuple[int, int, int]], *, counted: bool
) -> tuple[float, float, float]:
    """Share and bounds with every request of unknown membership counted in the class or not:
    those whose status is unknown and the rows ``pockit import --skip-bad-rows`` skipped."""
    counts = {r: (n, k + (u if counted else 0)) for r, (n, k, u) in by_run.items()}
    return run_share(data, counts, unknown_rows=counted)


def _runs_without_retry_marks(data: CandidateData) -> list[str]:
    """Runs whose samples cannot carry retry marks: written before the ``retry`` column existed
    (no such column on disk) or imported from another tool's output."""
    import polars as pl

    out = []
    for info in data.infos:
        if info.record is not None and info.record.raw.get(RunField.IMPORTED_FROM):
            out.append(info.id)
            continue
        try:
            names = RunDir.open(info.path).scan_samples().collect_schema().names()
        except (PockitError, OSError, pl.exceptions.PolarsError):
            names = []
        if "retry" not in names:
            out.append(info.id)
    return out


def _class_rate(inp: MetricInput, cls: RequestClass) -> Judgement:
    """The share of all requests in class ``cls``."""
    rule, data, reqs = inp.rule, inp.data, inp.requests
    method = f"{METHOD_RATE}; {METHOD_CLASSES}"
    n = reqs.height
    if n == 0:
        return missing(rule, f"no requests for {data.name}", method)
    if cls == "retry":
        unmarked = _runs_without_retry_marks(data)
        if unmarked:
            why = (
                f"retry_rate: run(s) {', '.join(unmarked)} of {data.name} carry no retry marks "
                '(samples without the retry column, or imported); a locustfile marks retries with context={"retry": n}'
            )
            return missing(rule, why, method, n)
    too_few = below_min_samples(rule, n, "requests", method)
    if too_few is not None:
        return too_few
    by_run = reqs.class_counts(cls)
    k = sum(k for _, k, _ in by_run.values())
    unknown = sum(u for _, _, u in by_run.values())
    value, lo, hi = _share(data, by_run, counted=False)
    outcome = judge(rule, value, lo, hi)
    details: dict[str, Any] = {"class": cls, "count": k, "unit": data.unit}
    counted = f" ({k} of {n} requests {cls})"
    reason = explain(rule, outcome, value, lo, hi, "%") + counted
    if unknown or data.n_unknown:
        v_all, lo_all, hi_all = _share(data, by_run, counted=True)
        if_all = judge(rule, v_all, lo_all, hi_all)
        if_none = outcome
        outcome = both_ways(if_none, if_all)
        lo, hi = min(lo, lo_all), max(hi, hi_all)
        parts = []
        if unknown:
            parts.append(f"{unknown} request(s) without a recorded HTTP status")
        if data.n_unknown:
            parts.append(data.unknown_text())
        reason += (
            f"; {' and '.join(parts)}: with none of them {cls} the criterion is {if_none}, "
            f"with all {if_all}"
        )
        details.update(
            status_unknown=unknown,
            import_skipped_rows=data.n_unknown,
            outcome_if_unknown_none=if_none,
            outcome_if_unknown_all=if_all,
        )
    if data.unit == "run":
        reason += f"; run is the unit ({len(by_run)} runs)"
    return result(outcome, (value, lo, hi, n), reason, method, details)


def _register(name: str, cls: RequestClass) -> None:
    register(
        Metric(
            name=name,
            unit="%",
            doc=f"share of all requests in the {cls} class, Clopper-Pearson bounds",
            compute=lambda inp: _class_rate(inp, cls),
        )
    )


for _name, _cls in CLASS_METRICS.items():
    _register(_name, _cls)
