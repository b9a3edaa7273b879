"""run_stats / timeline on real run directories built from known arrays."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from pockit._errors import InputError
from pockit.analysis import (
    cold_start_estimate,
    error_budget_burn,
    hodges_lehmann,
    holm,
    load_samples,
    recoveries,
    run_stats,
    timeline,
)
from tests.analysis.helpers import T0, make_run


def type1(values: np.ndarray, q: float) -> float:
    """The inverse empirical CDF, written independently of pockit: X_(ceil(n q))."""
    s = np.sort(values)
    return float(s[math.ceil(len(s) * q) - 1])


def test_percentiles_are_exact_order_statistics_with_bracketing_intervals(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    lat = rng.lognormal(4, 0.5, 4000)
    names = rng.choice(["/a", "/b", "/c"], 4000)
    run = make_run(tmp_path, "a", lat, names=names, files=3)
    stats = run_stats([run.path])
    d = stats.to_dict()
    assert d["n"] == 4000
    for key, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
        e = d["latency_ms"][key]
        assert e["value"] == pytest.approx(type1(lat, q))
        assert e["ci_low"] < e["value"] < e["ci_high"]
    for name in ("/a", "/b", "/c"):
        sub = lat[names == name]
        ep = d["endpoints"][name]
        assert ep["n"] == sub.size
        assert ep["latency_ms"]["p95"]["value"] == pytest.approx(type1(sub, 0.95))
    assert d["success_rate"] == 1.0
    assert d["success_rate_ci"]["ci_low"] < 1.0
    assert d["throughput_rps"] == pytest.approx(4000 / 60.0)
    assert d["runs"] == [run.id]
    assert "order-statistic" in d["method"]


def test_any_percentile_and_small_samples_give_unbounded_ends(tmp_path: Path) -> None:
    run = make_run(tmp_path, "a", np.arange(1.0, 31.0))
    stats = run_stats([run.path], percentiles=(50, 99.9))
    p999 = stats.latency_ms["p99.9"]
    assert p999.value == 30.0
    assert p999.ci_high == math.inf  # 30 samples cannot bound P99.9 from above
    assert stats.to_dict()["latency_ms"]["p99.9"]["ci_high"] is None


def test_failures_are_excluded_from_latency_and_counted_in_rates(tmp_path: Path) -> None:
    lat = np.r_[np.full(90, 100.0), np.full(10, 1.0)]  # the failures are fast
    ok = np.r_[np.ones(90, bool), np.zeros(10, bool)]
    run = make_run(tmp_path, "a", lat, ok=ok)
    d = run_stats([run.path]).to_dict()
    assert d["latency_ms"]["p50"]["value"] == 100.0
    assert d["error_rate"] == pytest.approx(0.1)
    lo, hi = d["error_rate_ci"]["ci_low"], d["error_rate_ci"]["ci_high"]
    assert 0.04 < lo < 0.1 < hi < 0.2


def test_unusable_latencies_are_counted_as_requests_and_skipped_by_percentiles(
    tmp_path: Path,
) -> None:
    lat = np.array([10.0, np.nan, -5.0, 20.0, np.inf, 30.0, np.nan, 40.0])
    ok = np.array([True, True, True, True, True, True, False, False])
    run = make_run(tmp_path, "a", lat, ok=ok)
    stats = run_stats([run.path])
    assert stats.n == 8 and stats.overall.n_ok == 6  # every request counts in the rates
    assert stats.success_rate == 0.75
    assert stats.latency_skipped == {"null": 0, "nan": 1, "infinite": 1, "negative": 1}
    assert stats.failed_without_latency == 1
    assert stats.latency_ms["p50"].n == 3  # over the 3 successful requests with a known latency
    d = stats.to_dict()
    assert d["latency_skipped"] == 3 and d["latency_skipped_by_reason"]["negative"] == 1
    assert d["endpoints"]["/api/items"]["latency_skipped"] == 3
    assert d["candidates"]["a"]["latency_skipped"] == 3
    assert any("3 successful request(s) with an unusable latency" in w for w in stats.warnings)
    assert any("1 failed request(s) without a usable latency" in w for w in stats.warnings)
    assert "skipped by the percentiles" in stats.method


def test_only_failures_and_empty_runs(tmp_path: Path) -> None:
    failed = make_run(tmp_path / "f", "a", np.full(50, 5.0), ok=np.zeros(50, bool))
    d = run_stats([failed.path]).to_dict()
    assert d["success_rate"] == 0.0 and d["latency_ms"]["p95"]["value"] is None
    assert any("every request failed" in w for w in d["warnings"])
    empty = make_run(tmp_path / "e", "a", np.array([]))
    d = run_stats([empty.path]).to_dict()
    assert d["n"] == 0 and d["success_rate"] is None
    assert any("no samples" in w for w in d["warnings"])


def test_not_a_run_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a run directory"):
        run_stats([tmp_path / "nope"])


def test_intended_latency_adds_the_send_delay(tmp_path: Path) -> None:
    n = 200
    start = np.datetime64(T0.replace(tzinfo=None), "ns") + (np.arange(n) * 10**8).astype(
        "timedelta64[ns]"
    )
    intended = start - np.timedelta64(50, "ms")  # every request went out 50 ms late
    run = make_run(tmp_path, "a", np.full(n, 10.0), t_start=start, t_intended=intended)
    d = run_stats([run.path]).to_dict()
    assert d["latency_ms"]["p50"]["value"] == pytest.approx(10.0)
    assert d["latency_intended_ms"]["p50"]["value"] == pytest.approx(60.0)


def test_repeats_make_the_run_the_unit_with_spread_and_a_warning(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    runs = [
        make_run(tmp_path, "a", rng.lognormal(4, 0.3, 500) * (1 + i / 10), repeat=i)
        for i in range(2)
    ]
    stats = run_stats([r.path for r in runs])
    cand = stats.to_dict()["candidates"]["a"]
    assert cand["unit"] == "run" and len(cand["per_run"]) == 2
    spread = cand["spread"]["latency_p95_ms"]
    assert spread["runs"] == 2 and spread["min"] < spread["max"]
    assert any("only 2 run(s)" in w for w in stats.warnings)


def test_several_runs_make_the_run_the_unit_even_when_not_declared_repeats(tmp_path: Path) -> None:
    """Separate `pockit run` invocations or imports: no repeat index, still the unit of replication."""
    rng = np.random.default_rng(6)
    runs = [make_run(tmp_path, "a", rng.lognormal(4, 0.3, 300)) for _ in range(3)]
    stats = run_stats([r.path for r in runs])
    cand = stats.to_dict()["candidates"]["a"]
    assert cand["unit"] == "run" and len(cand["per_run"]) == 3
    assert cand["spread"]["success_rate"]["runs"] == 3
    assert not any("only" in w for w in stats.warnings)  # 3 runs: no too-few warning
    one = run_stats([runs[0].path]).to_dict()["candidates"]["a"]
    assert one["unit"] == "pooled"


def test_timeline_buckets(tmp_path: Path) -> None:
    ok = np.ones(600, bool)
    ok[:60] = False  # the first 6 s (100 req/s... 10 per bucket) fail
    run = make_run(tmp_path, "a", np.linspace(1, 100, 600), ok=ok, duration_s=60)
    tl = timeline([run.path], bucket_s=1.0)
    assert list(tl.columns[:8]) == [
        "ts",
        "requests",
        "rps",
        "errors",
        "error_rate",
        "p50",
        "p50_lo",
        "p50_hi",
    ]
    assert len(tl) == 60 and (tl["requests"] == 10).all()
    assert tl["error_rate"].iloc[0] == 1.0 and tl["error_rate"].iloc[-1] == 0.0
    assert tl["p50"].isna().iloc[0] and tl["p95"].notna().iloc[-1]
    assert set(tl["candidate"]) == {"a"} and set(tl["run_id"]) == {run.id}


def test_timeline_counts_every_request_and_skips_unknown_latencies(tmp_path: Path) -> None:
    lat = np.tile([10.0, 20.0, np.nan, 30.0, -1.0], 120)  # 600 requests, 2 of every 5 unknown
    ok = np.ones(600, bool)
    ok[:10] = False  # the first second fails
    run = make_run(tmp_path, "a", lat, ok=ok, duration_s=60)
    tl = timeline([run.path], bucket_s=1.0)
    assert len(tl) == 60 and (tl["requests"] == 10).all()  # no request vanishes from a bucket
    assert tl["errors"].iloc[0] == 10 and tl["errors"].iloc[1:].sum() == 0
    assert tl["p50"].isna().iloc[0]
    assert (tl["p50"].iloc[1:] == 20.0).all()  # over the 6 known latencies of each bucket
    assert tl["p50"].iloc[1:].notna().all() and (tl["p99"].iloc[1:] == 30.0).all()


def test_recovery_after_fault_end(tmp_path: Path) -> None:
    from datetime import timedelta

    n = 6000  # 100 req/s over 60 s
    ok = np.ones(n, bool)
    ok[2000:3500] = False  # failing from 20 s to 35 s: the fault ends at 30 s, recovery 5 s later
    events = [
        {"kind": "fault_start", "ts": T0 + timedelta(seconds=20), "fault": "error_rate"},
        {"kind": "fault_end", "ts": T0 + timedelta(seconds=30), "fault": "error_rate"},
    ]
    run = make_run(tmp_path, "a", np.full(n, 10.0), ok=ok, events=events)
    s = load_samples([run.path])
    recs = recoveries(s.frame, s.runs)
    assert len(recs) == 1 and recs[0].recovery_s == pytest.approx(5.0)


def test_cold_start_p95_uses_the_first_requests_after_idle(tmp_path: Path) -> None:
    from datetime import timedelta

    lat = np.full(6000, 10.0)
    lat[3000:3020] = 500.0  # the 20 requests after the idle gap at 30 s are slow
    from pockit._contract import EventKind

    # the kind the load shape writes (pockit/load/_shape.py), named from the shared contract
    events = [{"kind": EventKind.IDLE_GAP_END, "ts": T0 + timedelta(seconds=30), "probe": 20}]
    run = make_run(tmp_path, "a", lat, events=events)
    s = load_samples([run.path])
    est = cold_start_estimate(s.frame, s.runs)
    assert est.n == 20 and est.value == 500.0


def test_error_budget_burn() -> None:
    e = error_budget_burn(10, 1000, 0.99)
    assert e.value == pytest.approx(1.0) and e.ci_low < 1.0 < e.ci_high
    assert math.isnan(error_budget_burn(1, 10, 1.0).value)


def test_hodges_lehmann_matches_brute_force_and_holm() -> None:
    rng = np.random.default_rng(9)
    a, b = rng.normal(100, 10, 300), rng.normal(110, 10, 250)
    est, lo, hi = hodges_lehmann(b, a)
    assert est == pytest.approx(float(np.median((b[:, None] - a[None, :]).ravel())), abs=1e-6)
    assert lo < est < hi and lo > 5
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
