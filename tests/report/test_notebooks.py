"""The bundled notebooks executed directly through papermill (not via batch), checked by their outputs.

Real kernel, real billing samples from ``datasets/billing``; one kernel start per notebook.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pockit._rundir import RunDir
from pockit.report._build import execute_notebook, notebook_path
from pockit.report.grid import GridPoint

REPO = Path(__file__).resolve().parents[2]
BILLING = REPO / "datasets" / "billing"


def _outputs(nb_path: Path) -> tuple[str, str, list[dict[str, Any]]]:
    """(all stdout, all text/html, error outputs) of an executed notebook."""
    nb = json.loads(nb_path.read_text())
    stdout, html, errors = [], [], []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append(out)
            elif out.get("output_type") == "stream" and out.get("name") == "stdout":
                stdout.append("".join(out["text"]))
            data = out.get("data", {})
            if "text/html" in data:
                html.append("".join(data["text/html"]))
    return "\n".join(stdout), "\n".join(html), errors


def _images(nb_path: Path) -> int:
    nb = json.loads(nb_path.read_text())
    return sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))


@pytest.mark.parametrize(
    ("source", "fmt", "rows", "total"),
    [
        (BILLING / "focus-sample.csv", None, 480, 30.118410),
        (BILLING / "cur2", "cur2", 338, 27.195335),
    ],
    ids=["focus", "cur2"],
)
def test_billing_explore_reads_the_export(
    tmp_path: Path, source: Path, fmt: str | None, rows: int, total: float
) -> None:
    out = execute_notebook(
        notebook_path("billing_explore.ipynb"),
        tmp_path / "billing.ipynb",
        {"billing_path": str(source), "format": fmt, "column": "effective"},
        cwd=tmp_path,
    )
    stdout, html, errors = _outputs(out)
    assert errors == []
    assert f"{rows:,} rows" in stdout
    assert f"total {total:.6f} USD (effective cost)" in stdout
    assert "<table>" in html and "service" in html  # the by-service table rendered
    assert "<td>poc</td>" in html  # the tag keys table found the cost-allocation tag
    assert _images(out) == 1  # the cost breakdown chart


def test_compare_shows_every_point_and_a_failed_one(
    tmp_path: Path, run_factory: Callable[..., RunDir]
) -> None:
    fast = run_factory("async", median_ms=20.0, seed=3, fault_at_s=None)
    slow = run_factory("baseline", median_ms=80.0, seed=4, fault_at_s=None)
    results = tmp_path / "grid_results.json"
    points = [  # as run_batch writes them (GridPoint.to_dict), read back by load_points
        GridPoint(params={"candidate": "async"}, name="candidate=async", status="ok",
                  run_dirs=(str(fast.path),)),
        GridPoint(params={"candidate": "baseline"}, name="candidate=baseline", status="ok",
                  run_dirs=(str(slow.path),)),
        GridPoint(params={"candidate": "broken"}, name="candidate=broken", status="failed",
                  error="poc_run.ipynb: cell 3 failed with SpecError: no candidate 'broken'"),
    ]  # fmt: skip
    results.write_text(
        json.dumps({"spec": "x", "grid": {}, "points": [p.to_dict() for p in points]})
    )
    out = execute_notebook(
        notebook_path("compare.ipynb"),
        tmp_path / "compare.ipynb",
        {"grid_results_json": str(results), "runs_dirs": [], "title": "Grid of checkout"},
        cwd=tmp_path,
    )
    _stdout, html, errors = _outputs(out)
    assert errors == []
    assert "Grid of checkout" in html
    assert "2 of 3 grid point(s) ran" in html and "1 failed" in html
    for cand in ("async", "baseline", "broken"):
        assert f"<td>{cand}</td>" in html
    assert "no candidate &#x27;broken&#x27;" in html  # papermill's error, escaped
    assert "600" in html  # each ok point's request count from run_stats
    assert _images(out) >= 1
