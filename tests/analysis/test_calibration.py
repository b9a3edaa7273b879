"""Calibration on simulated data with known truth: do the intervals and decisions keep their promise?

Vectorised over thousands of simulated runs (numpy), through the same rank and share functions that
``run_stats`` and ``decide`` use; the small-sample cases go through ``decide`` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import stats

from pockit.analysis import FrameRequests, min_samples_for_bound, quantile_ci_ranks, wilson
from pockit.decision import decide
from pockit.decision._criteria import CandidateData, evaluate
from tests.analysis.helpers import make_run, make_spec

SIMS = 2000
MU, SIGMA = 4.0, 0.6  # lognormal latencies around 55 ms with a long tail


def true_quantile(q: float) -> float:
    return float(np.exp(MU + SIGMA * stats.norm.ppf(q)))


def simulate(n: int, seed: int) -> np.ndarray:
    """SIMS sorted lognormal samples of size n, one per row."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.lognormal(MU, SIGMA, size=(SIMS, n)), axis=1)


@pytest.mark.parametrize(("q", "n"), [(0.5, 1000), (0.95, 1000), (0.99, 2000)])
def test_two_sided_quantile_interval_covers_95_percent(q: float, n: int) -> None:
    x = simulate(n, seed=int(q * 1000) + n)
    lo, hi = quantile_ci_ranks(n, q)
    assert 1 <= lo[0] < hi[0] <= n
    truth = true_quantile(q)
    covered = (x[:, lo[0] - 1] <= truth) & (truth <= x[:, hi[0] - 1])
    assert 0.93 <= covered.mean() <= 0.97, covered.mean()


def test_one_sided_upper_bound_covers_95_percent() -> None:
    n, q = 1000, 0.95
    x = simulate(n, seed=7)
    _, hi = quantile_ci_ranks(n, q, sides="one")
    covered = true_quantile(q) <= x[:, hi[0] - 1]
    assert 0.93 <= covered.mean() <= 0.97, covered.mean()


def _latency_data(latency_ms: np.ndarray) -> CandidateData:
    n = latency_ms.size
    frame = pl.DataFrame({"latency_ms": latency_ms, "ok": np.ones(n, bool), "run_id": ["r"] * n})
    return CandidateData(
        name="a", requests=FrameRequests(frame), infos=[], durations={}, unit="pooled"
    )


def test_true_p95_exactly_at_threshold_passes_at_most_5_percent(tmp_path: Path) -> None:
    """Through evaluate(), the decision's own path: P95 < T when T is the true P95.

    Exact part: with k of n latencies under T, PASS depends on k alone and is monotone in it, so a
    bisection through evaluate() finds the smallest passing k and Binomial(n, 0.95) gives P(PASS).
    Simulated part: lognormal runs through evaluate(), at the threshold and well under it (power).
    """
    from scipy import special

    n, q = 1000, 0.95
    threshold = true_quantile(q)
    spec = make_spec(tmp_path, SPEC.format(metric="latency_p95_ms").replace("1000", f"{threshold}"))
    crit = spec.criteria[0]

    def passes_with_under(k: int) -> bool:
        lat = np.r_[np.full(k, threshold * 0.5), np.full(n - k, threshold * 2)]
        return evaluate(crit, _latency_data(lat), spec).outcome == "PASS"

    k_star = _smallest_passing(passes_with_under, n)
    assert k_star <= n
    assert float(special.bdtrc(k_star - 1, n, q)) <= 0.05

    rng = np.random.default_rng(11)
    sims = 300
    x = rng.lognormal(MU, SIGMA, size=(sims, n))
    at = [evaluate(crit, _latency_data(row), spec).outcome for row in x]
    assert at.count("PASS") / sims <= 0.05, at.count("PASS")
    good = [evaluate(crit, _latency_data(row / 1.3), spec).outcome for row in x]
    assert good.count("PASS") / sims > 0.95


@pytest.mark.parametrize(("p", "n"), [(0.9, 200), (0.99, 1000), (0.95, 500)])
def test_wilson_interval_covers_95_percent(p: float, n: int) -> None:
    rng = np.random.default_rng(int(p * 100) + n)
    k = rng.binomial(n, p, size=20_000)
    lo, hi = wilson(k, np.full(k.size, n))
    covered = (lo <= p) & (p <= hi)
    assert 0.93 <= covered.mean() <= 0.97, covered.mean()


def test_sample_size_needed_for_a_finite_bound() -> None:
    assert min_samples_for_bound(0.95) == 59
    assert min_samples_for_bound(0.99) == 299
    for q, need in ((0.95, 59), (0.99, 299)):
        _, hi = quantile_ci_ranks(np.array([need - 1, need]), q, sides="one")
        assert hi[0] == need  # = n + 1: unbounded with one sample fewer
        assert hi[1] == need  # = n: the largest sample bounds it


SPEC = """
name: calib
hypothesis: small samples cannot show a percentile
candidates: [{{name: a, host: "http://127.0.0.1:1"}}]
load: {{locustfile: l.py}}
criteria:
  - {{metric: {metric}, op: "<", threshold: 1000, key: true}}
"""


