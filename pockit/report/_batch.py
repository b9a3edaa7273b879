"""A papermill grid: ``poc_run.ipynb`` once per combination of parameters, then one comparison report.

Each grid point writes its run directories under its own folder and its executed notebook under a
name made of its parameters (``poc_run-candidate=async-users=10.ipynb``). A point that fails
(papermill's error) is recorded with the error and does not stop the others. Every point that ran
is judged against the spec's criteria (``pockit.decide``): its ``verdict`` and each criterion's
outcome go into ``grid_results.json`` and ``pockit batch --json``, and along a numeric grid key so
does each candidate's last passing value (:mod:`pockit.report.batch_view`).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pockit._errors import PockitError, ReportError, UsageError
from pockit.report.grid import POINT_FAILED, POINT_OK, GridPoint

__all__ = ["GRID_KEYS", "BatchResult", "parse_grid", "run_batch"]

#: poc_run.ipynb parameters a grid may vary.
GRID_KEYS = ("candidate", "users", "duration_s")
RESULTS_FILE = "grid_results.json"


@dataclass(frozen=True, kw_only=True)
class BatchResult:
    """The comparison report, the grid results file, and each point's outcome."""

    report: Path | None
    results_json: Path
    points: list[GridPoint] = field(default_factory=list)

    #: the numeric grid key the curves run along, and where each candidate passes along it
    along: dict[str, Any] | None = None

    @property
    def failed(self) -> list[GridPoint]:
        return [p for p in self.points if not p.ok]

    def to_dict(self) -> dict[str, Any]:
        return {
            "report": str(self.report) if self.report else None,
            "results": str(self.results_json),
            "points": [p.to_dict() for p in self.points],
            "failed": len(self.failed),
            "along": self.along,
        }


def _literal(text: str) -> Any:
    """A grid value as a literal: ints and floats as numbers, ``none`` as None, the rest as text."""
    t = text.strip()
    if t.lower() in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(t)
        except ValueError:
            continue
    return t


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """``["users=5,10", "candidate=a,b"]`` → ``{"users": [5, 10], "candidate": ["a", "b"]}``."""
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip()
        if not sep or not key or not values.strip():
            raise UsageError(f"--grid {item!r}: expected KEY=V1,V2 (e.g. users=5,10)")
        if key == "duration":
            key = "duration_s"
        if key not in GRID_KEYS:
            raise UsageError(
                f"--grid {item!r}: {key!r} is not a poc_run parameter; use one of {', '.join(GRID_KEYS)}"
            )
        grid[key] = [_literal(v) for v in values.split(",") if v.strip()]
    if not grid:
        raise UsageError("pockit batch needs at least one --grid KEY=V1,V2")
    return grid


def _slug(params: Mapping[str, Any]) -> str:
    text = "-".join(f"{k}={v}" for k, v in params.items())
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text) or "point"


def _spec_name(path: Path) -> str:
    """The spec's ``name`` (what the reader knows the PoC by); the file stem if it will not load."""
    try:
        from pockit.spec import load_spec

        return str(load_spec(path).name)
    except Exception:  # a broken spec already failed every grid point; the report says so
        return path.stem


def _judge(
    spec_path: Path, points: list[GridPoint]
) -> tuple[list[GridPoint], dict[str, Any] | None]:
    """Every point judged against the spec's criteria; where each candidate passes along a numeric key."""
    from pockit.report import batch_view
    from pockit.report.batch_model import judge_points
    from pockit.spec import load_spec

    try:
        spec = load_spec(spec_path)
    except PockitError as exc:  # every point failed on it already; say why none was judged
        why = f"cannot load the spec: {exc}"
        return [
            dataclasses.replace(p, judged=True, verdict=None, verdict_reason=why) for p in points
        ], None
    judged = judge_points(spec, points)
    return judged, batch_view.along(judged)


def run_batch(
    spec_path: str | Path,
    grid: Mapping[str, Sequence[Any]],
    *,
    runs_dir: str | Path = "runs/batch",
    out: str | Path | None = None,
    kernel_name: str | None = None,
    progress: bool = False,
) -> BatchResult:
    """Run ``poc_run.ipynb`` for every point of ``grid``, then build the comparison report at ``out``."""
    from pockit.report._build import execute_notebook, notebook_path, report_paths
    from pockit.report._export import export_html

    spec = Path(spec_path).resolve()
    if not spec.is_file():
        raise UsageError(f"{spec}: spec file not found")
    if out is not None:  # checked before the grid runs, not after
        report_paths(out, "compare.ipynb")
    base = Path(runs_dir).resolve()
    base.mkdir(parents=True, exist_ok=True)
    keys = list(grid)
    points: list[GridPoint] = []
    run_nb = notebook_path("poc_run.ipynb")
    for values in itertools.product(*(grid[k] for k in keys)):
        params = dict(zip(keys, values, strict=True))
        slug = _slug(params)
        point_runs = base / slug
        executed = base / f"poc_run-{slug}.ipynb"
        try:
            execute_notebook(
                run_nb,
                executed,
                {"spec_path": str(spec), "runs_dir": str(point_runs), "progress": False, **params},
                kernel_name=kernel_name,
                cwd=base,
                progress=progress,
            )
            status, error = POINT_OK, None
        except ReportError as exc:
            status, error = POINT_FAILED, str(exc).split("\nfailing cell:", 1)[0]
        points.append(
            GridPoint(
                params=params,
                name=slug,
                status=status,
                error=error,
                notebook=str(executed),
                runs_dir=str(point_runs),
                run_dirs=tuple(
                    sorted(str(p) for p in point_runs.glob("*") if (p / "run.json").is_file())
                    if point_runs.is_dir()
                    else ()
                ),
            )
        )
    points, along = _judge(spec, points)
    results = base / RESULTS_FILE
    results.write_text(
        json.dumps(
            {
                "spec": str(spec),
                "grid": {k: list(v) for k, v in grid.items()},
                "points": [p.to_dict() for p in points],
                "along": along,
            },
            indent=2,
            default=str,
        )
    )
    report: Path | None = None
    if out is not None:
        name = _spec_name(spec)
        out_html, executed = report_paths(out, "compare.ipynb")
        execute_notebook(
            notebook_path("compare.ipynb"),
            executed,
            {
                "grid_results_json": str(results),
                "runs_dirs": [],
                "title": f"Batch comparison — {name}",
            },
            kernel_name=kernel_name,
            cwd=base,
            progress=progress,
        )
        report = export_html(executed, out_html, title=f"{name} — batch comparison — pockit")
    return BatchResult(report=report, results_json=results, points=points, along=along)
