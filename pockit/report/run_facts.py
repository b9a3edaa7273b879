"""What the report reads of each run directory, read once for :func:`~pockit.report.build_model`.

:func:`run_facts` reads a run's run.json, events and sample count through :class:`pockit.RunDir`;
:func:`stop_when_track` and :func:`capacity_track` turn run.json's ``stop_when`` and ``capacity``
records (keys: :class:`pockit._contract.StopWhenKey`, :class:`~pockit._contract.CapacityKey`,
:class:`~pockit._contract.CapacityStepKey`, the names their writers in ``pockit/load`` use) into the
typed tracks the charts draw. A run that cannot be read is kept with the reason, so the risks name it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pockit._contract import (
    CapacityKey,
    CapacityStepKey,
    RunField,
    StopCode,
    StopWhenKey,
)
from pockit._errors import PockitError
from pockit.report.model import (
    CapacityStep,
    CapacityTrack,
    RunFacts,
    StopWhenLook,
    StopWhenTrack,
)

__all__ = ["capacity_track", "capacity_tracks", "run_facts", "stop_when_track", "stop_when_tracks"]


def run_facts(run: Any) -> RunFacts:
    """``run`` (a :class:`pockit.RunDir`) as the report reads it; what cannot be read is recorded
    (``problem``, ``samples=None``), never raised: a damaged run directory must not stop a report."""
    path = Path(getattr(run, "path", run))
    try:
        meta: dict[str, Any] = dict(run.meta)
    except (PockitError, OSError, AttributeError, TypeError):
        meta = {RunField.ID.value: str(path)}
    try:
        record, problem = run.record, None
    except (PockitError, AttributeError, OSError) as exc:
        record, problem = None, str(exc)
    try:
        events, unreadable = tuple(run.events()), int(run.unreadable_events())
    except (PockitError, OSError, AttributeError):
        events, unreadable = (), 0
    return RunFacts(
        path=path,
        record=record,
        problem=problem,
        meta=meta,
        events=events,
        unreadable_events=unreadable,
        samples=_count(run),
    )


def _count(run: Any) -> int | None:
    import polars as pl

    try:
        return int(run.scan_samples().select(pl.len()).collect().item())
    except Exception:  # unreadable samples: the risks say "unknown", the statistics say why
        return None


def _label(meta: Mapping[str, Any]) -> str:
    return f"{meta.get(RunField.CANDIDATE)} r{meta.get(RunField.REPEAT) or 0}"


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def stop_when_track(meta: Mapping[str, Any]) -> StopWhenTrack | None:
    """run.json's ``stop_when`` record as a track; None when the run has none (or no look)."""
    K = StopWhenKey
    rec = meta.get(RunField.STOP_WHEN)
    if not isinstance(rec, Mapping) or not rec.get(K.HISTORY):
        return None
    crits = [c for c in rec.get(K.CRITERIA) or [] if isinstance(c, Mapping)]
    names = rec.get(K.LABELS) or [c.get(K.METRIC) for c in crits]
    thresholds: dict[str, float | None] = {}
    for name, c in zip(names, crits, strict=False):
        thresholds.setdefault(str(name), _num(c.get("p0")))  # SequentialResult.to_dict()'s p0
    looks = []
    for look in rec[K.HISTORY]:
        if not isinstance(look, Mapping):
            continue
        bounds = {
            str(c.get(K.LABEL) or c.get(K.METRIC)): (_num(c.get(K.LO)), _num(c.get(K.HI)))
            for c in look.get(K.CRITERIA) or []
            if isinstance(c, Mapping)
        }
        looks.append(StopWhenLook(elapsed_s=_num(look.get(K.ELAPSED_S)) or 0.0, bounds=bounds))
    stopped = meta.get(RunField.STOP_CODE) == StopCode.DECIDED
    at = _num(rec.get(K.ELAPSED_S))
    return StopWhenTrack(
        run_id=str(meta.get(RunField.ID)),
        label=_label(meta),
        thresholds=thresholds,
        looks=tuple(looks),
        stopped_at_s=(at if at is not None else (looks[-1].elapsed_s if looks else None))
        if stopped
        else None,
    )


def capacity_track(meta: Mapping[str, Any]) -> CapacityTrack | None:
    """run.json's ``capacity`` record as a track; None when the run has none (or no step)."""
    S = CapacityStepKey
    rec = meta.get(RunField.CAPACITY)
    if not isinstance(rec, Mapping) or not rec.get(CapacityKey.STEPS):
        return None
    steps = tuple(
        CapacityStep(
            rate=_num(s.get(S.RATE)) or 0.0,
            p50_ms=_num(s.get(S.P50_MS)),
            p95_ms=_num(s.get(S.P95_MS)),
            error_rate=_num(s.get(S.ERROR_RATE)),
            outcome=str(s.get(S.OUTCOME)),
        )
        for s in rec[CapacityKey.STEPS]
        if isinstance(s, Mapping)
    )
    return CapacityTrack(
        run_id=str(meta.get(RunField.ID)),
        label=_label(meta),
        steps=steps,
        last_pass=_num(rec.get(CapacityKey.LAST_PASS)),
        first_fail=_num(rec.get(CapacityKey.FIRST_FAIL)),
    )


def stop_when_tracks(facts: Iterable[RunFacts]) -> tuple[StopWhenTrack, ...]:
    """The runs' ``stop_when`` tracks (runs without the record left out: no chart for them)."""
    return tuple(t for f in facts if (t := stop_when_track(f.meta)) is not None)


def capacity_tracks(facts: Iterable[RunFacts]) -> tuple[CapacityTrack, ...]:
    """The runs' capacity tracks (runs without the record left out: no chart for them)."""
    return tuple(t for f in facts if (t := capacity_track(f.meta)) is not None)