@pytest.mark.parametrize(("metric", "need"), [("latency_p95_ms", 59), ("latency_p99_ms", 299)])
def test_fewer_samples_than_a_finite_interval_needs_is_inconclusive(
    tmp_path: Path, metric: str, need: int
) -> None:
    spec = make_spec(tmp_path, SPEC.format(metric=metric))
    # every latency far below the threshold: only the sample size can stop a PASS
    few = make_run(tmp_path / "few", "a", np.full(need - 1, 10.0))
    enough = make_run(tmp_path / "enough", "a", np.full(need, 10.0))
    d_few = decide(spec, [few.path])
    d_enough = decide(spec, [enough.path])
    assert d_few.verdict == "INCONCLUSIVE"
    assert d_few.criteria[0].outcome == "INCONCLUSIVE"
    assert "too few" in d_few.criteria[0].reason
    assert d_few.criteria[0].ci_high == float("inf")
    assert d_enough.criteria[0].outcome == "PASS"
    assert d_enough.verdict == "GO"


def _rate_data(k_ok: int, n: int) -> CandidateData:
    ok = np.zeros(n, bool)
    ok[:k_ok] = True
    frame = pl.DataFrame({"ok": ok, "run_id": ["r"] * n})
    return CandidateData(
        name="a", requests=FrameRequests(frame), infos=[], durations={}, unit="pooled"
    )


def _smallest_passing(passes: Callable[[int], bool], n: int) -> int:
    """Smallest k in [0, n + 1] with passes(k) (monotone in k); n + 1 when none passes."""
    lo, hi = -1, n + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if passes(mid):
            hi = mid
        else:
            lo = mid
    return hi


# (success threshold, n): the worst cases of a one-sided Wilson bound (6.9%, 6.4%, 6.8%, 6.7%)
@pytest.mark.parametrize(
    ("good", "n"), [(0.95, 52), (0.95, 87), (0.95, 1000), (0.99, 268), (0.999, 2703)]
)
@pytest.mark.parametrize("metric", ["success_rate", "error_rate"])
def test_rate_at_threshold_passes_at_most_5_percent(
    tmp_path: Path, metric: str, good: float, n: int
) -> None:
    """Exact: P(PASS) when the true rate is the threshold, through evaluate() on real frames.

    PASS is monotone in the count, so a bisection through evaluate() finds the pass region and the
    binomial distribution gives its exact probability (no simulation noise).
    """
    from scipy import special

    success = metric == "success_rate"
    thr = good if success else round(1.0 - good, 6)
    op = ">=" if success else "<="
    spec = make_spec(tmp_path, RATE_SPEC.format(metric=metric, op=op, thr=thr))
    crit = spec.criteria[0]

    def passes_with_ok(k_ok: int) -> bool:
        return evaluate(crit, _rate_data(k_ok, n), spec).outcome == "PASS"

    k_star = _smallest_passing(passes_with_ok, n)  # passes for k_ok >= k_star
    p_ok = thr if success else 1.0 - thr
    # P(K_ok >= k_star) for K_ok ~ Binomial(n, p_ok)
    p_pass = 1.0 if k_star <= 0 else float(special.bdtrc(k_star - 1, n, p_ok))
    assert p_pass <= 0.05, (metric, n, k_star, p_pass)
    if n >= min_samples_for_bound(good):  # enough requests to show the rate at all: it can pass
        assert k_star <= n


RATE_SPEC = """
name: rates
hypothesis: rate decisions hold their 5%
candidates: [{{name: a, host: "http://127.0.0.1:1"}}]
load: {{locustfile: l.py}}
criteria:
  - {{metric: {metric}, op: "{op}", threshold: {thr}}}
"""


def test_several_undeclared_runs_at_the_threshold_pass_at_most_5_percent(tmp_path: Path) -> None:
    """Run-to-run variation (log-sd 0.05 between runs), 3 runs x 1,000 requests, true P95 at T.

        The runs are separate invocations, not declared repeats. Pooling their requests as if
        independent hides the between-run spread and PASSes ~14% of the time (issue 9 measured 14.3%);
        with the run as the unit it stays under 5%. The unit comes from decide() on real run
        directories; the 2,000 simulated decisions go through evaluate(), the decision's own path (the
    true P(PASS) is ~3.9%: 2,000 keep the 5% limit 2.4 standard errors away).
    """
    runs, n, sims, tau = 3, 1000, 2000, 0.05
    sd = float(np.hypot(SIGMA, tau))  # the population: a run's offset, then a request's noise
    threshold = float(np.exp(MU + sd * stats.norm.ppf(0.95)))
    spec = make_spec(tmp_path, SPEC.format(metric="latency_p95_ms").replace("1000", f"{threshold}"))
    crit = spec.criteria[0]

    rng = np.random.default_rng(2026)
    offsets = rng.normal(0.0, tau, size=(sims, runs, 1))
    lat = np.exp(MU + offsets + SIGMA * rng.standard_normal((sims, runs, n))).reshape(sims, -1)

    # three plain runs (no repeat index, spec without repeats): decide() makes the run the unit
    paths = [make_run(tmp_path / "runs", "a", lat[0, i * n : (i + 1) * n]).path for i in range(3)]
    decided = decide(spec, paths)
    unit = decided.candidates["a"].unit
    assert unit == "run" and "run is the unit (3 runs)" in decided.criteria[0].reason

    run_id = pl.Series("run_id", np.repeat([f"r{i}" for i in range(runs)], n))
    ok = np.ones(runs * n, dtype=bool)

    def pass_rate(rule: str, rows: np.ndarray) -> float:
        passes = 0
        for row in rows:
            frame = pl.DataFrame({"latency_ms": row, "ok": ok, "run_id": run_id})
            data = CandidateData(
                name="a", requests=FrameRequests(frame), infos=[], durations={}, unit=rule
            )
            passes += evaluate(crit, data, spec).outcome == "PASS"
        return passes / len(rows)

    assert pass_rate(unit, lat) <= 0.05
    assert pass_rate("pooled", lat[:1000]) > 0.08  # the old rule for undeclared runs: ~15%
