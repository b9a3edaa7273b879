"""What the report states about the runs themselves: risks pockit detects and the reproducibility facts.

Read from run.json, events.jsonl and the decision's own warnings; nothing here recomputes a statistic.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pockit._contract import (
    EVENT_KIND,
    EVENT_TS,
    GUARDRAIL_STOPS,
    PLANNED_STOPS,
    EventKind,
    RunField,
    RunStatus,
    events_of,
    unknown_kinds,
)
from pockit._errors import PockitError
from pockit.report.render import as_dict

__all__ = ["locate", "reproducibility", "risks"]

#: Fewer requests than this in a run make its tail percentiles guesswork (p99 rests on ~10 samples).
FEW_SAMPLES = 1000


def _meta(run: Any) -> dict[str, Any]:
    try:
        meta = run.meta
    except Exception:
        return {"id": str(getattr(run, "path", run))}
    return dict(meta) if isinstance(meta, Mapping) else {}


def _count(run: Any) -> int | None:
    try:
        return int(run.scan_samples().select("latency_ms").collect().height)
    except Exception:
        return None


def _texts(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [f"{k}: {v}" for k, v in value.items()]
    if isinstance(value, Iterable):
        out = []
        for item in value:
            if isinstance(item, Mapping):
                out.append(str(item.get("message") or item.get("reason") or item))
            else:
                out.append(str(item))
        return out
    return [str(value)]


def _run_risks(run: Any) -> list[tuple[str, str]]:
    """What one run's run.json and events.jsonl say went wrong, read by the names writers use
    (pockit._contract); an event kind the contract does not know is named, not skipped."""
    try:
        rec = run.record
    except (PockitError, AttributeError, OSError) as exc:
        return [("run", f"{getattr(run, 'path', run)}: run.json unreadable — {exc}")]
    rid = rec.id
    items: list[tuple[str, str]] = []
    why = rec.stop_reason or "no reason recorded"
    if rec.status != RunStatus.COMPLETED:
        items.append(("run", f"{rid}: status {rec.status.value} ({why})"))
    elif rec.stop_code is not None and rec.stop_code not in PLANNED_STOPS:
        items.append(("run", f"{rid}: {rec.stop_code.value.replace('_', ' ')} ({why})"))
    items.extend(("run", f"{rid}: {w}") for w in rec.warnings)
    try:
        events, unreadable = run.events(), run.unreadable_events()
    except Exception:
        events, unreadable = [], 0
    if unreadable:  # counted and named, never dropped in silence
        items.append(
            ("run", f"{rid}: {unreadable} line(s) of events.jsonl are not JSON objects and were "
                    "skipped; phases, faults or guardrail stops they held are not shown")
        )  # fmt: skip
    if rec.stop_code in GUARDRAIL_STOPS:
        items.append(("guardrail", f"{rid}: stopped by guardrails.{rec.stop_code} — {why}"))
    for ev in events_of(events, EventKind.GUARDRAIL):
        detail = ", ".join(
            f"{k} {v}" for k, v in ev.items() if k not in (EVENT_TS, EVENT_KIND, "rule")
        )
        items.append(
            ("guardrail", f"{rid}: guardrails.{ev.get('rule')} acted at {ev[EVENT_TS]} ({detail})")
        )
    lost = events_of(events, EventKind.WORKER_LOST)
    if rec.workers_lost or lost:
        # run.json's list is the reconciled one (parent and master may both report one loss)
        n_lost = len(rec.workers_lost) if RunField.WORKERS_LOST in rec.raw else len(lost)
        first = min([str(e[EVENT_TS]) for e in lost] or [str(rec.workers_lost[0].get("at"))])
        items.append(
            (
                "workers",
                f"{rid}: {n_lost} load worker(s) lost, the first at {first} — throughput after it is lower",
            )
        )
    hot = events_of(events, EventKind.LOAD_GENERATOR_SATURATED)
    if rec.load_generator_saturated or hot:
        when = f" from {hot[0][EVENT_TS]}" if hot else ""
        items.append(
            (
                "load generator",
                f"{rid}: the load generator was saturated (CPU){when} — latencies include "
                "client-side queueing",
            )
        )
    down = rec.target_unreachable
    if down and down.get("from"):
        items.append(
            (
                "target",
                f"{rid}: the target stopped answering at {down['from']} and never came back "
                f"({down.get('requests', '?')} requests without a response) — find out why before trusting the run",
            )
        )
    for ev in events_of(events, EventKind.FAULT_ERROR):
        items.append(("fault", f"{rid}: fault {ev.get('fault')} not injected — {ev.get('error')}"))
    for kind in unknown_kinds(events):
        items.append(
            (
                "events",
                f"{rid}: event kind {kind!r} is not in run-directory schema {rec.schema}; ignored",
            )
        )
    n = _count(run)
    if n is not None and n < FEW_SAMPLES:
        items.append(
            (
                "samples",
                f"{rid}: only {n} requests — tail percentiles (p99) rest on very few samples",
            )
        )
    return items


def risks(
    spec: Any,
    runs: Sequence[Any],
    decision: Any = None,
    *,
    costs: Mapping[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """(source, text) items for the risks & backlog section: spec notes, then what pockit detected."""
    items: list[tuple[str, str]] = [
        ("spec note", note) for note in getattr(spec, "notes", ()) or ()
    ]
    for run in runs:
        items.extend(_run_risks(run))
    d = as_dict(decision)
    items.extend(("decision", w) for w in _texts(d.get("warnings")))
    for c in d.get("criteria") or []:
        if str(c.get("outcome", "")).upper() == "INCONCLUSIVE":
            who = f"{c.get('candidate')}: " if c.get("candidate") else ""
            items.append(
                (
                    "evidence missing",
                    f"{who}{c.get('metric')} is INCONCLUSIVE — {c.get('reason', '')}",
                )
            )
    judged_cost = {
        str(c.get("candidate"))
        for c in d.get("criteria") or []
        if c.get("metric") == "cost_per_1k_usd"
    }
    for cand, cost in (costs or {}).items():
        cd = as_dict(cost)
        if cd.get("problem") or cost is None:
            if cand in judged_cost:  # already listed above as an INCONCLUSIVE criterion
                continue
            why = cd.get("problem") or "no billing data"
            items.append(("billing", f"{cand}: cost per 1k requests is unknown — {why}"))
        elif not cd.get("covers_window", True):
            items.append(
                (
                    "billing",
                    f"{cand}: billing does not cover the whole test window yet — it may not have landed; rebuild the report later",
                )
            )
    seen: set[tuple[str, str]] = set()
    unique = []
    for item in items:
        if item not in seen:
            seen.add(item)
            unique.append(item)
    return unique


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def _rel(path: Any, folder: Path) -> str:
    """``path`` as it reads from ``folder`` (relative when possible, ``/``-separated)."""
    import os

    target = Path(str(path)).resolve()
    try:
        return Path(os.path.relpath(target, folder)).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        return target.as_posix()


def reproducibility(
    spec: Any,
    runs: Sequence[Any],
    decision: Any = None,
    *,
    commands: Sequence[str] = (),
    report_path: str | Path | None = None,
) -> dict[str, Any]:
    """Facts a reader needs to rebuild this report: spec hash, versions, commands, run ids.

    Paths are relative to the report's folder (``report_path``'s parent; the working folder when
    it is not given), so the command reruns from where the report lies, on anyone's machine.
    """
    import shlex

    from pockit import __version__

    d = as_dict(decision)
    metas = [_meta(r) for r in runs]
    report = Path(report_path) if report_path else Path("report.html")
    folder = report.resolve().parent
    raw_spec = getattr(spec, "path", None)
    spec_path = _rel(raw_spec, folder) if raw_spec else "?"
    run_paths = [_rel(getattr(r, "path", r), folder) for r in runs]
    cmds = list(commands) or [
        "pockit report "
        + " ".join(shlex.quote(p) for p in [spec_path, *run_paths])
        + f" --out {shlex.quote(report.name)}",
    ]
    locust_versions = sorted(
        {str((m.get("versions") or {}).get("locust")) for m in metas if m.get("versions")}
    )
    return {
        "spec": f"{getattr(spec, 'name', '?')} ({spec_path})",
        "spec sha256": getattr(spec, "sha256", "") or d.get("spec_sha256", ""),
        "decision spec sha256": d.get("spec_sha256", "—"),
        "pockit": __version__,
        "python": f"{platform.python_version()} ({sys.implementation.name})",
        "locust (at run time)": ", ".join(locust_versions) or _version("locust"),
        "polars / pandas / scipy": f"{_version('polars')} / {_version('pandas')} / {_version('scipy')}",
        "papermill / nbconvert": f"{_version('papermill')} / {_version('nbconvert')}",
        "run ids": [
            f"{m.get('id')} — {m.get('candidate')}, {m.get('status')}, {m.get('start')} → {m.get('end')}"
            for m in metas
        ],
        "commands (from the report's folder)": cmds,
    }


def locate(path: str | Path, *, near: Sequence[str | Path] = ()) -> Path:
    """An input file a notebook parameter names: as given, else beside ``near`` folders, else in
    pockit's repository (a checkout) or bundled data (an installed package).

    Lets a notebook's default (``datasets/billing/focus-sample.csv``) work whether JupyterLab
    started in ``notebooks/`` or the repository root. Raises :class:`~pockit.InputError` naming
    every place it looked.
    """
    from pockit._errors import InputError

    given = Path(path).expanduser()
    if given.is_absolute() or "://" in str(path):
        return given
    pkg = Path(__file__).resolve().parents[1]
    folders = [Path.cwd(), *(Path(f) for f in near), pkg.parent, pkg / "_datasets"]
    tried: list[str] = []
    for folder in folders:
        candidate = folder / given
        if candidate.exists():
            return candidate
        text = str(candidate.resolve())
        if text not in tried:
            tried.append(text)
    raise InputError(f"{path}: not found; looked in " + ", ".join(tried))


# -- evidence the notebook shows ---------------------------------------------------------------


def cost_problems(costs: Mapping[str, Any], decision: Any = None) -> list[str]:
    """Why a candidate's cost is unknown, one line each (from :func:`pockit.decision.candidate_costs`).

    With ``decision``, the reasons are those of the figures the decision judged (so a cost total
    that is not finite, or rows left unattributed, are named as the criterion names them).
    """
    if decision is not None:
        figs = cost_per_1k(costs, decision, figures=True)
        return [f"{c}: cost unknown — {f.problem}" for c, f in figs.items() if f.problem]
    out = []
    for cand, cost in costs.items():
        problem = as_dict(cost).get("problem") if cost is not None else "no billing data"
        if problem:
            out.append(f"{cand}: cost unknown — {problem}")
    return out


def metrics(runs: Sequence[Any]) -> Any:
    """Server-side metrics attached to the runs (``sources/metrics.parquet``) as one pandas frame, or None."""
    import polars as pl

    frames = []
    for run in runs:
        path = run.sources_dir / "metrics.parquet"
        if path.is_file():
            try:
                frame = pl.read_parquet(path)
            except Exception:
                continue
            if "candidate" not in frame.columns:  # the run's metrics describe the run's candidate
                cand = str(_meta(run).get(RunField.CANDIDATE, "?"))
                frame = frame.with_columns(pl.lit(cand).alias("candidate"))
            frames.append(frame)
    if not frames:
        return None
    return pl.concat(frames, how="diagonal_relaxed").to_pandas()


def latencies(runs: Sequence[Any]) -> dict[str, Any]:
    """Latencies of successful requests per candidate (numpy arrays), for the distribution plot."""
    import numpy as np
    import polars as pl

    out: dict[str, list[Any]] = {}
    for run in runs:
        try:
            lat = (
                run.scan_samples()
                .filter(pl.col("ok"))
                .select("latency_ms")
                .collect()["latency_ms"]
                .to_numpy()
            )
        except Exception:
            continue
        out.setdefault(str(_meta(run).get(RunField.CANDIDATE, "?")), []).append(lat)
    return {k: np.concatenate(v) if v else np.array([]) for k, v in out.items()}


def cost_per_1k(
    cost_by_candidate: Mapping[str, Any], decision: Any, *, figures: bool = False
) -> Any:
    """Cost per 1k requests per candidate: the figure ``decide`` judged, never recomputed here.

    ``decision`` is the :class:`~pockit.decision.Decision` the report shows; each candidate's
    figure is its cost over the n that decision used (:func:`pockit.decision.cost_figures`).
    Returns ``{candidate: value or None}``, or with ``figures=True`` the typed
    :class:`~pockit.decision.CostFigure` values (value, total, problem, requests).
    """
    from pockit.decision import cost_figures

    figs = cost_figures(cost_by_candidate, decision)
    if figures:
        return figs
    return {cand: fig.value for cand, fig in figs.items()}


def pareto_points(
    decision: Any, stats: Mapping[str, Any], per_1k: Mapping[str, float | None]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Points for the Pareto chart (P95 with its interval, cost per 1k) and the non-dominated names.

    The front is the decision's own (``pareto``) when it has one.
    """
    d = as_dict(decision)
    points = []
    for cand, s in stats.items():
        p95 = ((as_dict(s).get("latency_ms") or {}).get("p95")) or {}
        points.append(
            {
                "candidate": cand,
                "p95": p95.get("value"),
                "p95_ci_low": p95.get("ci_low"),
                "p95_ci_high": p95.get("ci_high"),
                "cost_per_1k": per_1k.get(cand),
            }
        )
    front_raw = d.get("pareto") or []
    front: list[str] = []
    for item in front_raw if isinstance(front_raw, list) else []:
        if isinstance(item, str):
            front.append(item)
        elif isinstance(item, Mapping) and (
            item.get("front") or item.get("dominated") is False or item.get("pareto")
        ):
            front.append(str(item.get("candidate")))
    return points, front


