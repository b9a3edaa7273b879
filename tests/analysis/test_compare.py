"""Baseline comparison: the shift's interval against ±margin decides, not the point shift."""

from __future__ import annotations

import numpy as np

from pockit.analysis._compare import compare_samples


def _one(c: np.ndarray, b: np.ndarray, margin: float = 0.1) -> object:
    return compare_samples("cand", "base", {"latency_ms": (c, b)}, margin=margin)[0]


def test_small_samples_are_underpowered_not_no_change() -> None:
    rng = np.random.default_rng(1)
    c = _one(rng.lognormal(np.log(100), 0.5, 20), rng.lognormal(np.log(100), 0.5, 20))
    assert c.result == "inconclusive (underpowered)", c.reason  # type: ignore[attr-defined]
    assert np.isfinite(c.p_value) and np.isfinite(c.p_adjusted)  # type: ignore[attr-defined]


def test_equivalent_only_when_the_whole_interval_is_inside_the_margin() -> None:
    rng = np.random.default_rng(2)
    c = _one(rng.lognormal(np.log(100), 0.3, 5000), rng.lognormal(np.log(100), 0.3, 5000))
    assert c.result == "no significant change", c.reason  # type: ignore[attr-defined]
    base_med = c.baseline_median  # type: ignore[attr-defined]
    assert -0.1 * base_med <= c.shift_ci_low and c.shift_ci_high <= 0.1 * base_med  # type: ignore[attr-defined]


def test_point_shift_past_the_margin_is_not_enough_to_call_a_regression() -> None:
    # +12% point shift, but with 150 noisy samples its interval reaches well below +10%
    rng = np.random.default_rng(3)
    b = rng.lognormal(np.log(100), 0.4, 150)
    c = _one(b * 1.12 * rng.lognormal(0, 0.05, 150), rng.lognormal(np.log(100), 0.4, 150))
    rel_lo = c.shift_ci_low / c.baseline_median  # type: ignore[attr-defined]
    assert rel_lo <= 0.1
    assert c.result != "regressed", c.reason  # type: ignore[attr-defined]


def test_clear_regression_and_improvement() -> None:
    rng = np.random.default_rng(4)
    b = rng.lognormal(np.log(100), 0.2, 3000)
    worse = _one(rng.lognormal(np.log(150), 0.2, 3000), b)
    better = _one(rng.lognormal(np.log(60), 0.2, 3000), b)
    assert worse.result == "regressed" and better.result == "improved"  # type: ignore[attr-defined]
    assert worse.shift_ci_low > 0.1 * worse.baseline_median  # type: ignore[attr-defined]


def test_reason_never_prints_p_equals_zero() -> None:
    """A p-value that underflows to 0.0 reads ``p < 1e-16`` (pockit._display.p_value), not ``p=0``."""
    rng = np.random.default_rng(5)
    c = _one(rng.lognormal(np.log(300), 0.1, 3000), rng.lognormal(np.log(100), 0.1, 3000))
    assert c.p_adjusted == 0.0  # type: ignore[attr-defined]
    assert "p < 1e-16 (Holm)" in c.reason, c.reason  # type: ignore[attr-defined]
    assert "p=0" not in c.reason  # type: ignore[attr-defined]
