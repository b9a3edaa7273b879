"""Progress where it is read: lines in a log (no carriage returns), a bar that ends in the run's state.

The log tests run the real CLI with stderr piped (not a TTY), as CI, papermill's log or ``| tee``
would; ``POCKIT_PROGRESS_EVERY_S`` (documented in the README) shortens the 10 s interval.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pockit.demo._service import DemoService
from pockit.load._progress import Progress, _make_bar, progress_mode

LINE = re.compile(
    r"^async r0: \d+s of 4s, \d+ users, [\d.]+ req/s, \d+ requests, errors \d+ \([\d.]+%\)$"
)


def _run(spec: Path, runs_dir: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POCKIT_PROGRESS_EVERY_S": "1"}
    cmd = [sys.executable, "-m", "pockit", "run", str(spec), "--runs-dir", str(runs_dir), *flags]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.slow
def test_log_gets_lines_not_bar_frames(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = make_spec({"async": service.url("async")}, load={"duration": "4s"})
    proc = _run(spec, tmp_path / "runs")
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("async r0:")]
    assert len(lines) >= 2, proc.stderr  # one a second over ~4 s of load
    assert all(LINE.match(ln) for ln in lines), lines
    assert "completed" in proc.stdout and "latency p50" in proc.stdout


@pytest.mark.slow
def test_no_progress_keeps_the_summary(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = make_spec({"async": service.url("async")}, load={"duration": "2s"})
    proc = _run(spec, tmp_path / "runs", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert not [ln for ln in proc.stderr.splitlines() if ln.startswith("async r0:")]
    # the run's outcome is printed even without progress
    assert re.search(r"^run \S+: completed", proc.stdout, re.M), proc.stdout
    assert "latency p50" in proc.stdout


def test_mode_follows_the_stream(tmp_path: Path) -> None:
    with open(tmp_path / "log", "w") as fh:
        assert progress_mode(fh) == "lines"
    master, slave = os.openpty()
    try:
        with os.fdopen(slave, "w", closefd=False) as tty:
            assert progress_mode(tty) == "terminal"
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize(("ok", "style"), [(True, "success"), (False, "danger")])
def test_notebook_bar_ends_green_only_on_success(tmp_path: Path, ok: bool, style: str) -> None:
    """The widget a kernel shows (ipywidgets works without a kernel, no frontend needed)."""
    snap = tmp_path / ".progress.json"
    snap.write_text(json.dumps({"users": 3, "requests": 120, "failures": 0}))
    progress = Progress(snap, total_s=20, desc="async r0", window_s=1.0, enabled=False)
    progress.bar = _make_bar(total=20, desc="async r0", notebook=True, stream=sys.stderr)
    progress.update()
    progress.bar.n = 18.6  # counted from the first snapshot, a second or so after Locust started
    label, bar, right = progress.bar.container.children
    progress.close(ok=ok)
    assert bar.bar_style == style
    assert (bar.value == bar.max) is ok
    # no text bar beside the widget: the labels hold no block characters, the postfix one short line
    assert not re.search("[\u2580-\u259f|]", label.value + right.value)
    assert len(right.value) <= 40, right.value


def test_rate_is_measured_over_the_snapshots_own_clock(tmp_path: Path) -> None:
    """The rate behind ``guardrails.max_rps`` counts requests over the time Locust wrote its
    snapshots, not the time pockit read them: a stale snapshot read, then a fresh one, must not
    count two seconds of requests as one (a capacity ramp at 140 req/s was once stopped for
    "277 req/s > 200")."""
    snap = tmp_path / ".progress.json"
    progress = Progress(snap, total_s=20, desc="r0", window_s=1.0, enabled=False)

    def write(t: float, requests: int) -> None:
        snap.write_text(json.dumps({"t": t, "users": 5, "requests": requests, "failures": 0}))
        progress.update()

    write(1000.0, 0)
    write(1000.0, 0)  # read again before Locust wrote the next one
    write(1001.0, 140)
    assert progress.rps == pytest.approx(140.0)
    write(1003.0, 420)  # one snapshot missed: two seconds of requests over two seconds
    assert progress.rps == pytest.approx(140.0)
    write(1003.4, 480)  # inside the window: the rate stays as measured
    assert progress.rps == pytest.approx(140.0)
