"""Many users connecting at once get no false 1 s tail (a SYN retransmit from an overflowing backlog)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pockit._rundir import RunDir
from pockit.demo._service import DemoService
from pockit.load import run_candidate
from tests._typed import number

pytestmark = pytest.mark.slow


def test_burst_of_connections_has_no_retransmit_tail(
    make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    with DemoService(variants=("async",)) as svc:
        spec = make_spec(
            {"async": svc.url("async")}, load={"users": 40, "spawn_rate": 400, "duration": "3s"}
        )
        [path] = run_candidate(spec, "async", runs_dir=tmp_path / "runs", progress=False)
    samples = RunDir.open(path).read_samples()
    assert samples.height > 100
    # the async variant serves in ~10-20 ms; a dropped SYN would add a 1,000 ms retransmit
    assert number(samples["latency_ms"].max()) < 900, samples.sort("latency_ms").tail(3)
