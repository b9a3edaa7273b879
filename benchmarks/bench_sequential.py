"""Stopping early, statistically: the anytime-valid rule vs the fixed-length rule vs naive looks.

    python benchmarks/bench_sequential.py [--sims 4000] [--rounds 3]

A benchmark of statistical properties, not speed. Simulated runs of a P95 < T criterion (the
share of requests under T vs 0.95), looked at every 100 requests ("every second" at 100 rps) up
to a planned 20,000. Three rules:

- anytime: stop at the first look where the anytime-valid bound decides (pockit's stop_when);
- fixed: one look at the planned end, one-sided Clopper-Pearson (pockit decide today);
- naive: the same Clopper-Pearson bound checked at every look, stopping when it decides.

Per truth (at the threshold, a clear margin each way) it prints P(PASS), P(FAIL) and the median
stopping time as a share of the planned run, and per round the ratios that matter. Targets: the
anytime P(PASS) at the threshold <= 5% (the naive rule's is far above); at a clear margin the
anytime rule's median stop is well below the planned length, with the fixed rule's answer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pockit.analysis._intervals import clopper_pearson  # noqa: E402
from pockit.analysis._mixture import decision_boundary  # noqa: E402

Q, STEP, LOOKS = 0.95, 100, 200
NS = np.arange(1, LOOKS + 1) * STEP
TRUTHS = (("at the threshold", 0.95), ("clear margin (97%)", 0.97), ("clear miss (93%)", 0.93))


def _rule(decided_pass: np.ndarray, decided_fail: np.ndarray) -> tuple[float, float, float]:
    decided = decided_pass | decided_fail
    any_ = decided.any(axis=1)
    first = np.where(any_, decided.argmax(axis=1), LOOKS - 1)
    rows = np.arange(decided.shape[0])
    p_pass = float((any_ & decided_pass[rows, first]).mean())
    p_fail = float((any_ & decided_fail[rows, first]).mean())
    return p_pass, p_fail, float(np.median(NS[first] / NS[-1]))


def one_round(p: float, sims: int, seed: int) -> dict[str, tuple[float, float, float]]:
    rng = np.random.default_rng(seed)
    k = np.cumsum(rng.binomial(STEP, p, size=(sims, LOOKS)), axis=1)
    up = decision_boundary(NS, Q, side="greater")
    down = decision_boundary(NS, Q, side="less")
    lo, hi = clopper_pearson(k, np.broadcast_to(NS, k.shape), sides="one")
    fixed_pass, fixed_fail = float((lo[:, -1] >= Q).mean()), float((hi[:, -1] < Q).mean())
    return {
        "anytime": _rule(k >= up, k <= down),
        "fixed": (fixed_pass, fixed_fail, 1.0),
        "naive": _rule(lo >= Q, hi < Q),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    print(
        f"P95 < T as share under T >= {Q}; looks every {STEP} requests up to {NS[-1]:,}; "
        f"{args.sims} simulated runs per truth and round"
    )
    ok = True
    for label, p in TRUTHS:
        print(f"\ntruth: {label}, share under T = {p}")
        print(f"  {'round':<6}{'rule':<9}{'P(PASS)':>9}{'P(FAIL)':>9}{'median stop':>13}")
        for r in range(args.rounds):
            res = one_round(p, args.sims, seed=1000 * r + int(p * 100))
            for rule, (pp, pf, stop) in res.items():
                print(f"  {r:<6}{rule:<9}{pp:>9.3f}{pf:>9.3f}{stop:>12.1%}")
            a, n, f = res["anytime"], res["naive"], res["fixed"]
            if p == Q:
                ratio = n[0] / max(a[0], 1e-9)
                print(
                    f"  round {r}: naive / anytime P(PASS) = {ratio:.1f}x; anytime <= 5%: {a[0] <= 0.05}"
                )
                ok &= a[0] <= 0.05 and n[0] > 0.05
            else:
                right = a[0] if p > Q else a[1]
                print(
                    f"  round {r}: anytime median stop / fixed = {a[2] / f[2]:.3f}; "
                    f"anytime right answer {right:.3f} vs fixed {f[0] if p > Q else f[1]:.3f}"
                )
                ok &= a[2] < 0.5
    print("\nPASS" if ok else "\nFAIL: a target was missed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
