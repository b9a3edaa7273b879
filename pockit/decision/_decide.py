"""From spec and runs to a decision: criteria per candidate, verdicts, ranking, Pareto, sensitivity.

Candidate verdict (architecture.md contract 3):

- **GO**: every criterion PASS (WARN counts as a pass unless the spec sets ``warn_is_go: false``);
- **NO-GO**: a key criterion FAILs, or, when no criterion is key, any criterion FAILs;
- **INCONCLUSIVE**: anything else (a criterion INCONCLUSIVE, or a non-key criterion FAILs while
  the key ones hold: the spec did not say that failure is fatal, so the call stays open).

Overall verdict: the baseline (``spec.baseline``) is a reference, not a contender, when other
candidates ran. **GO** when at least one contender is GO: the best ranked one is ``recommended``;
**NO-GO** when every contender is NO-GO; **INCONCLUSIVE** otherwise (no contender, or none GO and
at least one undecided).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import polars as pl

from pockit._constants import CONFIDENCE
from pockit._contract import RunField, RunStatus
from pockit._errors import PockitError
from pockit._rundir import RunDir
from pockit.analysis import (
    RunInfo,
    RunLike,
    Samples,
    compare_samples,
    intended_latency,
    load_samples,
    load_seconds,
    repeat_warnings,
    throughput_method,
    use_run_unit,
)
from pockit.criteria import latency_quantile
from pockit.decision._costs import CostLike, attribute_costs, coerce_cost
from pockit.decision._criteria import CandidateData, evaluate
from pockit.decision._model import (
    FAIL,
    GO,
    INCONCLUSIVE,
    NO_GO,
    PASS,
    UNDECIDED,
    WARN,
    CandidateResult,
    CriterionResult,
    Decision,
    Verdict,
)
from pockit.spec import Spec

#: Each threshold is moved by this share both ways to see whether an outcome or verdict flips.
SENSITIVITY_STEP = 0.05

METHOD_DECISION = (
    "each criterion: PASS/FAIL need the one-sided 95% bound to clear the threshold, else "
    "INCONCLUSIVE; latency percentiles as the share of requests under the threshold "
    "(Clopper-Pearson), a successful request with unknown latency judged as both 0 ms and +inf; "
    "rates over all requests: Clopper-Pearson; throughput: Poisson; with several runs of a "
    "candidate (declared repeats or not) the run is the unit (the wider of pooled and across-run "
    "t bounds; a latency criterion needs its share and ms bounds to agree); baseline comparison: Mann-Whitney U + "
    "Hodges-Lehmann with a practical margin, Holm across metrics"
)


def candidate_verdict(
    results: list[CriterionResult], *, warn_is_go: bool = True
) -> tuple[Verdict, str]:
    """GO / NO-GO / INCONCLUSIVE for one candidate, with a one-line reason."""
    if not results:
        return UNDECIDED, "the spec has no criteria"
    any_key = any(r.key for r in results)
    fails = [r for r in results if r.outcome == FAIL]
    key_fails = [r for r in fails if r.key]
    if key_fails:
        return NO_GO, "key criterion failed: " + "; ".join(r.label for r in key_fails)
    if fails and not any_key:
        return NO_GO, "failed: " + "; ".join(r.label for r in fails)
    ok = {PASS, WARN} if warn_is_go else {PASS}
    open_ = [r for r in results if r.outcome not in ok]
    if not open_:
        warns = [r.label for r in results if r.outcome == WARN]
        return GO, "every criterion passes" + (f" (warning: {'; '.join(warns)})" if warns else "")
    parts = []
    if fails:
        parts.append("non-key criterion failed: " + "; ".join(r.label for r in fails))
    inc = [r.label for r in open_ if r.outcome == INCONCLUSIVE]
    if inc:
        parts.append("not enough evidence: " + "; ".join(inc))
    warns = [r.label for r in open_ if r.outcome == WARN]
    if warns:
        parts.append("warnings count against GO (warn_is_go: false): " + "; ".join(warns))
    return UNDECIDED, "; ".join(parts)


def overall_verdict(
    cands: Mapping[str, CandidateResult], baseline: str | None
) -> tuple[Verdict, str, list[str]]:
    """The decision's verdict and reason, and the contenders it was taken over."""
    contenders = [n for n, c in cands.items() if not c.is_baseline and c.n_runs]
    if not contenders:
        return UNDECIDED, "no candidate with runs to decide on", contenders
    go = [n for n in contenders if cands[n].verdict == GO]
    if go:
        return GO, f"{len(go)} of {len(contenders)} candidate(s) GO: {', '.join(go)}", contenders
    if all(cands[n].verdict == NO_GO for n in contenders):
        return (
            NO_GO,
            "every candidate is NO-GO: " + "; ".join(f"{n}: {cands[n].reason}" for n in contenders),
            contenders,
        )
    undecided = [n for n in contenders if cands[n].verdict == UNDECIDED]
    return (
        UNDECIDED,
        "no candidate GO; undecided: " + "; ".join(f"{n}: {cands[n].reason}" for n in undecided),
        contenders,
    )


