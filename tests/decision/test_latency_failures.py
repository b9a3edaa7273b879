"""Latency criteria count failed requests: a timeout never got a good answer under the threshold."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from pockit.decision import decide
from pockit.spec import Spec
from tests.analysis.helpers import T0, make_run, make_spec

SPEC = """
name: failures
hypothesis: timeouts count against P95
candidates: [{{name: a, host: "http://127.0.0.1:1"}}]
load: {{locustfile: l.py}}
criteria:
  - {{metric: {metric}, op: "<", threshold: 300}}
"""


def _spec(tmp: Path, metric: str = "latency_p95_ms") -> Spec:
    spec: Spec = make_spec(tmp, SPEC.format(metric=metric))
    return spec


def test_timeouts_fail_a_p95_criterion(tmp_path: Path) -> None:
    n = 2000
    ok = np.ones(n, bool)
    ok[::10] = False  # 10% of requests failed (timed out); the rest answered in 10 ms
    run = make_run(tmp_path / "r", "a", np.full(n, 10.0), ok=ok)
    c = decide(_spec(tmp_path), [run.path]).criteria[0]
    assert c.outcome == "FAIL", c.reason
    assert c.n == n  # the denominator is every request
    assert c.details["share_under"] == 0.9
    assert math.isinf(c.estimate) and math.isinf(c.ci_high)  # P95 is a failure: unbounded
    assert "200 failed" in c.reason and "unbounded" in c.reason
    assert "failed requests count as not under" in c.method


def test_few_failures_still_pass_with_a_finite_estimate(tmp_path: Path) -> None:
    n = 3000
    ok = np.ones(n, bool)
    ok[::50] = False  # 2% failed: the share under 300 ms is 98%
    run = make_run(tmp_path / "r", "a", np.linspace(10, 100, n), ok=ok)
    c = decide(_spec(tmp_path), [run.path]).criteria[0]
    assert c.outcome == "PASS" and c.n == n
    assert math.isfinite(c.estimate) and c.ci_low <= c.estimate <= c.ci_high < 300


def test_intended_latency_counts_failures_too(tmp_path: Path) -> None:
    n = 2000
    ok = np.ones(n, bool)
    ok[::10] = False
    offs = np.linspace(0, 60, n, endpoint=False)
    t = np.datetime64(T0.replace(tzinfo=None), "ns") + (offs * 1e9).astype("timedelta64[ns]")
    run = make_run(tmp_path / "r", "a", np.full(n, 10.0), ok=ok, t_start=t, t_intended=t)
    c = decide(_spec(tmp_path, "latency_p95_intended_ms"), [run.path]).criteria[0]
    assert c.outcome == "FAIL" and c.n == n, c.reason
