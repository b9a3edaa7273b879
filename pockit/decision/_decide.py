"""From spec and runs to a decision: criteria per candidate, verdicts, ranking, Pareto, sensitivity.

The parts: each criterion judged (``_criteria.py``), verdicts and ranking (``_verdicts.py``), the
±5% sensitivity (``_sensitivity.py``); this module gathers each candidate's data and puts them together.

The verdict rules (architecture.md contract 3) are stated in ``_verdicts.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from pockit._constants import CONFIDENCE
from pockit._contract import RunField, RunStatus
from pockit._errors import PockitError
from pockit._rundir import RunDir
from pockit.analysis import (
    RequestSet,
    RunInfo,
    RunLike,
    Samples,
    compare_samples,
    open_requests,
    repeat_warnings,
    throughput_method,
    use_run_unit,
)
from pockit.criteria import CandidateData, held_cuts, latency_quantile, needs
from pockit.decision._billing import attribute_costs
from pockit.decision._costs import CostLike, coerce_cost
from pockit.decision._criteria import evaluate
from pockit.decision._model import (
    GO,
    CandidateResult,
    Decision,
)
from pockit.decision._sensitivity import moved, sensitivity
from pockit.decision._verdicts import (
    candidate_verdict,
    headroom_score,
    overall_verdict,
    pareto,
    ranking,
)
from pockit.spec import Spec

#: Each threshold is moved by this share both ways to see whether an outcome or verdict flips.
METHOD_DECISION = (
    "each criterion: PASS/FAIL need the one-sided 95% bound to clear the threshold, else "
    "INCONCLUSIVE; latency percentiles as the share of requests under the threshold "
    "(Clopper-Pearson), a successful request with unknown latency judged as both 0 ms and +inf; "
    "rates over all requests: Clopper-Pearson; throughput: Poisson; with several runs of a "
    "candidate (declared repeats or not) the run is the unit (the wider of pooled and across-run "
    "t bounds; a latency criterion needs its share and ms bounds to agree); baseline comparison: Mann-Whitney U + "
    "Hodges-Lehmann with a practical margin, Holm across metrics"
)


def _metrics_frame(metrics: Any, data_infos: list[Any], candidate: str) -> pl.DataFrame | None:
    """The server-side metrics of one candidate: rows labelled with it, else rows in its windows."""
    frames: list[pl.DataFrame] = []
    if metrics is not None:
        if isinstance(metrics, pl.LazyFrame):
            frames.append(metrics.collect())
        elif isinstance(metrics, pl.DataFrame):
            frames.append(metrics)
        else:
            frames.append(pl.from_pandas(metrics))
    else:
        for info in data_infos:
            path = info.path / "sources" / "metrics.parquet"
            if path.is_file():
                frames.append(pl.read_parquet(path))
    if not frames:
        return None
    m = pl.concat(frames, how="diagonal_relaxed")
    if "metric" not in m.columns or "value" not in m.columns:
        return None
    if "candidate" in m.columns:
        return m.filter(pl.col("candidate").cast(pl.String) == candidate)
    if "ts" in m.columns and data_infos:
        ts = pl.col("ts").cast(pl.Datetime("us", "UTC"))
        cond = pl.lit(False)
        for info in data_infos:
            end = info.end or info.start
            cond = cond | ((ts >= info.start) & (ts <= end))
        return m.filter(cond)
    return m


def _compare(
    spec: Spec, datas: dict[str, CandidateData], warnings: list[str], *, streamed: bool = False
) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    if spec.baseline is None:
        return out
    if streamed:
        warnings.append(
            "baseline comparison not made: its rank test and shift read every request's latency "
            "at once, and these runs are too large to hold (they were read in passes)"
        )
        return out
    base = spec.baseline.candidate
    if base not in datas:
        warnings.append(f"baseline {base!r} has no runs: no baseline comparison")
        return out

    def values(data: CandidateData, metric: str) -> np.ndarray | None:
        if metric in ("latency_ms",) or (
            latency_quantile(metric) is not None and not metric.endswith("_intended_ms")
        ):
            return data.requests.ok_latencies(intended=False)
        if metric in ("latency_intended_ms",) or metric.endswith("_intended_ms"):
            return data.requests.ok_latencies(intended=True)
        return None

    for name, data in datas.items():
        if name == base:
            continue
        pairs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for metric in spec.baseline.metrics:
            cv, bv = values(data, metric), values(datas[base], metric)
            if cv is None or bv is None:
                warnings.append(
                    f"baseline comparison: metric {metric!r} is not a per-request latency; use latency_ms or latency_intended_ms"
                )
                continue
            pairs[metric] = (cv, bv)
        if pairs:
            out[name] = compare_samples(
                name, base, pairs, margin=spec.baseline.margin, confidence=CONFIDENCE
            )
            if data.unit == "run":
                warnings.append(
                    f"{name}: the rank test treats requests as independent; with several runs, read it with the run-level spread"
                )
    return out


def _incomplete_runs(infos: Iterable[Any]) -> list[str]:
    """A run that did not complete still counts (its samples are real), but never silently."""
    out = []
    for info in infos:
        if info.status == RunStatus.COMPLETED:
            continue
        try:
            why = RunDir.open(info.path).record.stop_reason or "no reason recorded"
        except PockitError:
            why = "run.json unreadable"
        note = " (still running, or its process died)" if info.status == RunStatus.RUNNING else ""
        out.append(
            f"run {info.id} of {info.candidate!r} is {info.status}{note}: {why}; its samples are counted"
        )
    return out


def _skipped_import_rows(infos: Iterable[RunInfo]) -> dict[str, tuple[int, str]]:
    """Run id -> (rows ``pockit import --skip-bad-rows`` skipped, the file they were in), for
    the runs that skipped any: requests whose outcome nobody knows (see pockit/criteria/_share.py)."""
    out: dict[str, tuple[int, str]] = {}
    for info in infos:
        raw = info.record.raw if info.record is not None else {}
        skipped = raw.get(RunField.IMPORT_SKIPPED_ROWS)
        count = skipped.get("count") if isinstance(skipped, dict) else None
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            out[info.id] = (count, str(raw.get(RunField.IMPORTED_FROM) or "the imported file"))
    return out


def _knee(spec: Spec) -> bool:
    """Whether a criterion is judged on a capacity ramp's held steps (it names the knee)."""
    shape = spec.load.shape if spec.load is not None else None
    return shape is not None and shape.kind == "capacity"


