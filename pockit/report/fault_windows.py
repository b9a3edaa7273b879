"""Each injected fault with the moments the decision measured around it: when the client saw it
(``detect_s``), when an alert fired (``detect_alert_s:NAME``), when the service was healthy again
(``recovery_s``). Read from the fault events and the decision's per-fault details; nothing is
recomputed here (architecture.md, "Inside the report")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pockit._contract import EventKind, parse_iso
from pockit.report.model import FaultMark, FaultWindow

__all__ = ["fault_windows"]

#: The per-fault detail key of each criterion that marks a moment, and the moment's kind.
_MARKS = (("detect_s", "detect_s", "detect"), ("detect_alert_s:", "detect_alert_s", "detect"))
_RECOVERY = "recovery_s"


def _when(ev: Mapping[str, Any]) -> Any:
    ts = ev.get("ts")
    return ts if not isinstance(ts, str) else parse_iso(ts)


def _criterion_faults(decision: Any) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(metric, candidate, one fault's details) for every per-fault detail the decision holds."""
    out: list[tuple[str, str, Mapping[str, Any]]] = []
    for c in decision.criteria if decision is not None else ():
        faults = c.details.get("faults") if isinstance(c.details, Mapping) else None
        if isinstance(faults, list):
            out += [(c.metric, c.candidate, f) for f in faults if isinstance(f, Mapping)]
    return out


def fault_windows(events: Iterable[Mapping[str, Any]], decision: Any) -> tuple[FaultWindow, ...]:
    """One :class:`FaultWindow` per ``fault_start`` event (tagged with ``run_id``, as
    ``evidence.collect_events`` gives them), with its ``fault_end`` and measured moments."""
    evs = list(events)
    ends = {
        (str(e.get("run_id")), str(e.get("fault"))): _when(e)
        for e in evs
        if e.get("kind") == EventKind.FAULT_END
    }
    details = _criterion_faults(decision)
    out: list[FaultWindow] = []
    for ev in evs:
        if ev.get("kind") != EventKind.FAULT_START:
            continue
        key = (str(ev.get("run_id")), str(ev.get("fault")))
        start, end = _when(ev), ends.get(key)
        marks: list[FaultMark] = []
        seen: set[str] = set()
        for metric, _cand, f in details:
            if (str(f.get("run_id")), str(f.get("fault"))) != key or metric in seen:
                continue
            seen.add(metric)  # one criterion per metric marks it (two thresholds, one moment)
            for prefix, field, kind in _MARKS:
                if metric == prefix or (prefix.endswith(":") and metric.startswith(prefix)):
                    value = f.get(field)
                    marks.append(
                        FaultMark(metric, kind, float(value) if value is not None else None)
                    )
            if metric == _RECOVERY:
                rec = f.get(_RECOVERY)
                span = (end - start).total_seconds() if end is not None else None
                at = span + float(rec) if rec is not None and span is not None else None
                marks.append(FaultMark(metric, "recover", at))
        out.append(
            FaultWindow(
                run_id=key[0],
                candidate=str(ev.get("candidate", "")),
                fault=key[1],
                kind=str(ev.get("fault_kind", "")),
                start=start,
                end=end,
                marks=tuple(marks),
            )
        )
    return tuple(out)
