"""The batch's points, read and judged: ``grid_results.json`` (or run folders) → :class:`GridPoint`
values with their ``run_stats`` and each point's verdict from ``decide``. :mod:`.batch_view` only
shows them. The file's shape is :meth:`GridPoint.to_dict` (:mod:`pockit.report.grid`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pockit.report.grid import POINT_FAILED, POINT_OK, GridPoint, PointCriterion

if TYPE_CHECKING:
    from pockit.spec import Spec

__all__ = ["judge_point", "judge_points", "load_points"]


def _read(grid_results_json: str) -> list[GridPoint]:
    from pockit._errors import InputError

    path = Path(grid_results_json)
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read the batch's results ({exc})") from None
    raw = data.get("points", []) if isinstance(data, dict) else None
    if not isinstance(raw, list):
        raise InputError(
            f"{path}: expected an object with a 'points' list (pockit batch writes it)"
        )
    return [GridPoint.from_dict(p, f"{path}: points[{i}]") for i, p in enumerate(raw)]


def _with_stats(point: GridPoint) -> GridPoint:
    from pockit._errors import PockitError
    from pockit.analysis import run_stats

    if not point.ok:
        return point
    if not point.run_dirs:
        return dataclasses.replace(
            point, status=POINT_FAILED, error="the notebook ran but left no run directory"
        )
    try:
        return dataclasses.replace(point, stats=run_stats(list(point.run_dirs)).overall)
    except PockitError as exc:
        return dataclasses.replace(point, status=POINT_FAILED, error=f"cannot read its runs: {exc}")


def load_points(
    grid_results_json: str = "", runs_dirs: Sequence[str] = (), spec_path: str = ""
) -> list[GridPoint]:
    """Grid points from a batch's ``grid_results.json`` (or one point per run folder), with their
    stats; judged against ``spec_path``'s criteria when they carry no verdict yet."""
    from pockit.spec import load_spec

    points = _read(grid_results_json) if grid_results_json else []
    points += [
        GridPoint(
            params={"runs": Path(d).name}, name=Path(d).name, status=POINT_OK, run_dirs=(str(d),)
        )
        for d in runs_dirs
    ]
    points = [_with_stats(p) for p in points]
    if spec_path and any(not p.judged for p in points):
        spec = load_spec(spec_path)
        points = [p if p.judged else judge_point(spec, p) for p in points]
    return points


def judge_point(spec: Spec, point: GridPoint) -> GridPoint:
    """``point`` with its ``verdict``, per-candidate verdicts and ``criteria`` outcomes from
    :func:`pockit.decide` on its runs. A point that did not run gets no verdict (None); one whose
    runs cannot be judged is INCONCLUSIVE with the reason, never silently left out."""
    from pockit._errors import PockitError
    from pockit.decision import decide

    judged = dataclasses.replace(point, judged=True, candidates={}, criteria=())
    if not point.ok or not point.run_dirs:
        return dataclasses.replace(
            judged, verdict=None, verdict_reason=point.error or "the point did not run"
        )
    try:
        decision = decide(spec, list(point.run_dirs))
    except PockitError as exc:
        return dataclasses.replace(
            judged, verdict="INCONCLUSIVE", verdict_reason=f"cannot judge its runs: {exc}"
        )
    return dataclasses.replace(
        judged,
        verdict=str(decision.verdict),
        verdict_reason=decision.reason,
        candidates={n: str(c.verdict) for n, c in decision.candidates.items()},
        criteria=tuple(PointCriterion.of(cr.to_dict()) for cr in decision.criteria),
    )


def judge_points(spec: Spec, points: Sequence[GridPoint]) -> list[GridPoint]:
    """:func:`judge_point` for each point."""
    return [judge_point(spec, p) for p in points]