def headroom_score(results: list[CriterionResult]) -> float:
    """Weighted mean of each criterion's headroom: (threshold - estimate) / |threshold|, signed so
    that positive is good, clipped to [-1, 1]. Ranks candidates that pass by how much they spare.
    An infinite estimate (a P95 that is a failed request) is the worst headroom, not left out."""
    num = den = 0.0
    for r in results:
        if math.isnan(r.estimate) or r.threshold == 0:
            continue
        h = (r.threshold - r.estimate) / abs(r.threshold)
        if r.op in (">", ">="):
            h = -h
        num += r.weight * max(-1.0, min(1.0, h))
        den += r.weight
    return num / den if den else math.nan


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


def _moved_threshold(metric: str, threshold: float, sign: float) -> float:
    """``threshold`` moved by SENSITIVITY_STEP down (``sign`` -1) or up (+1).

    A success rate moves by its error share (0.99 -> 0.9895 / 0.9905), never past 1: moving 0.99
    itself by 5% would ask for 1.04, a test no data can pass. Other metrics move multiplicatively.
    """
    if metric == "success_rate":
        return 1.0 - (1.0 - threshold) * (1.0 - sign * SENSITIVITY_STEP)
    moved = threshold * (1.0 + sign * SENSITIVITY_STEP)
    return min(moved, 1.0) if metric == "error_rate" else moved


def _sensitivity(
    spec: Spec,
    datas: dict[str, CandidateData],
    cands: dict[str, CandidateResult],
    baseline: str | None,
    overall: Verdict,
) -> list[dict[str, Any]]:
    """Re-judge each criterion with its threshold moved ±5% (a success rate by its error share):
    does its outcome or a verdict flip?"""
    rows: list[dict[str, Any]] = []
    for name, data in datas.items():
        cres = cands[name]
        for i, crit in enumerate(spec.criteria):
            if crit.threshold == 0:
                continue
            row: dict[str, Any] = {
                "candidate": name,
                "metric": crit.metric,
                "label": crit.label,
                "threshold": crit.threshold,
                "outcome": cres.criteria[i].outcome,
                "verdict": cres.verdict,
            }
            flips = False
            for tag, sign in (("minus5", -1.0), ("plus5", 1.0)):
                moved = replace(crit, threshold=_moved_threshold(crit.metric, crit.threshold, sign))
                res = evaluate(moved, data, spec)
                results = list(cres.criteria)
                results[i] = res
                verdict, _ = candidate_verdict(results, warn_is_go=spec.warn_is_go)
                alt = dict(cands)
                alt[name] = replace(cres, verdict=verdict)
                ov, _, _ = overall_verdict(alt, baseline)
                row[tag] = {
                    "threshold": moved.threshold,
                    "outcome": res.outcome,
                    "verdict": verdict,
                    "overall": ov,
                }
                flips = flips or verdict != cres.verdict or ov != overall
            row["flips"] = flips
            rows.append(row)
    return rows


