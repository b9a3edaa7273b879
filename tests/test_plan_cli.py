"""``pockit plan SPEC PILOT_RUN...`` as a subprocess, on a run directory made by ``pockit import``.

The fixed-length number is checked against an independent exact computation (scipy.stats: the
Clopper-Pearson decision's critical count at that n and the binomial power there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml
from scipy import stats

REPO = Path(__file__).resolve().parents[1]
RATE, SECONDS = 10.0, 60


def _pockit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "pockit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _pilot(tmp_path: Path) -> Path:
    """A Locust csv_request_logger file: 600 requests over 60 s, 3% slow, 1% failed."""
    rng = np.random.default_rng(3)
    n = int(RATE * SECONDS)
    lat = rng.uniform(20, 200, n)
    lat[:18] = 900.0  # 3% over 300 ms
    fail = np.zeros(n, bool)
    fail[18:24] = True  # 1% failed fast: never under a latency threshold either
    order = rng.permutation(n)
    lat, fail = lat[order], fail[order]
    rows = ["timestamp,request_type,name,response_time_ms,response_length,status_code,exception"]
    for i in range(n):
        status, exc = (500, "HTTPError('500')") if fail[i] else (200, "")
        rows.append(f"{1764136800 + i / RATE:.6f},GET,/api/items,{lat[i]:.3f},100,{status},{exc}")
    path = tmp_path / "pilot.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _spec(tmp_path: Path) -> Path:
    spec = {
        "name": "plan-test",
        "hypothesis": "P95 under 300 ms",
        "candidates": [{"name": "svc", "host": "http://127.0.0.1:8081"}],
        "load": {"locustfile": "locustfile.py", "users": 5, "duration": "10m"},
        "criteria": [
            {"metric": "latency_p95_ms", "op": "<", "threshold": 300, "key": True},
            {"metric": "success_rate", "op": ">=", "threshold": 0.9},
            {"metric": "error_rate", "op": "<", "threshold": 0.01},
            {"metric": "cost_per_1k_usd", "op": "<=", "threshold": 0.05},
        ],
    }
    (tmp_path / "locustfile.py").write_text("# the pilot came from another tool\n")
    path = tmp_path / "poc.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _exact_fixed_power(n: int, p: float, p0: float) -> float:
    """P(one-sided 95% Clopper-Pearson lower bound >= p0) after n requests at true share p."""
    ks = np.arange(n + 1)
    lo = np.where(ks > 0, stats.beta.ppf(0.05, np.maximum(ks, 1), n - ks + 1), 0.0)
    k_crit = int(ks[lo >= p0][0]) if (lo >= p0).any() else n + 1
    return float(stats.binom.sf(k_crit - 1, n, p))


def test_plan_from_an_imported_pilot(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    imp = _pockit(
        "import",
        str(_pilot(tmp_path)),
        "--candidate",
        "svc",
        "--runs-dir",
        "runs",
        "--json",
        cwd=tmp_path,
    )
    assert imp.returncode == 0, imp.stderr
    [run_dir] = list((tmp_path / "runs").iterdir())

    res = _pockit("plan", str(spec), str(run_dir), "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    [cand] = data["candidates"]
    assert cand["candidate"] == "svc" and cand["n"] == 600
    assert abs(cand["rate_rps"] - RATE) < 0.5
    assert cand["not_planned"] == ["cost_per_1k_usd <= 0.05"]
    p95, success, errors = cand["criteria"]

    # P95: 24 of 600 not under 300 ms (18 slow + 6 failed) -> 96% under vs 95% needed
    assert p95["pilot"]["k"] == 576 and p95["expected_outcome"] == "PASS"
    n_fixed = p95["fixed"]["n"]
    assert (
        _exact_fixed_power(n_fixed, 0.96, 0.95)
        >= 0.8
        > _exact_fixed_power(int(n_fixed * 0.97), 0.96, 0.95)
    )
    assert abs(p95["fixed"]["duration_s"] - n_fixed / cand["rate_rps"]) < 1e-6
    seq = p95["stop_when_decided"]
    assert seq["median_n"] <= seq["p80_n"] and seq["right_share"] > 0.95
    assert seq["min_n"] == round(cand["rate_rps"] * 30) or seq["min_n"] == int(
        cand["rate_rps"] * 30
    )

    # success rate 99% vs 90%: decided fast; error rate 1% vs < 1%: exactly at the threshold
    assert success["expected_outcome"] == "PASS" and success["fixed"]["n"] < n_fixed
    assert not errors["decidable"] and "equals the threshold" in errors["reason"]

    text = _pockit("plan", str(spec), str(run_dir), cwd=tmp_path)
    assert text.returncode == 0 and "fixed length (80% power)" in text.stdout
    assert "stop when decided: median" in text.stdout

    bad = _pockit("plan", str(spec), str(run_dir), "--candidate", "nope", cwd=tmp_path)
    assert bad.returncode == 64 and "pilot candidates: svc" in bad.stderr
    missing = _pockit("plan", str(spec), str(tmp_path / "absent"), cwd=tmp_path)
    assert missing.returncode == 65 and "absent" in missing.stderr
