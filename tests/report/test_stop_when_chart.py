"""The report's stop-when chart: drawn from run.json's ``stop_when`` record, absent without one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pockit._contract import RunField, StopCode
from pockit.report import plots
from pockit.report.run_facts import run_facts, stop_when_tracks
from tests.analysis.helpers import make_run

REPO = Path(__file__).resolve().parents[2]


def _record(stop: bool) -> dict[str, object]:
    looks = [
        {
            "at": "2026-01-05T10:00:05Z",
            "elapsed_s": float(t),
            "criteria": [
                {
                    "label": "latency_p95_ms < 300",
                    "metric": "latency_p95_ms",
                    "n": 0 if t == 0 else 100 * t,
                    "lo": None if t == 0 else 0.9 + t / 100,
                    "hi": None if t == 0 else 1.0,
                    "outcome": "INCONCLUSIVE",
                },
            ],
        }  # fmt: skip
        for t in (0, 5, 10)
    ]
    return {
        "stop": stop,
        "elapsed_s": 10.0,
        "criteria": [{"metric": "latency_p95_ms", "p0": 0.95, "outcome": "PASS"}],
        "labels": ["latency_p95_ms < 300"],
        "history": looks,
    }


def test_chart_only_for_watched_runs(tmp_path: Path) -> None:
    plain = make_run(tmp_path / "a", "a", np.full(10, 5.0))
    assert stop_when_tracks([run_facts(plain)]) == ()
    assert plots.stop_when_bounds(stop_when_tracks([run_facts(plain)])) is None
    watched = make_run(tmp_path / "b", "b", np.full(10, 5.0))
    watched.update_meta(**{RunField.STOP_WHEN: _record(True), RunField.STOP_CODE: StopCode.DECIDED})
    tracks = stop_when_tracks([run_facts(plain), run_facts(watched)])
    assert [t.run_id for t in tracks] == [watched.id] and tracks[0].stopped_at_s == 10.0
    assert tracks[0].looks[0].bounds == {"latency_p95_ms < 300": (None, None)}
    fig = plots.stop_when_bounds(tracks)
    assert fig is not None
    [ax] = fig.axes
    assert ax.get_title(loc="left") == "latency_p95_ms < 300"
    assert any("decided" in t.get_text() for t in ax.texts)  # the moment of decision is marked
    assert plots.figure_png(fig).startswith(b"\x89PNG")


def test_report_notebook_calls_it() -> None:
    nb = json.loads((REPO / "notebooks" / "poc_report.ipynb").read_text())
    assert any(
        "plots.stop_when_bounds(model.stop_when)" in "".join(c["source"]) for c in nb["cells"]
    )