def _held(infos: Sequence[RunInfo]) -> Mapping[str, float | None] | None:
    cut = held_cuts(infos)
    return cut[0] if cut is not None else None


def _candidate_data(
    spec: Spec,
    name: str,
    infos: list[RunInfo],
    reqset: RequestSet,
    *,
    costs: Mapping[str, CostLike] | None,
    metrics: Any,
    cw: list[str],
) -> CandidateData:
    """Everything ``name``'s criteria are judged on (``cw`` gets its warnings)."""
    requests = reqset.candidate(name)
    windows = {i.id: reqset.load_seconds(i) for i in infos}
    planned = spec.load.repeats if spec.load is not None else None  # None: imported runs
    unit = "run" if use_run_unit(infos, planned) else "pooled"
    cw += repeat_warnings(name, infos, planned)
    n = requests.height
    if n == 0:
        cw.append(f"{name}: the runs hold no samples")
    elif requests.n_ok == 0:
        cw.append(f"{name}: every request failed")
    if costs is not None:
        cost = coerce_cost(costs.get(name), n)
    elif any("cost" in needs(c.metric) for c in spec.criteria):
        cost = attribute_costs(spec, name, infos, n)
    else:
        cost = None
    return CandidateData(
        name=name,
        requests=requests,
        infos=infos,
        durations={rid: seconds for rid, (seconds, _) in windows.items()},
        unit=unit,
        cost=cost,
        metrics=_metrics_frame(metrics, infos, name)
        if any(needs(c.metric) & {"server_metrics", "observability"} for c in spec.criteria)
        else None,
        endpoints=requests.endpoints() if n else [],
        latency_skipped=reqset.latency_skipped(i.id for i in infos),
        throughput_method=throughput_method(w for _, w in windows.values()),
        rows_unknown=_skipped_import_rows(infos),
    )


def _collect(spec: Spec, datas: dict[str, CandidateData], reqset: RequestSet) -> None:
    """Streamed: judge every criterion (and its moved copies) once with placeholders, so the
    order statistics and threshold counts they all need are read in as few passes as possible."""
    if not reqset.streamed:
        return
    with reqset.collecting():
        for data in datas.values():
            for crit in spec.criteria:
                for c in (crit, *(other for _, other in moved(crit))):
                    with contextlib.suppress(Exception):  # placeholders may not compute
                        evaluate(c, data, spec)
    reqset.resolve()


