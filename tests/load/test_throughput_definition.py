"""One throughput definition: requests ÷ the measured load window, the same in the end-of-run
summary, ``pockit stats`` and the report (issue 12: the summary said 39.3 req/s, the Summary table
34.5, neither said which). A real short run against the demo service on 127.0.0.1."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pockit import RunDir
from pockit._contract import RunField
from pockit._display import throughput_label
from pockit.analysis import run_stats
from pockit.demo._service import DemoService
from pockit.load import run_candidate, summarize

pytestmark = pytest.mark.slow


def test_summary_and_stats_divide_by_the_load_window(
    service: DemoService, make_spec: Any, tmp_path: Path, capsys: Any
) -> None:
    spec = make_spec({"async": service.url("async")}, load={"duration": "3s"})
    [path] = run_candidate(spec, "async", runs_dir=tmp_path, progress=True)
    out, _ = capsys.readouterr()
    run = RunDir.open(path)
    window = run.meta[RunField.LOAD_WINDOW]["seconds"]
    start_end = (run.record.end - run.record.start).total_seconds()  # type: ignore[operator]
    assert window < start_end  # Locust's start-up and shutdown lie outside the window

    stats = run_stats([path])
    n = stats.n
    assert stats.throughput_rps == pytest.approx(n / window)
    assert "load window" in stats.method
    assert throughput_label(stats.method) == "throughput (requests ÷ load window)"

    summary = summarize(path)
    assert summary["requests"] == n
    assert summary["rps"] == stats.throughput_rps  # the same function, not its own arithmetic
    printed = re.search(r"([\d.]+) req/s \(requests ÷ load window\)", out)
    assert printed is not None, out
    assert float(printed.group(1)) == round(stats.throughput_rps, 1)
