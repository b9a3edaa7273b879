"""``decide(..., stream=True)`` (runs read in passes, bounded memory) gives the very Decision the
in-memory path gives: outcomes, estimates, bounds, reasons, sensitivity, warnings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pockit._contract import RunField
from pockit.analysis import _exact, open_requests, timeline
from pockit.analysis._stream_requests import linear_quantile
from pockit.decision import decide
from tests.analysis.helpers import T0, make_run, make_spec

NAMES = ["GET /a", "GET /b", "POST /c", "GET /d"]
HEAD = """
name: big
hypothesis: h
candidates:
  - {name: fast, host: "http://127.0.0.1:1"}
  - {name: slow, host: "http://127.0.0.1:2"}
load: {locustfile: l.py}
slo: {target: 0.99}
"""
CRITERIA = """
criteria:
  - {metric: latency_p95_ms, op: "<", threshold: 60, key: true}
  - {metric: latency_p99_ms, op: "<=", threshold: 120}
  - {metric: latency_p50_ms, op: "<", threshold: 30, endpoint: "GET /b"}
  - {metric: latency_p90_ms, op: ">", threshold: 5, endpoint: "POST /c"}
  - {metric: latency_p95_intended_ms, op: "<", threshold: 80}
  - {metric: error_rate, op: "<=", threshold: 0.05}
  - {metric: success_rate, op: ">=", threshold: 0.9, endpoint: "GET /a"}
  - {metric: throughput_rps, op: ">=", threshold: 40}
  - {metric: cost_per_1k_usd, op: "<=", threshold: 0.05}
  - {metric: denied_rate, op: "<=", threshold: 0.02}
  - {metric: throttled_rate, op: "<=", threshold: 0.02}
  - {metric: transport_error_rate, op: "<=", threshold: 0.02}
  - {metric: http_error_rate, op: "<=", threshold: 0.05}
  - {metric: retry_rate, op: "<=", threshold: 0.05}
  - {metric: error_budget_burn, op: "<=", threshold: 5}
  - {metric: detect_s, op: "<=", threshold: 3}
  - {metric: recovery_s, op: "<=", threshold: 5}
  - {metric: cold_start_p95_ms, op: "<", threshold: 100}
  - {metric: latency_p95_ms, op: "<", threshold: 50, endpoint: "GET /nope"}