def _pareto(
    spec: Spec, cands: dict[str, CandidateResult]
) -> tuple[list[str], list[dict[str, Any]]]:
    """Cost-versus-latency front: candidates no other beats on both (lower cost, lower latency)."""
    lat_metric = next(
        (c.metric for c in spec.criteria if latency_quantile(c.metric) is not None),
        "latency_p95_ms",
    )
    points: list[dict[str, Any]] = []
    for name, c in cands.items():
        cost = next(
            (
                r.estimate
                for r in c.criteria
                if r.metric == "cost_per_1k_usd" and math.isfinite(r.estimate)
            ),
            None,
        )
        lat = next(
            (
                r.estimate
                for r in c.criteria
                if r.metric == lat_metric and r.endpoint is None and math.isfinite(r.estimate)
            ),
            None,
        )
        if cost is not None and lat is not None:
            points.append(
                {
                    "candidate": name,
                    "cost_per_1k_usd": cost,
                    "latency_metric": lat_metric,
                    "latency_ms": lat,
                    "verdict": c.verdict,
                }
            )
    for p in points:
        p["on_front"] = not any(
            o is not p
            and o["cost_per_1k_usd"] <= p["cost_per_1k_usd"]
            and o["latency_ms"] <= p["latency_ms"]
            and (o["cost_per_1k_usd"] < p["cost_per_1k_usd"] or o["latency_ms"] < p["latency_ms"])
            for o in points
        )
    front = sorted((p for p in points if p["on_front"]), key=lambda p: p["cost_per_1k_usd"])
    return [p["candidate"] for p in front], points


