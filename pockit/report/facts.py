"""What the report states about the runs themselves: risks pockit detects and the reproducibility facts.

Read from the runs' facts (run.json, events.jsonl and sample counts, as :func:`build_model` read
them once) and the decision's own warnings; nothing here reads a file or recomputes a statistic.
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
from pockit._display import as_dict
from pockit.report.model import (
    HEADLINE_MIME,
    CriterionLine,
    Headline,
    ReportModel,
    Reproducibility,
    Risk,
    RunFacts,
)

__all__ = ["headline", "locate", "record_verdict", "reproducibility", "reproducibility_of", "risks"]

#: Fewer requests than this in a run make its tail percentiles guesswork (p99 rests on ~10 samples).
FEW_SAMPLES = 1000


def run_meta(run: Any) -> dict[str, Any]:
    """A run's run.json as a dict; ``{"id": path}`` when it cannot be read (the risks say why)."""
    try:
        meta = run.meta
    except Exception:
        return {"id": str(getattr(run, "path", run))}
    return dict(meta) if isinstance(meta, Mapping) else {}


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


def _run_risks(run: RunFacts) -> list[tuple[str, str]]:
    """What one run's run.json and events.jsonl say went wrong, read by the names writers use
    (pockit._contract); an event kind the contract does not know is named, not skipped."""
    rec = run.record
    if rec is None:
        return [("run", f"{run.path}: run.json unreadable — {run.problem}")]
    rid = rec.id
    items: list[tuple[str, str]] = []
    why = rec.stop_reason or "no reason recorded"
    if rec.status != RunStatus.COMPLETED:
        items.append(("run", f"{rid}: status {rec.status.value} ({why})"))
    elif rec.stop_code is not None and rec.stop_code not in PLANNED_STOPS:
        items.append(("run", f"{rid}: {rec.stop_code.value.replace('_', ' ')} ({why})"))
    items.extend(("run", f"{rid}: {w}") for w in rec.warnings)
    events, unreadable = list(run.events), run.unreadable_events
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
    n = run.samples
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
    runs: Sequence[RunFacts],
    decision: Any = None,
    *,
    costs: Mapping[str, Any] | None = None,
) -> list[Risk]:
    """(source, text) items for the risks & backlog section: spec notes, then what pockit detected
    in the runs (as :func:`pockit.report.run_facts.run_facts` read them) and the decision."""
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
    return [Risk(*item) for item in unique]


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
    """:func:`reproducibility_of` as the appendix's labelled rows."""
    return reproducibility_of(
        spec, runs, decision, commands=commands, report_path=report_path
    ).to_dict()


def reproducibility_of(
    spec: Any,
    runs: Sequence[Any],
    decision: Any = None,
    *,
    commands: Sequence[str] = (),
    report_path: str | Path | None = None,
) -> Reproducibility:
    """Facts a reader needs to rebuild this report: spec hash, versions, commands, run ids.

    Paths are relative to the report's folder (``report_path``'s parent; the working folder when
    it is not given), so the command reruns from where the report lies, on anyone's machine.
    """
    import shlex

    from pockit import __version__

    d = as_dict(decision)
    metas = [run_meta(r) for r in runs]
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
    return Reproducibility(
        spec=f"{getattr(spec, 'name', '?')} ({spec_path})",
        spec_sha256=getattr(spec, "sha256", "") or d.get("spec_sha256", ""),
        decision_spec_sha256=d.get("spec_sha256", "—"),
        pockit=__version__,
        python=f"{platform.python_version()} ({sys.implementation.name})",
        locust=", ".join(locust_versions) or _version("locust"),
        polars_pandas_scipy=f"{_version('polars')} / {_version('pandas')} / {_version('scipy')}",
        papermill_nbconvert=f"{_version('papermill')} / {_version('nbconvert')}",
        run_ids=tuple(
            f"{m.get('id')} — {m.get('candidate')}, {m.get('status')}, {m.get('start')} → {m.get('end')}"
            for m in metas
        ),
        commands=tuple(cmds),
    )


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


def headline(decision: Any, *, spec: Any = None, title: str | None = None) -> Headline:
    """The verdict and headline facts of ``decision``, as the email and ``build_report`` read them."""
    from pockit._display import number
    from pockit.criteria import unit as unit_of

    d = as_dict(decision)
    criteria = tuple(
        CriterionLine(
            candidate=c.get("candidate"),
            label=c.get("label") or c.get("metric"),
            metric=c.get("metric"),
            outcome=c.get("outcome"),
            estimate=c.get("estimate"),
            estimate_text=number(c.get("estimate"), unit_of(str(c.get("metric", "")))),
            reason=c.get("reason"),
        )
        for c in d.get("criteria") or []
    )
    return Headline(
        verdict=d.get("verdict"),
        spec_sha256=d.get("spec_sha256"),
        recommended=d.get("recommended"),
        title=title or getattr(spec, "name", None),
        hypothesis=getattr(spec, "hypothesis", None),
        criteria=criteria,
        baseline=d.get("baseline"),
        comparisons=tuple(d.get("comparisons") or ()),
    )


def record_verdict(decision: Any, *, spec: Any = None, title: str | None = None) -> None:
    """Leave the verdict and headline facts in the executed notebook, for build_report and the email.

    ``decision`` is a Decision, or a :class:`~pockit.report.model.ReportModel` (its headline). It is
    displayed under a mime type nbconvert does not render, so the HTML report does not show it.
    """
    from IPython.display import display

    head = (
        decision.headline
        if isinstance(decision, ReportModel)
        else headline(decision, spec=spec, title=title)
    )
    display({HEADLINE_MIME: head.to_dict()}, raw=True)  # type: ignore[no-untyped-call]
