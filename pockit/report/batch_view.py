"""What ``compare.ipynb`` shows: the grid's points, their headline numbers (from ``run_stats``), failures."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["grid_plot", "load_points", "rows", "summary_banner"]


def load_points(grid_results_json: str = "", runs_dirs: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Grid points from a batch's ``grid_results.json`` (or one point per run folder), with their stats."""
    import pockit
    from pockit._errors import PockitError

    points: list[dict[str, Any]] = []
    if grid_results_json:
        points = list(json.loads(Path(grid_results_json).read_text()).get("points", []))
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
            p["stats"] = pockit.run_stats(p["run_dirs"]).to_dict()
        except PockitError as exc:
            p["status"] = "failed"
            p["error"] = f"cannot read its runs: {exc}"
    return points


def summary_banner(points: Sequence[dict[str, Any]]) -> str:
    ok = sum(1 for p in points if p.get("status") == "ok")
    failed = len(points) - ok
    color = "nogo" if ok == 0 else ("inconclusive" if failed else "go")
    return (
        f'<div class="pockit-banner {color}" id="verdict"><div class="verdict">{ok} of {len(points)} grid point(s) ran</div>'
        + (f"<div>{failed} failed; their errors are listed below.</div>" if failed else "")
        + "</div>"
    )


def rows(points: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One table row per point: parameters, status, n, success rate, throughput, p95 [interval], error."""
    out = []
    for p in points:
        s = p.get("stats") or {}
        p95 = (s.get("latency_ms") or {}).get("p95") or {}
        row: dict[str, Any] = {**{k: v for k, v in (p.get("params") or {}).items()}}
        row.update(
            {
                "status": p.get("status"),
                "requests": s.get("n"),
                "success rate": s.get("success_rate"),
                "throughput (req/s)": s.get("throughput_rps"),
                "p95 (ms)": p95.get("value"),
                "p95 95% interval (ms)": (
                    f"{p95.get('ci_low'):.1f} – {p95.get('ci_high'):.1f}"
                    if isinstance(p95.get("ci_low"), int | float)
                    and isinstance(p95.get("ci_high"), int | float)
                    else ""
                ),
                "error": p.get("error", ""),
            }
        )
        out.append(row)
    return out


def grid_plot(points: Sequence[dict[str, Any]]) -> Figure:
    """P95 latency (with its interval) and throughput for every grid point that ran."""
    from pockit.report import plots

    ok = [p for p in points if p.get("status") == "ok" and p.get("stats")]
    if not ok:
        return plots.message("Grid comparison", "No grid point produced runs.")
    fig, (ax1, ax2) = plots._figure(plots.WIDE, 1, 2)
    labels = [str(p.get("name")) for p in ok]
    vals, lo, hi, rps = [], [], [], []
    for p in ok:
        e = (p["stats"].get("latency_ms") or {}).get("p95") or {}
        v = e.get("value")
        vals.append(float(v) if isinstance(v, int | float) else float("nan"))
        lo.append(
            max(0.0, vals[-1] - e["ci_low"]) if isinstance(e.get("ci_low"), int | float) else 0.0
        )
        hi.append(
            max(0.0, e["ci_high"] - vals[-1]) if isinstance(e.get("ci_high"), int | float) else 0.0
        )
        r = p["stats"].get("throughput_rps")
        rps.append(float(r) if isinstance(r, int | float) else 0.0)
    ys = range(len(ok))
    ax1.barh(list(ys), vals, xerr=[lo, hi], color="#3e7cb1", capsize=3)
    ax1.set_yticks(list(ys))
    ax1.set_yticklabels([plots.lit(x[:40]) for x in labels], fontsize=8)
    ax1.set_xlabel("P95 latency (ms)")
    ax1.set_title("P95 per grid point (95% interval)", loc="left", fontsize=11)
    ax1.grid(alpha=0.3, axis="x")
    ax2.barh(list(ys), rps, color="#7b8794")
    ax2.set_yticks(list(ys))
    ax2.set_yticklabels([])
    ax2.set_xlabel("throughput (req/s)")
    ax2.set_title("throughput", loc="left", fontsize=11)
    ax2.grid(alpha=0.3, axis="x")
    return fig
