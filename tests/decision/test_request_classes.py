"""Request classes (issue 15): denies, throttles, error classes and retries as rate criteria, in
``pockit stats --json``, and time to detect a fault, on run directories built from arrays."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from pockit.analysis import CLASS_METRICS, class_counts, clopper_pearson, load_samples, run_stats
from pockit.analysis._sequential import evaluate_sequential, share_counts, share_test
from pockit.decision import decide
from pockit.spec import FIXED_METRICS, metric_is_known
from tests.analysis.helpers import T0, make_run
from tests.decision.test_decide import spec_with

#: (status, ok) of one request of each kind the rule tells apart, and its expected class.
KINDS = [
    (200, True, None),
    (401, False, "denied"),  # also http
    (403, False, "denied"),
    (429, False, "throttled"),
    (0, False, "transport"),
    (200, False, "validation"),  # catch_response marked a 200 failed
    (302, False, "validation"),
    (500, False, "http"),
    (404, True, None),  # catch_response accepted an expected 404: no error class
]
NEW = (*CLASS_METRICS, "detect_s")


def _kinds_run(root: Path, reps: int = 10, repeat: int | None = None) -> Path:
    status = [s for s, _, _ in KINDS] * reps
    ok = [o for _, o, _ in KINDS] * reps
    names = ["/login" if s in (401, 403) else "/api" for s in status]
    return make_run(
        root, "fast", np.full(len(ok), 10.0), ok=ok, status=status, names=names, repeat=repeat
    ).path


def test_the_class_rule_from_status_and_ok(tmp_path: Path) -> None:
    s = load_samples(_kinds_run(tmp_path, reps=1))
    row = class_counts(s.frame).row(0, named=True)
    assert row["n"] == len(KINDS)
    assert (row["denied"], row["throttled"]) == (2, 1)
    assert (row["transport"], row["validation"], row["http"]) == (1, 2, 4)  # 401, 403, 429, 500
    assert row["retry"] == 0
    # every failed request is in exactly one error class
    failed = sum(not o for _, o, _ in KINDS)
    assert row["transport"] + row["validation"] + row["http"] == failed


def test_metrics_are_known_to_the_spec() -> None:
    for m in NEW:
        assert m in FIXED_METRICS and metric_is_known(m)


def test_denied_rate_overall_and_per_endpoint_with_clopper_pearson_bounds(tmp_path: Path) -> None:
    run = _kinds_run(tmp_path / "r", reps=40)
    spec = spec_with(
        tmp_path,
        '  - {metric: denied_rate, op: "<", threshold: 0.5}\n'
        '  - {metric: denied_rate, op: "<", threshold: 0.5, endpoint: /login}\n'
        '  - {metric: throttled_rate, op: "<=", threshold: 0.11}\n'
        '  - {metric: validation_error_rate, op: "<", threshold: 0.5}\n',
    )
    overall, login, throttled, validation = decide(spec, [run]).criteria
    n = 40 * len(KINDS)
    lo, hi = (float(x) for x in clopper_pearson(80, n, sides="one"))
    assert overall.estimate == pytest.approx(80 / n) and overall.n == n
    assert (overall.ci_low, overall.ci_high) == pytest.approx((lo, hi))
    assert overall.outcome == "PASS" and overall.details["count"] == 80
    # /login holds only the 401s and 403s: every request there is denied
    assert login.estimate == 1.0 and login.n == 80 and login.outcome == "FAIL"
    assert throttled.estimate == pytest.approx(40 / n) and throttled.outcome == "INCONCLUSIVE"
    assert validation.estimate == pytest.approx(80 / n) and validation.outcome == "PASS"
    assert "validation" in validation.method and "Clopper-Pearson" in validation.method


def test_several_runs_use_the_run_as_the_unit(tmp_path: Path) -> None:
    paths = [_kinds_run(tmp_path / f"r{i}", reps=20 + 10 * i, repeat=i) for i in range(3)]
    spec = spec_with(tmp_path, '  - {metric: transport_error_rate, op: "<", threshold: 0.5}\n')
    [c] = decide(spec, paths).criteria
    assert c.details["unit"] == "run" and "run is the unit (3 runs)" in c.reason


def test_unknown_status_is_judged_both_ways(tmp_path: Path) -> None:
    n = 200
    status: list[int | None] = [200] * n
    ok = [True] * n
    for i in range(20):  # 10% failed with no recorded status
        status[i], ok[i] = None, False
    run = make_run(tmp_path / "r", "fast", np.full(n, 5.0), ok=ok, status=status)
    spec = spec_with(
        tmp_path,
        '  - {metric: transport_error_rate, op: "<", threshold: 0.05}\n'
        '  - {metric: transport_error_rate, op: "<", threshold: 0.5}\n',
    )
    unsure, clear = decide(spec, [run.path]).criteria
    assert unsure.outcome == "INCONCLUSIVE" and "20 request(s) without a recorded HTTP status" in (
        unsure.reason
    )
    assert unsure.details["outcome_if_unknown_none"] == "PASS"
    assert unsure.details["outcome_if_unknown_all"] == "FAIL"
    assert clear.outcome == "PASS"


def test_retry_rate_and_runs_without_retry_marks(tmp_path: Path) -> None:
    n = 300
    retry: list[int | None] = [None] * n
    for i in range(0, n, 10):
        retry[i] = 1  # 10% retries
    retry[1] = 0  # a first attempt that says so is no retry
    run = make_run(tmp_path / "r", "fast", np.full(n, 5.0), retry=retry)
    old = make_run(tmp_path / "o", "slow", np.full(n, 5.0), without=("retry",))
    spec = spec_with(tmp_path, '  - {metric: retry_rate, op: "<", threshold: 0.2}\n')
    d = decide(spec, [run.path, old.path])
    marked = d.candidates["fast"].criteria[0]
    assert marked.estimate == pytest.approx(0.1) and marked.outcome == "PASS"
    unmarked = d.candidates["slow"].criteria[0]
    assert unmarked.outcome == "INCONCLUSIVE" and "no retry marks" in unmarked.reason
    # the old directory still reads: retry comes back null, status as written
    assert load_samples(old.path).frame["retry"].null_count() == n


def test_share_test_and_anytime_counts_match_the_fixed_counts(tmp_path: Path) -> None:
    s = load_samples(_kinds_run(tmp_path, reps=30))
    spec = spec_with(tmp_path, '  - {metric: http_error_rate, op: "<", threshold: 0.6}\n')
    [crit] = spec.criteria
    test = share_test(crit)
    assert test is not None and test.kind == "http" and test.good == "less"
    [counts] = share_counts(s.frame, [crit])
    assert counts == (30 * len(KINDS), 30 * 4, 0)
    seq = evaluate_sequential(crit, *counts[:2], unknown=counts[2])
    assert seq is not None and seq.outcome == "PASS"


def test_stats_json_carries_classes_per_endpoint(tmp_path: Path) -> None:
    run = _kinds_run(tmp_path / "r", reps=5)
    classes = run_stats([run]).to_dict()["request_classes"]
    assert classes["overall"]["denied"] == 10 and classes["overall"]["throttled"] == 5
    assert classes["endpoints"]["/login"]["denied_rate"] == 1.0
    assert classes["endpoints"]["/api"]["denied"] == 0
    out = subprocess.run(
        [sys.executable, "-m", "pockit", "stats", str(run), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    got = json.loads(out.stdout)["request_classes"]
    assert got["endpoints"]["/api"]["validation"] == 10


# -- time to detect -------------------------------------------------------------------------------


def _fault_run(root: Path, *, at_s: float, breach: bool) -> Path:
    n = 6000  # 100 rps over 60 s
    lat = np.full(n, 20.0)
    offs = np.linspace(0, 60, n, endpoint=False)
    if breach:
        lat[(offs >= at_s + 0.3) & (offs < at_s + 10)] = 900.0  # slow from 0.3 s after the start
    events = [
        {"kind": "fault_start", "ts": T0 + timedelta(seconds=at_s), "fault": 0},
        {"kind": "fault_end", "ts": T0 + timedelta(seconds=at_s + 10), "fault": 0},
    ]
    return make_run(root, "fast", lat, events=events).path


def test_detect_s_from_fault_start_to_the_first_breaching_second(tmp_path: Path) -> None:
    spec = spec_with(
        tmp_path,
        '  - {metric: latency_p95_ms, op: "<", threshold: 300}\n'
        '  - {metric: detect_s, op: "<=", threshold: 2}\n',
    )
    _, det = decide(spec, [_fault_run(tmp_path / "r", at_s=20.4, breach=True)]).criteria
    assert det.estimate == 0.0 and (det.ci_low, det.ci_high) == (0.0, 1.0)
    assert det.outcome == "PASS" and det.details["faults"][0]["by"] == "latency_p95"
    quiet = decide(spec, [_fault_run(tmp_path / "q", at_s=20.4, breach=False)]).criteria[1]
    assert quiet.outcome == "FAIL" and "not detected" in quiet.reason
    none = make_run(tmp_path / "n", "fast", np.full(500, 20.0))
    nofault = decide(spec, [none.path]).criteria[1]
    assert nofault.outcome == "INCONCLUSIVE" and "needs an injected fault" in nofault.reason
