"""The exact radix select and the shared-array paths of run_stats / timeline, against plain sorts."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

import pockit.analysis._select as select
from pockit.analysis import load_samples, quantile_ci_ranks, run_stats, timeline
from tests.analysis.helpers import T0, make_run


def _at(sorted_values: np.ndarray, rank: int) -> float:
    return float(sorted_values[rank - 1]) if 1 <= rank <= sorted_values.size else math.nan


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("chunk", [7, 1 << 16])
def test_select_ranks_equals_sorting(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(select, "CHUNK", chunk)  # small chunks: rows straddle chunk edges
    rng = np.random.default_rng(11)
    for trial in range(60):
        n = int(rng.integers(0, 2000))
        groups = int(rng.integers(1, 30))
        values = [
            rng.lognormal(3, 1.5, n),
            rng.integers(0, 4, n).astype(float),  # many ties
            np.r_[rng.uniform(0, 1e-300, n // 2), rng.uniform(0, 1e300, n - n // 2)],
            # of both signs, and -0.0 beside 0.0 (an intended latency under clock skew)
            np.r_[rng.normal(0, 50, n - n // 4), np.full(n // 8, -0.0), np.zeros(n // 4 - n // 8)],
        ][trial % 4]
        codes = rng.integers(0, groups, n)
        where = rng.random(n) > 0.2 if trial % 2 else None
        ranks = rng.integers(-1, 120, (groups, 4))
        pooled = rng.integers(-1, n + 2, 5)
        got, got_pooled = select.select_ranks(values, codes, groups, ranks, pooled, where)
        keep = np.ones(n, bool) if where is None else where
        for g in range(groups):
            s = np.sort(values[(codes == g) & keep])
            for j in range(ranks.shape[1]):
                assert _same(got[g, j], _at(s, int(ranks[g, j]))), (trial, g, j)
        s = np.sort(values[keep])
        for j, r in enumerate(pooled):
            assert _same(got_pooled[j], _at(s, int(r))), (trial, j)


def test_endpoint_and_overall_intervals_are_the_order_statistics(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 30_000
    names = rng.choice(["/a", "/b", "/c", "/d"], n, p=[0.5, 0.3, 0.19, 0.01])
    lat = rng.lognormal(3, 0.8, n)
    ok = rng.random(n) > 0.05
    run = make_run(tmp_path, "a", lat, ok=ok, names=names, files=3)
    d = run_stats([run.path]).to_dict()
    groups = {"overall": (d, np.ones(n, bool))}
    groups |= {name: (d["endpoints"][name], names == name) for name in ("/a", "/b", "/c", "/d")}
    for label, (figs, rows) in groups.items():
        s = np.sort(lat[rows & ok])
        assert figs["n"] == int(rows.sum()) and figs["n_ok"] == s.size, label
        for key, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
            lo, hi = quantile_ci_ranks(s.size, q)
            e = figs["latency_ms"][key]
            assert e["value"] == s[math.ceil(s.size * q - 1e-9) - 1], (label, key)
            assert e["ci_low"] == (s[lo[0] - 1] if lo[0] >= 1 else None), (label, key)
            assert e["ci_high"] == (s[hi[0] - 1] if hi[0] <= s.size else None), (label, key)


def test_timeline_of_several_runs_matches_per_bucket_sorts(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    runs, truth = [], []
    for i, cand in enumerate(["b", "a", "a"]):  # candidates out of order on purpose
        n = 3000
        lat = rng.lognormal(3, 0.5, n)
        ok = rng.random(n) > 0.1
        ok[:100] = False  # the first bucket of each run fails entirely
        start = T0 + timedelta(seconds=40 * i)
        run = make_run(tmp_path, cand, lat, ok=ok, duration_s=30, start=start, repeat=i)
        runs.append(run)
        truth.append((cand, run.id, lat, ok))
    s = load_samples([r.path for r in runs])
    tl = timeline(s, 1.0)
    assert s.arrays() is s.arrays()  # run_stats and timeline share one set of arrays
    assert list(tl["candidate"]) == sorted(tl["candidate"])
    assert len(tl) == 90 and (tl["requests"] == 100).all()
    for cand, rid, lat, ok in truth:
        sub = tl[tl["run_id"] == rid]
        assert set(sub["candidate"]) == {cand}
        assert sub["ts"].is_monotonic_increasing
        first = sub.iloc[0]
        assert first["errors"] == 100 and math.isnan(first["p50"])
        for b in range(1, 30):
            rows = slice(b * 100, (b + 1) * 100)
            v = np.sort(lat[rows][ok[rows]])
            row = sub.iloc[b]
            assert row["errors"] == 100 - v.size
            assert row["p95"] == v[math.ceil(v.size * 0.95 - 1e-9) - 1]
            lo, hi = quantile_ci_ranks(v.size, 0.5)
            assert row["p50_lo"] == v[lo[0] - 1] and row["p50_hi"] == v[hi[0] - 1]


def test_ranked_values_of_signed_values_past_the_small_path() -> None:
    """Above 65,536 values ranked_values takes the radix select: negative values and -0.0 (which
    it read as huge integers, and failed on) order as a full sort orders them."""
    from pockit.analysis import ranked_values

    rng = np.random.default_rng(5)
    values = np.r_[rng.normal(-3, 40, 150_000), np.full(1000, -0.0), np.zeros(1000)]
    rng.shuffle(values)
    ranks = np.array([1, 2, 1000, 75_000, 75_500, 76_000, 120_000, 151_999, 152_000])
    got = ranked_values(values.copy(), ranks)
    assert np.array_equal(got, np.sort(values)[ranks - 1])
    assert got[0] < -100 < 0 < got[-1]


def test_order_statistics_of_signed_values() -> None:
    rng = np.random.default_rng(6)
    values = np.r_[rng.normal(0, 10, 5000), np.full(50, -0.0)]
    codes = rng.integers(0, 3, values.size)
    ranks = np.array([[1, 10, 1200], [1, 5, 1500], [2, 3, 1600]])  # each group holds ~1,680
    got, _ = select.order_statistics(values, codes, 3, ranks, np.arange(3))
    for g in range(3):
        s = np.sort(values[codes == g])
        assert [_at(s, int(r)) for r in ranks[g]] == got[g].tolist()
