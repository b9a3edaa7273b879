"""Rows ``pockit import --skip-bad-rows`` skipped weigh on the decision: nothing dropped silently.

A skipped row was probably a request whose outcome and latency nobody could read. Rate criteria
(success/error rate, error-budget burn) and latency criteria are judged at both extremes (every
skipped row OK and fast, every one failed and slow) and PASS or FAIL only when both agree. Before,
a file of 2,000 good rows and 40 unreadable ones decided GO on success_rate >= 99%, though the 40
could have been failures (2000 of 2040 = 98%). The run directory is made by the real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pockit.cli import main
from pockit.decision import decide
from tests.analysis.helpers import make_spec

SPEC = """
name: skipped-rows
hypothesis: the legacy service holds P95 < 300 ms with 99% success
candidates: [{name: legacy, host: "http://127.0.0.1:1"}]
load: {locustfile: l.py}
slo: {target: 0.99}
criteria:
  - {metric: success_rate, op: ">=", threshold: 0.99, key: true}
  - {metric: error_rate, op: "<=", threshold: 0.01}
  - {metric: error_budget_burn, op: "<=", threshold: 1.0}
  - {metric: latency_p95_ms, op: "<", threshold: 300}
  - {metric: latency_p99_ms, op: "<", threshold: 300}
"""

HEAD = "timestamp,request_type,name,response_time_ms,response_length,status_code,exception"


def _locust_log(path: Path, good: int, bad: int) -> Path:
    """A Locust csv_request_logger file: ``good`` fast successes, ``bad`` rows whose response time
    reads ``12ms`` (not a number: the importer cannot tell what happened)."""
    t0 = 1764136800.0
    lines = [HEAD]
    for i in range(good + bad):
        ts = f"{t0 + i * 0.01:.6f}"
        latency = "12ms" if i % (good // bad + 1) == 1 and bad else f"{20 + i % 50}.5"
        lines.append(f"{ts},GET,/api/items,{latency},512,200,")
    path.write_text("\n".join(lines) + "\n")
    return path


def _import(tmp_path: Path, good: int, bad: int, capsys: Any) -> Path:
    src = _locust_log(tmp_path / "requests.csv", good, bad)
    code = main(
        [
            "import",
            str(src),
            "--candidate",
            "legacy",
            "--runs-dir",
            str(tmp_path / "runs"),
            "--skip-bad-rows",
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["skipped_rows"]["count"] == bad and out["requests"] == good
    return Path(out["runs"][0])


def test_skipped_rows_that_could_flip_a_criterion_make_it_inconclusive(
    tmp_path: Path, capsys: Any
) -> None:
    run = _import(tmp_path, good=2000, bad=40, capsys=capsys)
    d = decide(make_spec(tmp_path, SPEC), [run])
    by = {c.metric: c for c in d.criteria}

    sr = by["success_rate"]
    # 2000 of 2000 read rows succeeded; with the 40 as failures it is 2000 / 2040 = 98%
    assert sr.estimate == 1.0 and sr.outcome == "INCONCLUSIVE", sr.reason
    assert sr.details["outcome_if_unknown_good"] == "PASS"
    assert sr.details["outcome_if_unknown_bad"] == "FAIL"
    assert "40 row(s) of requests.csv" in sr.reason and "--skip-bad-rows" in sr.reason
    assert sr.ci_low < 0.99 < sr.ci_high  # the bounds span both extremes

    for metric in ("error_rate", "error_budget_burn"):
        r = by[metric]
        assert r.outcome == "INCONCLUSIVE", r.reason
        assert "40 row(s) of requests.csv" in r.reason

    # latency: the 40 as failed (+inf) leave 98% under 300 ms: enough for P95, not for P99
    p95, p99 = by["latency_p95_ms"], by["latency_p99_ms"]
    assert p95.outcome == "PASS" and p95.n == 2040, p95.reason
    assert p99.outcome == "INCONCLUSIVE", p99.reason
    assert p99.details["outcome_if_unknown_slow"] == "FAIL"
    assert p99.details["outcome_if_unknown_fast"] == "PASS"
    assert p99.details["import_skipped_rows"] == 40
    assert "40 row(s) of requests.csv" in p99.reason

    assert d.verdict == "INCONCLUSIVE"
    # run.json's warnings reach the decision's
    assert any("import skipped 40 unreadable row(s) of requests.csv" in w for w in d.warnings)


def test_a_few_skipped_rows_that_cannot_flip_anything_still_decide(
    tmp_path: Path, capsys: Any
) -> None:
    run = _import(tmp_path, good=2000, bad=2, capsys=capsys)
    d = decide(make_spec(tmp_path, SPEC.replace("latency_p99_ms", "latency_p90_ms")), [run])
    by = {c.metric: c for c in d.criteria}
    sr = by["success_rate"]
    # even as failures, 2000 of 2002 clears 99% at the one-sided 95% bound
    assert sr.outcome == "PASS", sr.reason
    assert sr.details["outcome_if_unknown_bad"] == "PASS"
    assert "2 row(s) of requests.csv" in sr.reason
    assert d.verdict == "GO", d.reason
