"""The batch's points, read and judged: ``grid_results.json`` (or run folders) → points with their
``run_stats`` and each point's verdict from ``decide``. :mod:`.batch_view` only shows them.

A point is the JSON object ``run_batch`` writes into ``grid_results.json`` (``params``, ``name``,
``status``, ``run_dirs``, ``error``), to which this module adds ``stats``, ``verdict``,
``verdict_reason``, ``candidates`` and ``criteria``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pockit.spec import Spec

__all__ = ["judge_point", "judge_points", "load_points"]


def load_points(
    grid_results_json: str = "", runs_dirs: Sequence[str] = (), spec_path: str = ""
) -> list[dict[str, Any]]:
    """Grid points from a batch's ``grid_results.json`` (or one point per run folder), with their
    stats; judged against ``spec_path``'s criteria when they carry no verdict yet."""
    from pockit._errors import PockitError
    from pockit.analysis import run_stats
    from pockit.spec import load_spec

    points: list[dict[str, Any]] = []
    if grid_results_json:
        data = json.loads(Path(grid_results_json).read_text())
        points = list(data.get("points", []))
    for d in runs_dirs:
        points.append(
            {
                "params": {"runs": Path(d).name},
                "name": Path(d).name,
                "status": "ok",
                "run_dirs": [str(d)],
            }
        )
    for p in points:
        if p.get("status") != "ok":
            continue
        if not p.get("run_dirs"):
            p["status"] = "failed"
            p["error"] = "the notebook ran but left no run directory"
            continue
        try:
            p["stats"] = run_stats(p["run_dirs"]).to_dict()
        except PockitError as exc:
            p["status"] = "failed"
            p["error"] = f"cannot read its runs: {exc}"
    if spec_path and any("verdict" not in p for p in points):
        judge_points(load_spec(spec_path), [p for p in points if "verdict" not in p])
    return points


def judge_point(spec: Spec, point: dict[str, Any]) -> None:
    """Set ``point``'s ``verdict``, per-candidate verdicts and ``criteria`` outcomes from
    :func:`pockit.decide` on its runs. A point that did not run gets no verdict (None); one whose
    runs cannot be judged is INCONCLUSIVE with the reason, never silently left out."""
    from pockit._errors import PockitError
    from pockit.decision import decide

    point["criteria"] = []
    point["candidates"] = {}
    if point.get("status") != "ok" or not point.get("run_dirs"):
        point["verdict"] = None
        point["verdict_reason"] = point.get("error") or "the point did not run"
        return
    try:
        decision = decide(spec, point["run_dirs"])
    except PockitError as exc:
        point["verdict"] = "INCONCLUSIVE"
        point["verdict_reason"] = f"cannot judge its runs: {exc}"
        return
    point["verdict"] = str(decision.verdict)
    point["verdict_reason"] = decision.reason
    point["candidates"] = {n: str(c.verdict) for n, c in decision.candidates.items()}
    point["criteria"] = [
        {
            k: c.get(k)
            for k in (
                "candidate",
                "metric",
                "label",
                "op",
                "threshold",
                "key",
                "outcome",
                "estimate",
                "ci_low",
                "ci_high",
                "n",
                "reason",
            )
        }
        for c in (cr.to_dict() for cr in decision.criteria)
    ]


def judge_points(spec: Spec, points: Sequence[dict[str, Any]]) -> None:
    """:func:`judge_point` for each point."""
    for p in points:
        judge_point(spec, p)