def decide(
    spec: Spec,
    runs: RunLike | Iterable[RunLike] | Samples,
    *,
    costs: Mapping[str, CostLike] | None = None,
    metrics: Any = None,
    stream: bool | None = None,
) -> Decision:
    """Judge ``spec``'s criteria on ``runs`` and reach a verdict (module docstring: the rules).

    ``costs`` maps candidate -> cost evidence (a CostResult-like object or dict with ``total``,
    ``currency``, ``covers_window``; or ``cost_per_1k``; or a number, the cost per 1k requests).
    Without it, pockit.sources attributes the spec's billing to each candidate's run windows.
    ``metrics`` is a frame of server-side metrics (``ts``, ``metric``, ``value``, optionally
    ``candidate``); without it, each run's ``sources/metrics.parquet`` is read when present.
    Runs of ``STREAM_ROWS`` samples or more (or any, with ``stream=True``) are read in passes in
    bounded memory (:func:`pockit.analysis.open_requests`): the same outcomes, estimates and
    bounds; only the baseline comparison, which ranks every latency, is left out.
    """
    reqset = open_requests(runs, stream=stream, held=_held if _knee(spec) else None)
    warnings = list(reqset.warnings)
    warnings += _incomplete_runs(reqset.runs)
    warnings += [f"run {i.id}: {w}" for i in reqset.runs if i.record for w in i.record.warnings]
    by_cand: dict[str, list[Any]] = {}
    for info in reqset.runs:
        by_cand.setdefault(info.candidate, []).append(info)
    spec_names = [c.name for c in spec.candidates]
    for name in by_cand:
        if name not in spec_names:
            warnings.append(
                f"runs of {name!r}, which is not a candidate in spec {spec.name!r}; judged on its criteria anyway"
            )
    not_run = [n for n in spec_names if n not in by_cand]
    if not_run:
        warnings.append(f"candidate(s) without runs, not judged: {', '.join(not_run)}")
    if not spec.criteria:
        warnings.append("the spec has no criteria: nothing to decide on")

    order = [n for n in spec_names if n in by_cand] + [n for n in by_cand if n not in spec_names]
    cand_warnings: dict[str, list[str]] = {name: [] for name in order}
    datas = {
        name: _candidate_data(
            spec,
            name,
            by_cand[name],
            reqset,
            costs=costs,
            metrics=metrics,
            cw=cand_warnings[name],
        )
        for name in order
    }
    _collect(spec, datas, reqset)
    cands: dict[str, CandidateResult] = {}
    for name, data in datas.items():
        cw = cand_warnings[name]
        results = [evaluate(c, data, spec) for c in spec.criteria]
        verdict, reason = candidate_verdict(results, warn_is_go=spec.warn_is_go)
        cands[name] = CandidateResult(
            name=name,
            verdict=verdict,
            reason=reason,
            criteria=results,
            runs=[i.id for i in data.infos],
            n=data.requests.height,
            unit=data.unit,
            warnings=cw,
            score=headroom_score(results),
            is_baseline=spec.baseline is not None
            and name == spec.baseline.candidate
            and len(by_cand) > 1,
        )
        warnings.extend(cw)

    comparisons = _compare(spec, datas, warnings, streamed=reqset.streamed)
    for name, comps in comparisons.items():
        cands[name] = replace(cands[name], comparisons=comps)

    baseline = spec.baseline.candidate if spec.baseline else None
    verdict, reason, contenders = overall_verdict(cands, baseline)
    ranks = ranking(cands, contenders)
    first = ranks[0]["candidate"] if ranks else None
    recommended = first if first is not None and cands[first].verdict == GO else None
    if recommended:
        reason += f"; recommended: {recommended}"
    front, points = pareto(spec, cands)
    sens = sensitivity(spec, datas, cands, baseline, verdict)
    flipping = sorted({f"{r['candidate']}: {r['label']}" for r in sens if r["flips"]})
    if flipping:
        warnings.append("verdict flips if a threshold moves ±5%: " + "; ".join(flipping))
    return Decision(
        verdict=verdict,
        reason=reason,
        spec_name=spec.name,
        spec_sha256=spec.sha256,
        candidates=cands,
        recommended=recommended,
        baseline=baseline,
        ranking=ranks,
        pareto=front,
        pareto_points=points,
        sensitivity=sens,
        warnings=warnings,
        confidence=CONFIDENCE,
        method=METHOD_DECISION,
    )