def record_verdict(decision: Any, *, spec: Any = None, title: str | None = None) -> None:
    """Leave the verdict and headline facts in the executed notebook, for build_report and the email.

    It is displayed under a mime type nbconvert does not render, so the HTML report does not show it.
    """
    from IPython.display import display

    from pockit._display import number, unit_of

    d = as_dict(decision)
    criteria = [
        {
            "candidate": c.get("candidate"),
            "label": c.get("label") or c.get("metric"),
            "metric": c.get("metric"),
            "outcome": c.get("outcome"),
            "estimate": c.get("estimate"),
            "estimate_text": number(c.get("estimate"), unit_of(str(c.get("metric", "")))),
            "reason": c.get("reason"),
        }
        for c in d.get("criteria") or []
    ]
    payload = {
        "verdict": d.get("verdict"),
        "spec_sha256": d.get("spec_sha256"),
        "recommended": d.get("recommended"),
        "title": title or getattr(spec, "name", None),
        "hypothesis": getattr(spec, "hypothesis", None),
        "criteria": criteria,
        "baseline": d.get("baseline"),
        "comparisons": d.get("comparisons") or [],
    }
    display({"application/vnd.pockit.verdict+json": payload}, raw=True)  # type: ignore[no-untyped-call]


def price_model(
    spec: Any,
    stats_by_candidate: Mapping[str, Any],
    per_1k: Mapping[str, float | None] | None = None,
) -> dict[str, Any] | None:
    """For ``cost.source: model``: each candidate's price-book curve, its measured rate, and the
    break-even rate of every pair. None when the spec prices nothing by model (or it is unreadable).

    ``per_1k`` (from :func:`cost_per_1k`) is the figure the decision judged; given, it is what
    ``at_measured`` says, so the model section and the verdict quote one number. The curve and
    break-evens are the price book's projection over other rates (``PriceBook.cost_per_1k``).
    """
    cost = getattr(spec, "cost", None)
    if cost is None or cost.source != "model" or not cost.price_book:
        return None
    from pockit._errors import PockitError
    from pockit.sources import PriceBook, break_even

    try:
        book = PriceBook.load(cost.price_book)
    except PockitError:
        return None
    keys: dict[str, str] = {}
    for cand in spec.candidates:
        key = book.entry_for(cand.name, cand.tags)
        if key is not None:
            keys[cand.name] = key
    measured = {
        name: float(s.get("throughput_rps") or 0.0)
        for name, s in stats_by_candidate.items()
        if name in keys
    }
    rates = [r for r in measured.values() if r > 0] or [1.0]
    lo, hi = min(rates) / 20.0, max(rates) * 20.0
    grid = [lo * (hi / lo) ** (i / 120) for i in range(121)]
    names = sorted(keys)
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            rps = break_even(book, keys[a], keys[b], lo_rps=lo / 100, hi_rps=hi * 100)
            cheaper_below = None
            if rps is not None:
                below = rps / 2
                cheaper_below = (
                    a if book.cost_per_1k(keys[a], below) < book.cost_per_1k(keys[b], below) else b
                )
            pairs.append({"a": a, "b": b, "rps": rps, "cheaper_below": cheaper_below})
    return {
        "book": str(cost.price_book),
        "currency": book.currency,
        "keys": keys,
        "measured_rps": measured,
        "curves": {name: [(r, book.cost_per_1k(keys[name], r)) for r in grid] for name in names},
        "at_measured": {
            name: per_1k[name]
            if per_1k is not None and per_1k.get(name) is not None
            else book.cost_per_1k(keys[name], rps)
            for name, rps in measured.items()
            if rps > 0
        },
        "break_even": pairs,
    }
