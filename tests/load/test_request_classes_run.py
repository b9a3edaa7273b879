"""Request classes and time to detect on real Locust runs against the demo service (127.0.0.1).

A locustfile that retries a failing request with ``context={"retry": 1}`` and marks a 200 failed
with ``catch_response``: the capture plugin records the retry column, the decision counts retries,
HTTP errors and validation failures apart. A latency fault: ``detect_s`` lands within a second of
the injection, whose truth is the fault_start event (the knob acts on the next request).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from pockit import RunDir, load_spec
from pockit.decision import decide
from pockit.demo._service import DemoService
from pockit.load import run_candidate

pytestmark = pytest.mark.slow

RETRYING = """
from locust import HttpUser, constant, task


class Shopper(HttpUser):
    wait_time = constant(0.02)

    @task
    def missing_item_then_retry(self):
        for attempt in (0, 1):  # the first try, then one retry marked as such
            with self.client.get(
                "/api/items/999999", name="/api/items/[id]", context={"retry": attempt},
                catch_response=True,
            ) as resp:
                if resp.status_code == 404:
                    resp.failure("item missing")
        with self.client.get("/api/items", catch_response=True) as resp:
            resp.failure("body check failed")  # a 200 whose content the test rejects
        self.client.get("/api/items", name="/api/items ok")
"""


def test_retries_http_and_validation_errors_of_a_real_run(
    make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    locustfile = tmp_path / "retrying.py"
    locustfile.write_text(RETRYING)
    with DemoService(variants=("async",)) as svc:
        path = make_spec(
            {"async": svc.url("async")},
            load={"locustfile": str(locustfile), "users": 2, "duration": "3s"},
            criteria=[
                {"metric": "retry_rate", "op": "<", "threshold": 0.5},
                {"metric": "http_error_rate", "op": "<", "threshold": 0.9},
                {"metric": "validation_error_rate", "op": "<", "threshold": 0.5},
                {"metric": "transport_error_rate", "op": "<", "threshold": 0.5},
            ],
        )
        [run_path] = run_candidate(path, "async", runs_dir=tmp_path / "runs", progress=False)
    df = RunDir.open(run_path).read_samples()
    assert df.height > 40
    retried = df.filter(pl.col("retry") == 1)
    first = df.filter(pl.col("retry") == 0)
    assert retried.height > 10 and abs(retried.height - first.height) <= 2  # the last may be cut
    assert (retried["status"] == 404).all() and (~retried["ok"]).all()
    assert (
        df.filter(pl.col("name") != "/api/items/[id]")["retry"].null_count()
        == df.filter(pl.col("name") != "/api/items/[id]").height
    )  # no context: null, not 0
    retry, http, validation, transport = decide(load_spec(path), [run_path]).criteria
    n = df.height
    assert retry.n == n and retry.estimate == pytest.approx(retried.height / n)
    assert 0.2 < retry.estimate < 0.3 and retry.outcome == "PASS"
    assert http.estimate == pytest.approx(df.filter(pl.col("status") == 404).height / n)
    validation_rows = df.filter((pl.col("status") == 200) & ~pl.col("ok"))
    assert validation_rows.height > 10
    assert validation.estimate == pytest.approx(validation_rows.height / n)
    assert transport.estimate == 0.0 and transport.outcome == "PASS"


def test_detect_s_within_a_second_of_an_injected_latency_fault(
    make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    with DemoService(variants=("async",)) as svc:
        path = make_spec(
            {"async": svc.url("async")},
            load={"users": 4, "duration": "5s"},
            faults=[{"kind": "latency", "at": "2s", "duration": "2s", "value": 400}],
            criteria=[
                {"metric": "latency_p95_ms", "op": "<", "threshold": 300},
                {"metric": "detect_s", "op": "<=", "threshold": 3},
            ],
        )
        [run_path] = run_candidate(path, "async", runs_dir=tmp_path / "runs", progress=False)
    _, det = decide(load_spec(path), [run_path]).criteria
    # the knob acts on the next request after fault_start: the true delay is ~0 s
    assert 0.0 <= det.estimate <= 1.0, det.reason
    assert det.ci_low <= 1.0 and det.ci_high - det.ci_low == 1.0
    assert det.outcome == "PASS" and det.details["faults"][0]["by"] == "latency_p95"
