"""``pockit decide SPEC RUN_DIR...``: criteria outcomes and the verdict; exit 0 GO, 1 NO-GO, 2 INCONCLUSIVE."""

from __future__ import annotations

import argparse
import math
from typing import Any

from pockit.commands._output import add_json_flag, emit, open_run_args


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "decide",
        help="judge the spec's criteria on run directories: GO / NO-GO / INCONCLUSIVE",
        description="Each criterion is judged on its estimate and 95% bounds (PASS, FAIL, WARN, "
        "INCONCLUSIVE); exit code 0 GO, 1 NO-GO, 2 INCONCLUSIVE, 64+ input errors.",
    )
    parser.add_argument("spec", help="the PoC spec (poc.yaml)")
    parser.add_argument(
        "runs", nargs="+", metavar="RUN_DIR", help="run directories (or a folder of them)"
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _v(x: float, unit: str = "") -> str:
    if math.isnan(x):
        return "-"
    if math.isinf(x):
        return "unbounded" if x > 0 else "-unbounded"
    return f"{x:.4g}{unit}"


def human(decision: Any) -> str:
    lines = [
        f"verdict: {decision.verdict} — {decision.reason}",
        f"spec sha256: {decision.spec_sha256}",
    ]
    for name, cand in decision.candidates.items():
        role = " (baseline)" if cand.is_baseline else ""
        lines.append("")
        lines.append(
            f"{name}{role}: {cand.verdict} — {cand.reason}  [{cand.n_runs} run(s), {cand.n} requests]"
        )
        for r in cand.criteria:
            key = "*" if r.key else " "
            lines.append(
                f"  {key}{r.outcome:<12} {r.label:<34} est {_v(r.estimate):>9}  "
                f"[{_v(r.ci_low)}, {_v(r.ci_high)}]  n={r.n}"
            )
            lines.append(f"      {r.reason}")
        for c in cand.comparisons:
            lines.append(f"   vs {c.baseline} {c.metric}: {c.reason}")
    if decision.ranking:
        lines.append("")
        lines.append(
            "ranking: "
            + ", ".join(f"{r['rank']}. {r['candidate']} ({r['verdict']})" for r in decision.ranking)
        )
    if decision.pareto:
        lines.append("cost-vs-latency Pareto front: " + ", ".join(decision.pareto))
    lines += [f"warning: {w}" for w in decision.warnings]
    lines.append(
        "* = key criterion; bounds are one-sided 95%; '-' = no estimate; 'unbounded' = the data sets no bound"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from pockit.decision import decide
    from pockit.spec import load_spec

    spec = load_spec(args.spec)
    decision = decide(spec, open_run_args(args.runs))
    emit(args, decision.to_dict(), human(decision))
    return decision.exit_code
