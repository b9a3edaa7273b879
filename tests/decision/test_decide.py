"""decide(): outcomes, verdict rules, evidence, bad input, and the ``pockit decide`` command."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pockit.decision import candidate_verdict, decide, judge
from pockit.decision._model import CriterionResult
from pockit.spec import Criterion, Spec
from tests.analysis.helpers import T0, make_run, make_spec

HEAD = """
name: t
hypothesis: h
candidates:
  - {name: base, host: "http://127.0.0.1:1"}
  - {name: fast, host: "http://127.0.0.1:2"}
  - {name: slow, host: "http://127.0.0.1:3"}
load: {locustfile: l.py}
"""


def spec_with(tmp: Path, criteria: str, extra: str = "") -> Spec:
    spec: Spec = make_spec(tmp, HEAD + extra + "criteria:\n" + criteria)
    return spec


@pytest.fixture
def runs(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(2)
    out = {}
    out["base"] = make_run(tmp_path / "runs", "base", rng.lognormal(np.log(200), 0.3, 3000)).path
    out["fast"] = make_run(tmp_path / "runs", "fast", rng.lognormal(np.log(100), 0.3, 3000)).path
    ok = rng.random(3000) > 0.2
    out["slow"] = make_run(
        tmp_path / "runs", "slow", rng.lognormal(np.log(400), 0.3, 3000), ok=ok
    ).path
    return out


def test_judge_rule() -> None:
    c = Criterion(metric="m", op="<", threshold=10, warn=2)
    assert judge(c, 5, 4, 6) == "PASS"
    assert judge(c, 9, 8.5, 9.5) == "WARN"
    assert judge(c, 12, 11, 13) == "FAIL"
    assert judge(c, 10, 9, 11) == "INCONCLUSIVE"
    c2 = Criterion(metric="m", op=">=", threshold=0.99)
    assert judge(c2, 0.995, 0.991, 0.998) == "PASS" and judge(c2, 0.98, 0.97, 0.985) == "FAIL"


def _res(outcome: str, key: bool = False) -> CriterionResult:
    return CriterionResult("c", "m", "<", 1.0, outcome, 0.5, 0.4, 0.6, 10, "r", "m", key=key)  # type: ignore[arg-type]


def test_verdict_rules() -> None:
    assert candidate_verdict([_res("PASS"), _res("WARN")])[0] == "GO"
    assert candidate_verdict([_res("PASS"), _res("WARN")], warn_is_go=False)[0] == "INCONCLUSIVE"
    assert candidate_verdict([_res("PASS"), _res("FAIL")])[0] == "NO-GO"  # no key: any fail
    assert candidate_verdict([_res("FAIL", key=True), _res("PASS")])[0] == "NO-GO"
    assert candidate_verdict([_res("PASS", key=True), _res("FAIL")])[0] == "INCONCLUSIVE"
    assert candidate_verdict([_res("PASS"), _res("INCONCLUSIVE")])[0] == "INCONCLUSIVE"
    assert candidate_verdict([])[0] == "INCONCLUSIVE"


def test_decision_evidence_ranking_and_pareto(tmp_path: Path, runs: dict[str, Path]) -> None:
    spec = spec_with(
        tmp_path,
        '  - {metric: latency_p95_ms, op: "<", threshold: 300, key: true}\n'
        '  - {metric: success_rate, op: ">=", threshold: 0.95}\n'
        '  - {metric: cost_per_1k_usd, op: "<=", threshold: 0.05}\n',
    )
    costs = {
        "base": {"total": 0.03, "currency": "USD", "covers_window": True},
        "fast": {"total": 0.09, "currency": "USD", "covers_window": True},
        "slow": 0.001,
    }
    d = decide(spec, list(runs.values()), costs=costs)
    out = d.to_dict()
    assert out["verdict"] == "GO" and out["recommended"] in ("base", "fast")
    assert out["spec_sha256"] == spec.sha256 and len(spec.sha256) == 64
    by = {(c["candidate"], c["metric"]): c for c in out["criteria"]}
    assert by[("slow", "latency_p95_ms")]["outcome"] == "FAIL"
    assert out["candidates"]["slow"]["verdict"] == "NO-GO"
    assert by[("fast", "cost_per_1k_usd")]["estimate"] == pytest.approx(0.03)
    for c in out["criteria"]:
        assert {
            "candidate",
            "metric",
            "op",
            "threshold",
            "outcome",
            "estimate",
            "ci_low",
            "ci_high",
            "n",
            "reason",
            "method",
            "key",
        } <= set(c)
        assert c["reason"] and "\n" not in c["reason"]
    lat = by[("fast", "latency_p95_ms")]
    assert lat["ci_low"] < lat["estimate"] < lat["ci_high"] < 300
    assert "share" in lat["method"] and lat["details"]["share_under"] > 0.99
    assert [r["candidate"] for r in out["ranking"]][-1] == "slow"
    # slow is cheapest, but 20% of its requests failed: its P95 is a failure (unbounded), so it
    # is no cost/latency trade-off and stays off the front; fast is quickest, base cheaper
    assert by[("slow", "latency_p95_ms")]["estimate"] is None  # +inf in JSON
    assert "slow" not in out["pareto"] and "fast" in out["pareto"]
    assert {s["candidate"] for s in out["sensitivity"]} == {"base", "fast", "slow"}
    json.dumps(out)  # plain JSON


def test_all_no_go_and_key_veto(tmp_path: Path, runs: dict[str, Path]) -> None:
    spec = spec_with(tmp_path, '  - {metric: latency_p50_ms, op: "<", threshold: 50, key: true}\n')
    d = decide(spec, list(runs.values()))
    assert d.verdict == "NO-GO" and d.recommended is None and d.exit_code == 1


def test_missing_cost_is_inconclusive_or_fail_on_missing(
    tmp_path: Path, runs: dict[str, Path]
) -> None:
    spec = spec_with(tmp_path, '  - {metric: cost_per_1k_usd, op: "<=", threshold: 0.05}\n')
    d = decide(spec, [runs["fast"]])
    c = d.criteria[0]
    assert (
        c.outcome == "INCONCLUSIVE" and "no cost source" in c.reason and d.verdict == "INCONCLUSIVE"
    )
    spec = spec_with(
        tmp_path, '  - {metric: cost_per_1k_usd, op: "<=", threshold: 0.05, on_missing: fail}\n'
    )
    assert decide(spec, [runs["fast"]]).verdict == "NO-GO"
    spec = spec_with(tmp_path, '  - {metric: cost_per_1k_usd, op: "<=", threshold: 0.05}\n')
    eur = decide(
        spec,
        [runs["fast"]],
        costs={"fast": {"total": 0.01, "currency": "EUR", "covers_window": True}},
    )
    assert eur.criteria[0].outcome == "INCONCLUSIVE" and "EUR" in eur.criteria[0].reason
    lag = decide(
        spec,
        [runs["fast"]],
        costs={"fast": {"total": 0.01, "currency": "USD", "covers_window": False}},
    )
    assert lag.criteria[0].outcome == "INCONCLUSIVE" and "cover" in lag.criteria[0].reason


def test_warn_band_and_min_samples(tmp_path: Path, runs: dict[str, Path]) -> None:
    spec = spec_with(tmp_path, '  - {metric: latency_p95_ms, op: "<", threshold: 300, warn: 150}\n')
    d = decide(spec, [runs["fast"]])
    assert d.criteria[0].outcome == "WARN" and d.verdict == "GO"
    spec = spec_with(
        tmp_path,
        '  - {metric: latency_p95_ms, op: "<", threshold: 300, warn: 150}\n',
        "decision: {warn_is_go: false}\n",
    )
    assert decide(spec, [runs["fast"]]).verdict == "INCONCLUSIVE"
    spec = spec_with(
        tmp_path, '  - {metric: success_rate, op: ">=", threshold: 0.9, min_samples: 5000}\n'
    )
    c = decide(spec, [runs["fast"]]).criteria[0]
    assert c.outcome == "INCONCLUSIVE" and "min_samples" in c.reason


def test_endpoint_and_unknown_endpoint(tmp_path: Path, runs: dict[str, Path]) -> None:
    spec = spec_with(
        tmp_path, '  - {metric: success_rate, op: ">=", threshold: 0.9, endpoint: /nope}\n'
    )
    c = decide(spec, [runs["fast"]]).criteria[0]
    assert c.outcome == "INCONCLUSIVE" and "/api/items" in c.reason


def test_only_failures_and_empty(tmp_path: Path) -> None:
    spec = spec_with(
        tmp_path,
        '  - {metric: latency_p95_ms, op: "<", threshold: 300}\n  - {metric: success_rate, op: ">=", threshold: 0.9}\n',
    )
    failed = make_run(tmp_path / "r", "fast", np.full(500, 10.0), ok=np.zeros(500, bool))
    d = decide(spec, [failed.path])
    outcomes = {c.metric: c.outcome for c in d.criteria}
    # every request failed: none got an answer under 300 ms, so P95 < 300 fails (not unknown)
    assert outcomes == {"latency_p95_ms": "FAIL", "success_rate": "FAIL"}
    lat = d.criteria[0].reason
    assert "500 failed" in lat and "successful successful" not in lat
    assert d.verdict == "NO-GO" and any("every request failed" in w for w in d.warnings)
    empty = make_run(tmp_path / "e", "fast", np.array([]))
    d = decide(spec, [empty.path])
    assert d.verdict == "INCONCLUSIVE" and all(c.outcome == "INCONCLUSIVE" for c in d.criteria)


def test_unusable_latencies_are_counted_and_weigh_on_the_latency_criterion(
    tmp_path: Path,
) -> None:
    spec = spec_with(
        tmp_path,
        '  - {metric: latency_p95_ms, op: "<", threshold: 300}\n'
        '  - {metric: success_rate, op: ">=", threshold: 0.9}\n',
    )
    # 2 unknown latencies among 500 cannot move a P95 of 10 ms: still a PASS, but counted
    lat = np.r_[np.full(500, 10.0), [np.nan, -1.0]]
    d = decide(spec, [make_run(tmp_path / "r", "fast", lat).path])
    c = d.criteria[0]
    assert c.outcome == "PASS" and c.n == 502, c.reason
    assert c.details["latency_unknown"] == 2
    assert "1 nan, 1 negative" in c.reason and "as +inf the criterion is PASS" in c.reason
    assert d.criteria[1].n == 502
    assert any("2 successful request(s) with an unusable latency" in w for w in d.warnings)
    # 40 unknown among 500 (8% > the 5% a P95 may spend): they could flip it, so INCONCLUSIVE
    lat = np.r_[np.full(460, 10.0), np.full(40, np.nan)]
    d = decide(spec, [make_run(tmp_path / "r2", "fast", lat).path])
    c = d.criteria[0]
    assert c.outcome == "INCONCLUSIVE" and d.verdict == "INCONCLUSIVE", c.reason
    assert c.details["outcome_if_unknown_slow"] == "FAIL"
    assert c.details["outcome_if_unknown_fast"] == "PASS"
    assert "depends on the latencies nobody knows" in c.reason
    assert "judged both as +inf and as 0 ms" in c.method
    assert c.estimate == 10.0 and c.ci_high == float("inf")


def test_server_metric_and_error_budget(tmp_path: Path, runs: dict[str, Path]) -> None:
    spec = spec_with(
        tmp_path,
        '  - {metric: "server:cpu_utilization", op: "<", threshold: 80}\n'
        '  - {metric: "server:nope", op: "<", threshold: 1}\n'
        '  - {metric: error_budget_burn, op: "<", threshold: 2}\n',
        "slo: {target: 0.99}\n",
    )
    ts = [T0 + timedelta(seconds=i) for i in range(60)]
    metrics = pl.DataFrame(
        {"ts": ts, "metric": ["cpu_utilization"] * 60, "value": np.linspace(40, 50, 60)}
    )
    d = decide(spec, [runs["fast"]], metrics=metrics)
    cpu, nope, burn = d.criteria
    assert cpu.outcome == "PASS" and cpu.estimate == pytest.approx(45.0)
    assert nope.outcome == "INCONCLUSIVE" and "cpu_utilization" in nope.reason
    assert burn.outcome == "PASS"


def test_recovery_criterion(tmp_path: Path) -> None:
    n = 6000
    ok = np.ones(n, bool)
    ok[2000:3500] = False
    events = [
        {"kind": "fault_start", "ts": T0 + timedelta(seconds=20), "fault": "error_rate"},
        {"kind": "fault_end", "ts": T0 + timedelta(seconds=30), "fault": "error_rate"},
    ]
    run = make_run(tmp_path / "r", "fast", np.full(n, 10.0), ok=ok, events=events)
    spec = spec_with(
        tmp_path,
        '  - {metric: recovery_s, op: "<", threshold: 10}\n  - {metric: recovery_s, op: "<", threshold: 3}\n',
    )
    d = decide(spec, [run.path])
    assert [c.outcome for c in d.criteria] == ["PASS", "FAIL"]
    assert d.criteria[0].estimate == pytest.approx(5.0)


def test_baseline_comparison_and_zero_baseline(tmp_path: Path, runs: dict[str, Path]) -> None:
    spec = spec_with(
        tmp_path,
        '  - {metric: success_rate, op: ">=", threshold: 0.5}\n',
        "baseline: {candidate: base, margin: 0.1}\n",
    )
    d = decide(spec, [runs["base"], runs["fast"], runs["slow"]])
    comps = {c.candidate: c for c in d.comparisons}
    assert comps["fast"].result == "improved" and comps["slow"].result == "regressed"
    assert comps["fast"].shift_ci_low < comps["fast"].shift < comps["fast"].shift_ci_high < 0
    assert d.candidates["base"].is_baseline and d.recommended == "fast"
    zero = make_run(tmp_path / "z", "base", np.zeros(500))
    d = decide(spec, [zero.path, runs["fast"]])
    comp = d.comparisons[0]
    assert comp.result == "inconclusive" and "0" in comp.reason and "undefined" in comp.reason


def test_rates_and_error_budget_of_several_undeclared_runs_use_the_run_as_the_unit(
    tmp_path: Path,
) -> None:
    spec = spec_with(
        tmp_path,
        '  - {metric: success_rate, op: ">=", threshold: 0.9}\n'
        '  - {metric: error_budget_burn, op: "<", threshold: 10}\n',
        "slo: {target: 0.99}\n",
    )
    paths = []
    for fail_every in (50, 20, 12):  # 2%, 5%, 8.3% errors: runs disagree
        ok = np.ones(2000, bool)
        ok[::fail_every] = False
        paths.append(make_run(tmp_path / "r", "fast", np.full(2000, 10.0), ok=ok).path)
    d = decide(spec, paths)
    assert d.candidates["fast"].unit == "run"
    sr, burn = d.criteria
    assert "run is the unit (3 runs)" in sr.reason and sr.n == 6000
    pooled_lo = 0.94  # the pooled Clopper-Pearson bound of ~5,690 of 6,000 is ~0.943
    assert sr.ci_low < pooled_lo  # widened to the spread of 0.98, 0.95, 0.917
    assert burn.ci_high > 0.083 / 0.01  # the worst run's error rate, scaled by the budget
    assert burn.outcome == "INCONCLUSIVE", burn.reason


def test_repeats_widen_to_the_run_level_spread(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    spec = spec_with(tmp_path, '  - {metric: latency_p95_ms, op: "<", threshold: 300}\n', "")
    # three runs that disagree a lot: each alone is clearly below 300, but not together
    paths = [
        make_run(tmp_path / "r", "fast", rng.lognormal(np.log(m), 0.1, 2000), repeat=i).path
        for i, m in enumerate((120, 180, 240))
    ]
    d = decide(spec, paths)
    c = d.criteria[0]
    assert d.candidates["fast"].unit == "run" and "run is the unit" in c.reason
    pooled = decide(spec, [paths[0]]).criteria[0]
    assert c.ci_high - c.ci_low > pooled.ci_high - pooled.ci_low
    # the outcome agrees with the bounds it reports: no PASS while they straddle the threshold
    sl, sh = c.details["share_ci_low"], c.details["share_ci_high"]
    assert 0.0 <= sl <= c.details["share_under"] <= sh <= 1.0
    if c.outcome == "PASS":
        assert c.ci_high < 300 and sl >= 0.95
    elif c.outcome == "FAIL":
        assert c.ci_low >= 300 and sh < 0.95
    else:
        assert c.ci_low < 300 <= c.ci_high or sl < 0.95 <= sh
    assert c.outcome == "INCONCLUSIVE"  # run P95s ~141/212/282 ms: their spread reaches 300
    assert "straddles" in c.reason


def test_cli_decide_exit_codes_and_json(tmp_path: Path, runs: dict[str, Path]) -> None:
    spec_with(tmp_path, '  - {metric: latency_p95_ms, op: "<", threshold: 300, key: true}\n')
    spec_path = tmp_path / "poc.yaml"
    spec_path.write_text(
        HEAD + 'criteria:\n  - {metric: latency_p95_ms, op: "<", threshold: 300, key: true}\n'
    )

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pockit", *args], capture_output=True, text=True, timeout=60
        )

    go = cli("decide", str(spec_path), str(runs["fast"]), "--json")
    assert go.returncode == 0, go.stderr
    out = json.loads(go.stdout)
    assert out["verdict"] == "GO" and out["criteria"][0]["outcome"] == "PASS"
    assert cli("decide", str(spec_path), str(runs["slow"])).returncode == 1
    few = make_run(tmp_path / "few", "fast", np.full(20, 10.0))
    inc = cli("decide", str(spec_path), str(few.path))
    assert inc.returncode == 2 and "INCONCLUSIVE" in inc.stdout
    bad = cli("decide", str(spec_path), str(tmp_path / "missing"))
    assert bad.returncode >= 64 and "not a run directory" in bad.stderr
    stats = cli("stats", str(runs["fast"]), "--json", "--percentiles", "50,99.9")
    assert stats.returncode == 0, stats.stderr
    sd = json.loads(stats.stdout)
    assert set(sd["latency_ms"]) == {"p50", "p99.9"} and sd["n"] == 3000
    human = cli("stats", str(runs["fast"]), "--by-endpoint")
    assert "/api/items" in human.stdout and "p50 ms" in human.stdout
    assert cli("stats", str(runs["fast"]), "--percentiles", "150").returncode == 64


def test_sensitivity_moves_a_rate_by_its_error_share(tmp_path: Path, runs: dict[str, Path]) -> None:
    spec = spec_with(
        tmp_path,
        '  - {metric: success_rate, op: ">=", threshold: 0.99}\n'
        '  - {metric: error_rate, op: "<=", threshold: 0.05}\n'
        '  - {metric: latency_p95_ms, op: "<", threshold: 300}\n',
    )
    rows = {r["metric"]: r for r in decide(spec, [runs["fast"]]).sensitivity}
    ok = rows["success_rate"]
    assert ok["minus5"]["threshold"] == pytest.approx(0.9895)
    assert ok["plus5"]["threshold"] == pytest.approx(0.9905)
    err = rows["error_rate"]
    assert (err["minus5"]["threshold"], err["plus5"]["threshold"]) == pytest.approx(
        (0.0475, 0.0525)
    )
    assert rows["latency_p95_ms"]["plus5"]["threshold"] == pytest.approx(315)


def test_runs_that_did_not_complete_are_named_in_warnings(tmp_path: Path) -> None:
    spec = spec_with(tmp_path / "spec", '  - {metric: latency_p95_ms, op: "<", threshold: 300}\n')
    rng = np.random.default_rng(5)
    good = make_run(tmp_path / "runs", "base", rng.lognormal(np.log(100), 0.3, 500))
    cut = make_run(
        tmp_path / "runs",
        "base",
        rng.lognormal(np.log(100), 0.3, 200),
        start=T0 + timedelta(minutes=5),
    )
    cut.update_meta(status="aborted", stop_reason="interrupted (SIGINT)")
    warnings = decide(spec, [good.path, cut.path]).to_dict()["warnings"]
    assert any(cut.id in w and "aborted" in w and "interrupted (SIGINT)" in w for w in warnings)
    assert not any(good.id in w for w in warnings)


def test_cold_start_without_idle_gaps_names_the_event_the_shape_writes(tmp_path: Path) -> None:
    """The reason names ``idle_gap_end`` (EventKind.IDLE_GAP_END), the event load/_shape.py writes."""
    from pockit._contract import EventKind

    spec = make_spec(
        tmp_path,
        HEAD + "criteria:\n  - {metric: cold_start_p95_ms, op: '<', threshold: 500}\n",
    )
    run = make_run(tmp_path / "runs", "fast", np.full(100, 20.0))
    (res,) = decide(spec, [run]).candidates["fast"].criteria
    assert res.outcome == "INCONCLUSIVE"
    assert f"no {EventKind.IDLE_GAP_END.value} event" in res.reason, res.reason
    assert "idle_end" not in res.reason
