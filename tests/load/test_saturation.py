"""A load generator pinned at 100% CPU is detected and said in run.json; a relaxed one is not.

The busy user burns CPU in Python between its requests, which pins its Locust process at 100% of a
core whatever the target does; the target is the demo service on 127.0.0.1, and the load is bounded
by the run's duration.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pockit._rundir import RunDir
from pockit.demo._service import DemoService
from pockit.load import run_candidate
from tests.contract.checks import follows_contract, risk_items

pytestmark = pytest.mark.slow

BUSY_LOCUSTFILE = """
from locust import HttpUser, task, constant

class Busy(HttpUser):
    wait_time = constant(0)

    @task
    def spin_then_ask(self):
        sum(i * i for i in range(3_000_000))  # ~150 ms of client-side work per request: CPU-bound
        self.client.get("/health")
"""


def test_saturated_load_generator_is_recorded(
    make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    busy = tmp_path / "busy.py"
    busy.write_text(BUSY_LOCUSTFILE)
    with DemoService(variants=("async",)) as svc:
        spec = make_spec(
            {"async": svc.url("async")},
            load={"locustfile": str(busy), "users": 2, "duration": "10s"},
        )
        [path] = run_candidate(spec, "async", runs_dir=tmp_path / "runs", progress=False)
    run = RunDir.open(path)
    meta = run.meta
    assert meta["status"] == "completed"
    assert meta["load_generator_saturated"] is True
    assert "above 90% CPU" in meta["stop_reason"]
    events = [e for e in run.events() if e["kind"] == "load_generator_saturated"]
    assert events and all(e["cpu_demand_percent"] >= 90 for e in events if "process" in e)
    follows_contract(run)
    [saturated] = risk_items(run)["load generator"]
    assert "saturated (CPU)" in saturated