"""


def _runs(tmp: Path, seed: int) -> list[Any]:
    """Two candidates of 2 and 3 runs: four endpoints, latencies in whole ms (ties), failures,
    unusable latencies, request classes, retries, intended starts, a fault with an error and
    latency burst, an idle gap; one run stopped by ``load.stop_when``."""
    rng = np.random.default_rng(seed)
    out = []
    for cand, reps, mu in (("fast", 2, 3.0), ("slow", 3, 3.4)):
        for rep in range(reps):
            n = int(rng.integers(3000, 5000))
            secs = np.sort(rng.uniform(0, 60, n))
            lat = np.round(rng.lognormal(mu, 0.5, n))
            ok = rng.random(n) > 0.01
            burst = (secs >= 20) & (secs < 24)  # the fault: errors and slow answers
            ok[burst & (rng.random(n) < 0.3)] = False
            lat[burst] *= 4
            bad = rng.random(n)
            lat[bad < 0.005] = np.nan
            lat[(bad >= 0.005) & (bad < 0.008)] = -1.0
            lat[(bad >= 0.008) & (bad < 0.009)] = np.inf
            status = np.where(ok, 200, 500).astype(object)
            pick = rng.random(n)
            status[pick < 0.01] = 401
            status[(pick >= 0.01) & (pick < 0.02)] = 429
            status[(pick >= 0.02) & (pick < 0.03) & ~ok] = 0
            status[(pick >= 0.03) & (pick < 0.035)] = None
            retry = [int(x) if x < 2 else None for x in rng.integers(0, 30, n)]
            ts = np.datetime64(T0.replace(tzinfo=None), "ns") + (secs * 1e9).astype(
                "timedelta64[ns]"
            )
            lag = rng.integers(-1_000_000, 30_000_000, n).astype("timedelta64[ns]")
            events = [
                {"kind": "fault_start", "ts": T0 + timedelta(seconds=20), "fault": "error_rate"},
                {"kind": "fault_end", "ts": T0 + timedelta(seconds=24), "fault": "error_rate"},
                {"kind": "idle_gap_end", "ts": T0 + timedelta(seconds=40), "probe": 40},
            ]
            run = make_run(
                tmp,
                cand,
                lat,
                ok=ok,
                names=np.array(NAMES)[rng.integers(0, len(NAMES), n)],
                t_start=ts,
                t_intended=ts - lag if rep else None,
                events=events,
                files=3,
                status=list(status),
                retry=retry,
            )
            if cand == "slow" and rep == 0:
                run.update_meta(**{RunField.STOP_CODE: "decided"})
            out.append(run)
    return out


def _same(spec: Any, runs: list[Any], **kw: Any) -> dict[str, Any]:
    memory = decide(spec, runs, stream=False, **kw).to_dict()
    streamed = decide(spec, runs, stream=True, **kw).to_dict()
    assert streamed == memory
    return streamed


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    return _runs(tmp_path_factory.mktemp("runs"), 5)


def test_every_criterion_streamed_equals_in_memory(tmp_path: Path, runs: list[Any]) -> None:
    spec = make_spec(tmp_path, HEAD + CRITERIA)
    out = _same(spec, runs, costs={"fast": 0.01, "slow": 0.2})
    crits = out["candidates"]["slow"]["criteria"]
    outcomes = {c["outcome"] for cand in out["candidates"].values() for c in cand["criteria"]}
    assert len(outcomes) >= 3  # the spec is not judged all one way
    assert crits[0]["details"]["latency_unknown"] > 0 and crits[0]["details"]["failed"] > 0
    assert "anytime" in crits[5]["details"]  # the stop_when run: the anytime bound too
    assert all(f["detect_s"] is not None for f in crits[15]["details"]["faults"])
    assert "no endpoint 'GET /nope'" in crits[-1]["reason"]
    assert out["sensitivity"] and out["candidates"]["fast"]["unit"] == "run"


def test_split_bins_and_the_pre_fault_limit(
    tmp_path: Path, runs: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # a real constant lowered so the finer histogram levels run; no latency criterion, so
    # detection and recovery judge a bucket by 1.5x the pre-fault P95 (exact order statistics)
    monkeypatch.setattr(_exact, "COLLECT_CAP", 50)
    spec = make_spec(
        tmp_path,
        HEAD
        + "criteria:\n"
        + '  - {metric: detect_s, op: "<=", threshold: 3}\n'
        + '  - {metric: recovery_s, op: "<=", threshold: 5}\n'
        + '  - {metric: latency_p99.9_ms, op: "<", threshold: 400, endpoint: "GET /d"}\n',
    )
    before = _exact._Selector.resolve
    calls: list[int] = []

    def counted(self: Any, targets: Any, on_batch: Any = None) -> None:
        calls.append(len(targets))
        before(self, targets, on_batch)

    monkeypatch.setattr(_exact._Selector, "resolve", counted)
    out = _same(spec, runs)
    assert len(calls) == 1 and calls[0] > 0  # every run's pre-fault P95 ranks, in one resolve
    assert "latency_p95 >" in out["criteria"][0]["reason"]  # by the pre-fault limit
    assert out["criteria"][0]["details"]["faults"][0]["detect_s"] is not None


def test_capacity_held_steps(tmp_path: Path) -> None:
    runs = _runs(tmp_path / "runs", 9)
    held = {"last_pass": 40, "first_fail": 60, "steps": [{}, {}], "held_until": None}
    for i, run in enumerate(runs):
        if i % 2 == 0:  # some ramps held up to 35 s, one held no step, others are no ramp
            until = None if i == 2 else (T0 + timedelta(seconds=35)).isoformat()
            run.update_meta(**{RunField.CAPACITY: {**held, "held_until": until}})
    text = (
        HEAD.replace("load: {locustfile: l.py}\n", "")
        + """load:
  locustfile: l.py
  shape: {kind: capacity, rate: 20, step_rate: 20, step_duration: 10s, max_rate: 100,
          knee: [latency_p95_ms, error_rate]}