def _compare(
    spec: Spec, datas: dict[str, CandidateData], warnings: list[str]
) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    if spec.baseline is None:
        return out
    base = spec.baseline.candidate
    if base not in datas:
        warnings.append(f"baseline {base!r} has no runs: no baseline comparison")
        return out

    def values(data: CandidateData, metric: str) -> np.ndarray | None:
        ok = data.frame.filter(pl.col("ok") & pl.col("latency_ms").is_not_null())
        if metric in ("latency_ms",) or (
            latency_quantile(metric) is not None and not metric.endswith("_intended_ms")
        ):
            return ok["latency_ms"].to_numpy()
        if metric in ("latency_intended_ms",) or metric.endswith("_intended_ms"):
            return intended_latency(ok).to_numpy()
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
    the runs that skipped any: requests whose outcome nobody knows (see decision/_criteria.py)."""
    out: dict[str, tuple[int, str]] = {}
    for info in infos:
        raw = info.record.raw if info.record is not None else {}
        skipped = raw.get(RunField.IMPORT_SKIPPED_ROWS)
        count = skipped.get("count") if isinstance(skipped, dict) else None
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            out[info.id] = (count, str(raw.get(RunField.IMPORTED_FROM) or "the imported file"))
    return out


def decide(
    spec: Spec,
    runs: RunLike | Iterable[RunLike] | Samples,
    *,
    costs: Mapping[str, CostLike] | None = None,
    metrics: Any = None,
) -> Decision:
    """Judge ``spec``'s criteria on ``runs`` and reach a verdict (module docstring: the rules).

    ``costs`` maps candidate -> cost evidence (a CostResult-like object or dict with ``total``,
    ``currency``, ``covers_window``; or ``cost_per_1k``; or a number, the cost per 1k requests).
    Without it, pockit.sources attributes the spec's billing to each candidate's run windows.
    ``metrics`` is a frame of server-side metrics (``ts``, ``metric``, ``value``, optionally
    ``candidate``); without it, each run's ``sources/metrics.parquet`` is read when present.
    """
    samples = runs if isinstance(runs, Samples) else load_samples(runs)
    warnings = list(samples.warnings)
    warnings += _incomplete_runs(samples.runs)
    warnings += [f"run {i.id}: {w}" for i in samples.runs if i.record for w in i.record.warnings]
    by_cand: dict[str, list[Any]] = {}
    for info in samples.runs:
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
    datas: dict[str, CandidateData] = {}
    cands: dict[str, CandidateResult] = {}
    for name in order:
        infos = by_cand[name]
        frame = (
            samples.frame.filter(pl.col("candidate") == name) if len(by_cand) > 1 else samples.frame
        )
        windows = {i.id: load_seconds(i, frame) for i in infos}
        durations = {rid: seconds for rid, (seconds, _) in windows.items()}
        planned = spec.load.repeats if spec.load is not None else None  # None: imported runs
        unit = "run" if use_run_unit(infos, planned) else "pooled"
        cw = repeat_warnings(name, infos, planned)
        if frame.height == 0:
            cw.append(f"{name}: the runs hold no samples")
        elif not bool(frame["ok"].any()):
            cw.append(f"{name}: every request failed")
        if costs is not None:
            cost = coerce_cost(costs.get(name), frame.height)
        elif any(c.metric == "cost_per_1k_usd" for c in spec.criteria):
            cost = attribute_costs(spec, name, infos, frame.height)
        else:
            cost = None
        endpoints = sorted(frame["name"].cast(pl.String).unique().to_list()) if frame.height else []
        data = CandidateData(
            name=name,
            frame=frame,
            infos=infos,
            durations=durations,
            unit=unit,
            cost=cost,
            metrics=_metrics_frame(metrics, infos, name)
            if any(c.metric.startswith("server:") for c in spec.criteria)
            else None,
            endpoints=endpoints,
            latency_skipped=samples.latency_skipped(i.id for i in infos),
            throughput_method=throughput_method(w for _, w in windows.values()),
            rows_unknown=_skipped_import_rows(infos),
        )
        datas[name] = data
        results = [evaluate(c, data, spec) for c in spec.criteria]
        verdict, reason = candidate_verdict(results, warn_is_go=spec.warn_is_go)
        cands[name] = CandidateResult(
            name=name,
            verdict=verdict,
            reason=reason,
            criteria=results,
            runs=[i.id for i in infos],
            n=frame.height,
            unit=unit,
            warnings=cw,
            score=headroom_score(results),
            is_baseline=spec.baseline is not None
            and name == spec.baseline.candidate
            and len(by_cand) > 1,
        )
        warnings.extend(cw)

    comparisons = _compare(spec, datas, warnings)
    for name, comps in comparisons.items():
        cands[name] = replace(cands[name], comparisons=comps)

    baseline = spec.baseline.candidate if spec.baseline else None
    verdict, reason, contenders = overall_verdict(cands, baseline)
    rank_order = {GO: 0, UNDECIDED: 1, NO_GO: 2}
    ranked = sorted(
        contenders,
        key=lambda n: (
            rank_order[cands[n].verdict],
            -(cands[n].score if math.isfinite(cands[n].score) else -math.inf),
        ),
    )
    ranking = [
        {
            "rank": i + 1,
            "candidate": n,
            "verdict": cands[n].verdict,
            "score": cands[n].score if math.isfinite(cands[n].score) else None,
        }
        for i, n in enumerate(ranked)
    ]
    recommended = ranked[0] if ranked and cands[ranked[0]].verdict == GO else None
    if recommended:
        reason += f"; recommended: {recommended}"
    front, points = _pareto(spec, cands)
    sens = _sensitivity(spec, datas, cands, baseline, verdict)
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
        ranking=ranking,
        pareto=front,
        pareto_points=points,
        sensitivity=sens,
        warnings=warnings,
        confidence=CONFIDENCE,
        method=METHOD_DECISION,
    )
