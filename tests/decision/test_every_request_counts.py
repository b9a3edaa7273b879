"""Every request counts: a failed request without a latency is still a request, and a failure.

The case from issue 9: a Locust request log of 4,000 requests, half of them failed with an empty
response time, once decided GO with success_rate 100% (2000 of 2000), because rows without a
latency were dropped before the rates were counted. The run directory is made by the real
``pockit import`` reader from a ``csv_request_logger`` file.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np

from pockit.analysis import run_stats
from pockit.decision import decide
from pockit.load._import import import_runs
from tests.analysis.helpers import make_run, make_spec

SPEC = """
name: every-request
hypothesis: the legacy service holds P95 < 300 ms with 99% success
candidates: [{name: legacy, host: "http://127.0.0.1:1"}]
load: {locustfile: l.py}
criteria:
  - {metric: latency_p95_ms, op: "<", threshold: 300, key: true}
  - {metric: success_rate, op: ">=", threshold: 0.99, key: true}
  - {metric: error_rate, op: "<=", threshold: 0.01}
"""


def _locust_log(path: Path, n: int = 4000) -> Path:
    """A Locust csv_request_logger file: every other request failed with no response time."""
    lines = ["timestamp,request_type,name,response_time_ms,response_length,status_code,exception"]
    t0 = 1764136800.0
    for i in range(n):
        ts = f"{t0 + i * 0.015:.6f}"
        if i % 2:
            lines.append(f"{ts},GET,/api/items,,0,0,\"ConnectionResetError(104, 'reset')\"")
        else:
            lines.append(f"{ts},GET,/api/items,{20 + i % 50}.5,512,200,")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_imported_failures_without_latency_count_in_the_success_rate(tmp_path: Path) -> None:
    src = _locust_log(tmp_path / "requests.csv")
    (run,) = import_runs(src, candidate="legacy", runs_dir=tmp_path / "runs")

    stats = run_stats([run])
    assert stats.n == 4000 and stats.overall.n_ok == 2000
    assert stats.success_rate == 0.5
    assert stats.failed_without_latency == 2000
    assert sum(stats.latency_skipped.values()) == 0  # nothing successful lacks a latency
    assert stats.latency_ms["p95"].n == 2000  # percentiles: successful requests only

    spec = make_spec(tmp_path, SPEC)
    d = decide(spec, [run])
    assert d.verdict != "GO"
    assert d.verdict in ("NO-GO", "INCONCLUSIVE")
    by = {c.metric: c for c in d.criteria}
    sr = by["success_rate"]
    assert sr.estimate == 0.5 and sr.n == 4000 and sr.outcome == "FAIL", sr.reason
    assert "2000 of 4000" in sr.reason
    assert by["error_rate"].estimate == 0.5 and by["error_rate"].outcome == "FAIL"
    p95 = by["latency_p95_ms"]
    # half the requests never answered: as +inf they put P95 beyond any threshold
    assert p95.outcome == "FAIL" and p95.n == 4000 and math.isinf(p95.estimate), p95.reason
    assert d.verdict == "NO-GO"
    assert any("2000 failed request(s) without a usable latency" in w for w in d.warnings)


def test_stats_json_says_what_latency_statistics_skipped(tmp_path: Path) -> None:
    """`pockit stats --json`: every request in n and the rates; skipped latencies named by reason."""
    # written directly (not imported): whether an importer may leave a successful request's
    # latency empty is the importer's rule; what the analysis does with one is this test's
    lat = np.array([np.nan if i % 10 == 0 else 10.0 + i for i in range(100)])
    ok = np.array([i % 25 != 1 for i in range(100)])
    run = make_run(tmp_path / "runs", "legacy", lat, ok=ok).path
    out = subprocess.run(
        [sys.executable, "-m", "pockit", "stats", "--json", str(run)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["n"] == 100 and d["n_failed"] == 4 and d["success_rate"] == 0.96
    assert d["latency_skipped"] == 10 and d["latency_skipped_by_reason"]["nan"] == 10
    assert d["latency_ms"]["p50"]["n"] == 86  # 96 successful, 10 of them without a latency
    assert d["endpoints"]["/api/items"]["latency_skipped"] == 10
    assert any(
        "10 successful request(s) with an unusable latency (10 nan)" in w for w in d["warnings"]
    )
