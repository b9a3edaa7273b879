"""A target that dies mid-run: the run completes, samples are kept, run.json says when it died."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from pockit._rundir import RunDir
from pockit.demo._service import DemoService
from pockit.load import run_candidate
from tests.contract.checks import follows_contract, risk_items

pytestmark = pytest.mark.slow


def test_target_dying_mid_run_is_recorded(make_spec: Callable[..., Path], tmp_path: Path) -> None:
    with DemoService(variants=("async",)) as svc:
        spec = make_spec({"async": svc.url("async")}, load={"duration": "5s"})
        timer = threading.Timer(2.5, svc.stop)  # the whole service goes away, for good
        timer.start()
        try:
            [path] = run_candidate(spec, "async", runs_dir=tmp_path / "runs", progress=False)
        finally:
            timer.cancel()
    run = RunDir.open(path)
    meta = run.meta
    assert meta["status"] == "completed"
    assert meta["target_unreachable"]["requests"] > 0
    assert "stopped answering" in meta["stop_reason"]
    samples = run.read_samples()
    answered = samples.filter(pl.col("status") != 0)
    assert answered.height > 0, "requests before the death are kept"
    assert any(e["kind"] == "target_unreachable" for e in run.events())
    follows_contract(run)
    [down] = risk_items(run)["target"]
    assert f"stopped answering at {meta['target_unreachable']['from']}" in down


def test_healthy_run_has_no_death(make_spec: Callable[..., Path], tmp_path: Path) -> None:
    with DemoService(variants=("async",)) as svc:
        spec = make_spec({"async": svc.url("async")}, load={"duration": "2s"})
        [path] = run_candidate(spec, "async", runs_dir=tmp_path / "runs", progress=False)
    meta = RunDir.open(path).meta
    assert meta["target_unreachable"] is None
    assert meta["load_generator_saturated"] is False
