"""The report's detect/recover timeline and request-class chart (issue 15), drawn from the report
model that ``build_model`` makes of real run directories (tests/report/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from matplotlib.text import Text

from pockit._rundir import RunDir
from pockit.report import build_model, plots
from pockit.report.fault_windows import fault_windows
from pockit.report.model import FaultMark
from tests.report.conftest import SPEC_TEXT

CRITERIA = """\
  - {{metric: error_rate, op: "<", threshold: 0.05}}
  - {{metric: detect_s, op: "<=", threshold: 2}}
  - {{metric: recovery_s, op: "<=", threshold: 5}}
notes:
"""


def _texts(fig: Any) -> str:
    fig.canvas.draw()
    return " | ".join(t.get_text() for t in fig.findobj(Text) if t.get_text())


def _spec(tmp_path: Path) -> Path:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text("from locust import HttpUser\n")
    text = SPEC_TEXT.replace("notes:\n", CRITERIA).format(locustfile=locustfile)
    path = tmp_path / "poc.yaml"
    path.write_text(text)
    return path


def test_each_fault_carries_its_detection_and_recovery_moments(
    tmp_path: Path, run_factory: Callable[..., RunDir]
) -> None:
    # 30% errors all through: the first second after the fault breaches 5% (detect_s = 0), and
    # the run is never healthy again (recovery never happens)
    run = run_factory("async", error_share=0.3, seed=3)
    model = build_model(_spec(tmp_path), [run])
    [fw] = model.faults
    assert (fw.run_id, fw.candidate, fw.fault, fw.kind) == (run.id, "async", "0", "latency")
    assert fw.end is not None and (fw.end - fw.start).total_seconds() == 2.0
    assert FaultMark("detect_s", "detect", 0.0) in fw.marks
    assert FaultMark("recovery_s", "recover", None) in fw.marks
    fig = plots.fault_timeline(model.timeline, model.faults)
    assert plots.figure_png(fig).startswith(b"\x89PNG")
    text = _texts(fig)
    assert "detect_s 0.0 s" in text and "recovery_s: never" in text and "fault 0 latency" in text


def test_a_recovered_fault_is_marked_after_its_end(
    tmp_path: Path, run_factory: Callable[..., RunDir]
) -> None:
    run = run_factory("async", error_share=0.0, seed=4)
    model = build_model(_spec(tmp_path), [run])
    [fw] = model.faults
    marks = {m.label: m for m in fw.marks}
    # healthy at once after the 2 s fault: recovery 0 s after its end = 2 s after its start
    assert marks["recovery_s"].at_s == 2.0 and marks["detect_s"].at_s is None
    # the legend says recovery_s as the criterion counts it: from the fault's end
    text = _texts(plots.fault_timeline(model.timeline, model.faults))
    assert "recovered at 2.0 s (recovery_s 0.0 s)" in text, text


def test_without_faults_or_detection_criteria(
    spec_path: Path, run_factory: Callable[..., RunDir]
) -> None:
    quiet = build_model(spec_path, [run_factory("async", fault_at_s=None)])
    assert quiet.faults == ()
    assert "No faults were injected" in _texts(plots.fault_timeline(quiet.timeline, quiet.faults))
    bare = build_model(spec_path, [run_factory("baseline", seed=5)])
    [fw] = bare.faults  # a fault with no detect/recovery criterion: shown, nothing marked
    assert fw.marks == ()
    assert fault_windows([], None) == ()


def test_request_classes_per_endpoint(spec_path: Path, run_factory: Callable[..., RunDir]) -> None:
    model = build_model(spec_path, [run_factory("async", error_share=0.2, seed=6)])
    fig = plots.request_classes(model.endpoint_stats)
    assert plots.figure_png(fig).startswith(b"\x89PNG")
    text = _texts(fig)
    assert "async /checkout (n=" in text and "http" in text and "denied" in text
    clean = build_model(spec_path, [run_factory("async", error_share=0.0, seed=7)])
    assert "No denied, throttled or failed" in _texts(plots.request_classes(clean.endpoint_stats))
