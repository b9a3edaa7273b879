"""``pockit plan SPEC PILOT_RUN...``: how long a run must be to decide each criterion.

From a short pilot run, per candidate and per criterion that is a share of requests (latency
percentiles, success and error rates, error-budget burn with an SLO target), at the pilot's
observed share and request rate:

- fixed length: the fewest requests for the one-sided Clopper-Pearson decision to come out
  PASS (or FAIL) with 80% power, and the time that takes at the pilot's rate;
- stop when decided: the median and 80th percentile of the stopping time of the anytime-valid
  rule (simulated, looked at every ``--look`` seconds after ``--min-duration``).

The observed effect is a pilot's estimate: a plan is a budget guide, not a promise.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from pockit.commands._output import add_json_flag, emit


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "plan",
        help="from a pilot run: the run length each criterion needs (fixed vs stop-when-decided)",
        description="For each criterion that is a share of requests, the requests and time needed "
        "to decide it with 80%% power at the pilot's observed effect and rate: for a fixed-length "
        "run and for a run that stops when the anytime-valid bounds decide.",
    )
    parser.add_argument("spec", help="the PoC spec (poc.yaml)")
    parser.add_argument(
        "runs", nargs="+", metavar="PILOT_RUN", help="pilot run directories (or a folder of them)"
    )
    parser.add_argument("--candidate", help="plan only this candidate")
    parser.add_argument(
        "--look", type=float, default=None, help="seconds between looks (default 5)"
    )
    parser.add_argument(
        "--min-duration",
        type=float,
        default=None,
        help="seconds before an early stop is allowed (default 30)",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _duration_s(run: Any, frame: Any) -> float:
    """run.json's window, else the span of the samples' send times."""
    import polars as pl

    if run.end is not None:
        d = (run.end - run.start).total_seconds()
        if d > 0:
            return float(d)
    span = frame.select((pl.col("t_start").max() - pl.col("t_start").min()).dt.total_seconds())
    value = span.item()
    return float(value) if value else math.nan


def plan_criterion(
    crit: Any,
    n: int,
    k: int,
    unknown: int,
    rate: float,
    *,
    look_s: float,
    min_duration_s: float,
    planned_s: float,
    slo_target: float | None,
) -> dict[str, Any]:
    """The plan of one share criterion from a pilot's counts ``k`` of ``n`` at ``rate`` rps."""
    from pockit.analysis import fixed_length_n, share_test, stopping_times

    test = share_test(crit, slo_target=slo_target)
    assert test is not None
    out: dict[str, Any] = {
        "metric": crit.metric,
        "label": crit.label,
        "key": crit.key,
        "threshold_share": test.p0,
        "pilot": {"n": n, "k": k, "unknown": unknown, "rate_rps": rate},
    }
    if n == 0:
        return {**out, "decidable": False, "reason": "the pilot has no requests for it"}
    # unknown latencies at the pessimistic end: the plan should not promise what they might hide
    p_slow = k / n
    p_fast = (k + unknown) / n
    p = p_slow if test.good == "greater" else p_fast
    out["pilot"]["share"] = p
    expect = "PASS" if (p > test.p0) == (test.good == "greater") else "FAIL"
    out["expected_outcome"] = expect
    nf = fixed_length_n(p, test.p0)
    if nf is None:
        why = (
            "the pilot's share equals the threshold: no length decides it"
            if p == test.p0
            else "more than 10^8 requests would be needed"
        )
        return {**out, "decidable": False, "reason": why}

    def secs(x: float | None) -> float | None:
        return x / rate if x is not None and rate > 0 else None

    look_n = max(1, round(rate * look_s)) if rate > 0 else 100
    min_n = int(rate * min_duration_s) if rate > 0 else 0
    horizon = int(max(20 * nf, 4 * min_n, 10 * look_n))
    sp = stopping_times(p, test.p0, look_n=look_n, min_n=min_n, horizon_n=horizon)
    out.update(
        decidable=True,
        fixed={"n": nf, "duration_s": secs(nf), "power": 0.8},
        stop_when_decided={
            "median_n": sp.median_n,
            "median_s": secs(sp.median_n),
            "p80_n": sp.p80_n,
            "p80_s": secs(sp.p80_n),
            "decided_share": sp.decided_share,
            "right_share": sp.right_share,
            "look_n": sp.look_n,
            "min_n": min_n,
            "horizon_n": sp.horizon_n,
            "sims": sp.sims,
        },
        planned_s=planned_s,
        planned_enough_fixed=(secs(nf) or math.inf) <= planned_s,
    )
    return out


