"""Anytime-valid bounds (analysis/_sequential.py): calibration by simulation, and the share tests.

The calibration simulates runs looked at every "second" (every 100 requests) up to 20,000
requests, vectorised across runs: each look compares the running count with the test's integer
boundary at that n (the evidence is monotone in the count, so this is the test itself).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from pockit.analysis._intervals import clopper_pearson
from pockit.analysis._mixture import confidence_sequence, decision_boundary, log_evidence, rejects
from pockit.analysis._sequential import evaluate_sequential, share_counts, share_test
from pockit.spec import Criterion

Q = 0.95
STEP, LOOKS, SIMS = 100, 200, 4000
NS = np.arange(1, LOOKS + 1) * STEP


def _paths(p: float, seed: int) -> np.ndarray:
    """Running counts of requests under T at each look, one row per simulated run."""
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.binomial(STEP, p, size=(SIMS, LOOKS)), axis=1)


def test_truth_at_threshold_passes_at_most_alpha_while_naive_looks_inflate() -> None:
    k = _paths(Q, seed=16)
    boundary = decision_boundary(NS, Q, side="greater")
    anytime = (k >= boundary).any(axis=1).mean()
    # the naive rule: the fixed-length one-sided Clopper-Pearson bound, checked at every look
    cp_lo, _ = clopper_pearson(k, np.broadcast_to(NS, k.shape), sides="one")
    naive = (cp_lo >= Q).any(axis=1).mean()
    final_only = (cp_lo[:, -1] >= Q).mean()
    se = math.sqrt(0.05 * 0.95 / SIMS)
    assert anytime <= 0.05, f"anytime P(PASS) {anytime:.3f} at the threshold"
    assert naive > 0.05 + 3 * se, f"naive repeated look P(PASS) {naive:.3f} should exceed 5%"
    assert naive > 3 * anytime
    assert final_only <= 0.05 + 3 * se  # one look at the end is fine: the fixed-length promise


def test_clear_margin_stops_early_with_the_right_answer() -> None:
    k = _paths(0.97, seed=7)
    passed = k >= decision_boundary(NS, Q, side="greater")
    failed = k <= decision_boundary(NS, Q, side="less")
    decided = passed | failed
    first = np.where(decided.any(axis=1), decided.argmax(axis=1), LOOKS - 1)
    stop_share = NS[first] / NS[-1]
    assert decided.any(axis=1).all()
    assert passed[np.arange(SIMS), first].all()  # every early stop is a PASS, never a FAIL
    assert np.median(stop_share) < 0.1, np.median(stop_share)


def test_boundary_is_the_test() -> None:
    ns = np.array([60, 500, 3000])
    for side in ("greater", "less"):
        b = decision_boundary(ns, Q, side=side)
        for n, kb in zip(ns, b, strict=True):
            inside = 0 <= kb <= n
            if side == "greater":
                assert not inside or rejects(kb, n, Q, side=side)
                assert not rejects(kb - 1, n, Q, side=side)
            else:
                assert not inside or rejects(kb, n, Q, side=side)
                assert not rejects(min(kb + 1, n), n, Q, side=side) or kb == n


def test_bounds_are_wider_than_fixed_length_and_agree_with_the_test() -> None:
    k = np.array([950, 965, 980, 1000])
    lo, hi = confidence_sequence(k, 1000, centre=Q)
    cp_lo, cp_hi = clopper_pearson(k, 1000, sides="one")
    assert np.all(lo <= cp_lo + 1e-9) and np.all(hi >= cp_hi - 1e-9)
    assert np.all(lo <= k / 1000) and np.all(hi >= k / 1000)
    # the decision at the threshold and the bound never disagree
    for ki, bound in zip(k, lo, strict=True):
        assert bool(rejects(ki, 1000, Q, side="greater")) == (bound >= Q)
    assert hi[-1] == 1.0  # nothing above 1000 of 1000
    lev = log_evidence(0, 0, Q, side="greater", centre=Q)
    assert lev == pytest.approx(0.0)  # the martingale starts at 1


def test_criteria_map_to_share_tests() -> None:
    p95 = Criterion(metric="latency_p95_ms", op="<", threshold=300)
    sr = Criterion(metric="success_rate", op=">=", threshold=0.99)
    er = Criterion(metric="error_rate", op="<", threshold=0.01)
    burn = Criterion(metric="error_budget_burn", op="<=", threshold=1.0)
    cost = Criterion(metric="cost_per_1k_usd", op="<=", threshold=0.05)
    assert share_test(p95) is not None and share_test(p95).p0 == 0.95  # type: ignore[union-attr]
    assert share_test(cost) is None and share_test(burn) is None
    assert share_test(burn, slo_target=0.999).p0 == pytest.approx(0.001)  # type: ignore[union-attr]
    assert evaluate_sequential(p95, 2000, 1990).outcome == "PASS"  # type: ignore[union-attr]
    assert evaluate_sequential(p95, 2000, 1800).outcome == "FAIL"  # type: ignore[union-attr]
    assert evaluate_sequential(p95, 2000, 1905).outcome == "INCONCLUSIVE"  # type: ignore[union-attr]
    assert evaluate_sequential(sr, 5000, 4999).outcome == "PASS"  # type: ignore[union-attr]
    assert evaluate_sequential(er, 5000, 1).outcome == "PASS"  # type: ignore[union-attr]
    assert evaluate_sequential(er, 5000, 200).outcome == "FAIL"  # type: ignore[union-attr]
    # unknown latencies judged both ways: 1990 known under plus 100 unknown is not a PASS
    assert evaluate_sequential(p95, 2100, 1990, unknown=100).outcome == "INCONCLUSIVE"  # type: ignore[union-attr]
    assert evaluate_sequential(cost, 100, 100) is None


def test_counts_follow_the_decision_rules() -> None:
    frame = pl.DataFrame(
        {
            "latency_ms": [100.0, 250.0, 400.0, None, float("nan"), 50.0],
            "ok": [True, True, True, True, True, False],
            "name": ["/a", "/a", "/b", "/a", "/a", "/a"],
            "t_intended": [None] * 6,
        },
        schema_overrides={"t_intended": pl.Datetime("ns", "UTC")},
    )
    p95 = Criterion(metric="latency_p95_ms", op="<", threshold=300)
    on_b = Criterion(metric="latency_p95_ms", op="<", threshold=300, endpoint="/b")
    er = Criterion(metric="error_rate", op="<", threshold=0.1)
    cost = Criterion(metric="cost_per_1k_usd", op="<=", threshold=0.05)
    got = share_counts(frame, [p95, on_b, er, cost])
    # the failed request at 50 ms is not under; null and NaN are unknown
    assert got == [(6, 2, 2), (1, 0, 0), (6, 1, 0), None]