criteria:
  - {metric: latency_p95_ms, op: "<", threshold: 60}
  - {metric: error_rate, op: "<=", threshold: 0.05}
  - {metric: latency_p99_ms, op: "<", threshold: 200}
  - {metric: capacity_rps, op: ">=", threshold: 30}
"""
    )
    out = _same(make_spec(tmp_path, text), runs, costs={"fast": 0.01, "slow": 0.01})
    assert "capacity steps held" in out["candidates"]["fast"]["criteria"][0]["reason"]


def test_timeline_and_request_counts_streamed(runs: list[Any]) -> None:
    memory = timeline(runs, stream=False)
    streamed = timeline(runs, stream=True)
    pd.testing.assert_frame_equal(streamed, memory)
    assert len(streamed) > 100 and streamed["p95_hi"].notna().any()
    half = timeline(runs, 0.5, stream=True)
    pd.testing.assert_frame_equal(half, timeline(runs, 0.5, stream=False))


def test_the_placeholder_pass_collects_what_the_criteria_read(
    tmp_path: Path, runs: list[Any]
) -> None:
    """Judging every criterion once with placeholders finds every order statistic and threshold
    count they need: the decision then reads the samples in the count pass and one more."""
    reqset = open_requests(runs, stream=True)
    spec = make_spec(tmp_path, HEAD + CRITERIA)
    source = reqset.source
    assert source is not None and source.reader.passes == 1
    from pockit.decision._decide import _candidate_data, _collect

    datas = {
        name: _candidate_data(spec, name, infos, reqset, costs=None, metrics=None, cw=[])
        for name, infos in (
            ("fast", [i for i in reqset.runs if i.candidate == "fast"]),
            ("slow", [i for i in reqset.runs if i.candidate == "slow"]),
        )
    }
    _collect(spec, datas, reqset)
    assert source.reader.passes == 2 and len(source.ranks) > 20 and len(source.thresholds) > 6
    from pockit.decision._criteria import evaluate

    for data in datas.values():
        for crit in spec.criteria:
            evaluate(crit, data, spec)
    assert source.reader.passes == 2  # nothing asked after the collection


@pytest.mark.parametrize("m", [20, 21, 57, 200, 1001])
def test_linear_quantile_is_numpys(m: int) -> None:
    rng = np.random.default_rng(m)
    for values in (np.round(rng.lognormal(3, 1, m)), rng.lognormal(3, 1, m)):
        ordered = np.sort(values)

        def ranked(ranks: list[int], ordered: np.ndarray = ordered) -> list[float]:
            return [float(ordered[r - 1]) for r in ranks]

        got = linear_quantile(m, 0.95, ranked)
        assert got == float(np.quantile(values, 0.95))


def test_empty_older_and_tiny_runs(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, HEAD + CRITERIA)
    rng = np.random.default_rng(3)
    empty = make_run(tmp_path / "e", "fast", np.array([]))
    older = make_run(  # another tool's samples: no status, retry or t_intended column
        tmp_path / "o", "fast", np.round(rng.lognormal(3, 0.5, 800)), without=("status", "retry")
    )
    tiny = make_run(tmp_path / "t", "slow", [5.0, np.nan, 7.0], ok=[True, True, False])
    for runs in ([empty], [older, tiny]):
        out = _same(spec, runs)
    assert out["candidates"]["fast"]["criteria"][9]["outcome"] == "INCONCLUSIVE"  # no status


def test_the_baseline_comparison_is_left_out_with_a_warning(
    tmp_path: Path, runs: list[Any]
) -> None:
    spec = make_spec(
        tmp_path,
        HEAD
        + "baseline: {candidate: fast, metrics: [latency_ms], margin: 0.1}\n"
        + "criteria:\n"
        + '  - {metric: success_rate, op: ">=", threshold: 0.9}\n',
    )
    memory = decide(spec, runs, stream=False)
    streamed = decide(spec, runs, stream=True)
    assert memory.comparisons and not streamed.comparisons
    assert any("baseline comparison not made" in w for w in streamed.warnings)
    assert [c.to_dict() for c in streamed.criteria] == [c.to_dict() for c in memory.criteria]