def human(data: dict[str, Any]) -> str:
    def t(x: float | None) -> str:
        if x is None:
            return "-"
        return f"{x:.0f} s" if x < 120 else f"{x / 60:.1f} min"

    def nn(x: float | None) -> str:
        return "-" if x is None else f"{x:,.0f}"

    lines = [f"spec: {data['spec']} (planned run: {t(data['planned_s'])})"]
    for cand in data["candidates"]:
        lines.append("")
        lines.append(
            f"{cand['candidate']}: pilot {cand['n']} requests over {t(cand['duration_s'])} "
            f"({cand['rate_rps']:.3g} rps)"
        )
        for c in cand["criteria"]:
            key = "*" if c["key"] else " "
            if not c["decidable"]:
                lines.append(f"  {key}{c['label']:<34} {c['reason']}")
                continue
            f, s = c["fixed"], c["stop_when_decided"]
            lines.append(
                f"  {key}{c['label']:<34} pilot share {c['pilot']['share']:.2%} vs "
                f"{c['threshold_share']:.4g}: expect {c['expected_outcome']}"
            )
            lines.append(
                f"      fixed length (80% power): {nn(f['n'])} requests, {t(f['duration_s'])}"
            )
            lines.append(
                f"      stop when decided: median {nn(s['median_n'])} requests "
                f"({t(s['median_s'])}), 80% by {nn(s['p80_n'])} ({t(s['p80_s'])})"
            )
        for label in cand["not_planned"]:
            lines.append(f"   {label:<34} not a share of requests: no plan (judged after the run)")
    lines.append(
        "* = key criterion; at the pilot's observed effect and rate: a budget guide, not a promise"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from pockit._constants import STOP_WHEN_MIN_DURATION_S as MIN_DURATION_S
    from pockit._constants import STOP_WHEN_POLL_S as POLL_S
    from pockit._errors import UsageError
    from pockit._rundir import open_runs
    from pockit.analysis import share_counts, share_test
    from pockit.spec import load_spec

    spec = load_spec(args.spec)
    look_s = POLL_S if args.look is None else args.look
    min_s = MIN_DURATION_S if args.min_duration is None else args.min_duration
    if not look_s > 0 or min_s < 0:
        raise UsageError("--look must be > 0 and --min-duration >= 0 (seconds)")
    runs = open_runs(list(args.runs))
    by_cand: dict[str, list[Any]] = {}
    for r in runs:
        by_cand.setdefault(r.candidate, []).append(r)
    if args.candidate is not None:
        if args.candidate not in by_cand:
            known = ", ".join(sorted(by_cand)) or "none"
            raise UsageError(
                f"--candidate {args.candidate!r}: no pilot run of it; pilot candidates: {known}"
            )
        by_cand = {args.candidate: by_cand[args.candidate]}
    shares = [c for c in spec.criteria if share_test(c, slo_target=spec.slo_target)]
    others = [c.label for c in spec.criteria if c not in shares]
    planned_s = spec.runnable_load().duration_s  # plans runs to make: needs a load section
    out = []
    for name, rds in by_cand.items():
        total = [0, 0, 0]
        counts = [[0, 0, 0] for _ in shares]
        duration = 0.0
        for rd in rds:
            frame = rd.read_samples()
            duration += _duration_s(rd, frame)
            total[0] += frame.height
            for acc, got in zip(
                counts, share_counts(frame, shares, slo_target=spec.slo_target), strict=True
            ):
                assert got is not None
                for i in range(3):
                    acc[i] += got[i]
        rate = total[0] / duration if duration > 0 else math.nan
        crits = [
            plan_criterion(
                c,
                n,
                k,
                u,
                rate,
                look_s=look_s,
                min_duration_s=min_s,
                planned_s=planned_s,
                slo_target=spec.slo_target,
            )
            for c, (n, k, u) in zip(shares, counts, strict=True)
        ]
        out.append(
            {
                "candidate": name,
                "runs": [str(r.path) for r in rds],
                "n": total[0],
                "duration_s": duration,
                "rate_rps": rate,
                "criteria": crits,
                "not_planned": others,
            }
        )
    data = {
        "spec": str(args.spec),
        "planned_s": planned_s,
        "look_s": look_s,
        "min_duration_s": min_s,
        "power": 0.8,
        "candidates": out,
    }
    emit(args, data, human(data))
    return 0
