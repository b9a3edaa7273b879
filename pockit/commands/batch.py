"""``pockit batch SPEC --grid KEY=V1,V2 ...``: poc_run.ipynb over a parameter grid, then one comparison."""

from __future__ import annotations

import argparse
from typing import Any

from pockit._errors import EXIT_BATCH_PARTIAL, LoadError
from pockit.commands._output import add_json_flag, emit
from pockit.commands.report import add_kernel_option


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "batch",
        help="run poc_run.ipynb over a parameter grid and compare the points",
        description="Execute notebooks/poc_run.ipynb through papermill once per grid point (e.g. "
        "--grid users=5,10 --grid candidate=baseline,async), each notebook named by its parameters, "
        "judge each point against the spec's criteria, then build one comparison report "
        "(compare.ipynb; curves along a numeric grid key with each candidate's last passing value). "
        "A failed point is reported, not fatal. The exit code says whether the points ran, not their "
        "verdicts (those are in the output and the report). "
        "Exit code: 0 when every point ran, 75 when some failed (the others are compared), 69 when "
        "none ran. (1 and 2 are kept for decisions: NO-GO and INCONCLUSIVE.)",
    )
    parser.add_argument("spec", help="the spec (poc.yaml)")
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="a parameter and its values (candidate, users, duration_s)",
    )
    parser.add_argument(
        "--runs-dir",
        default="runs/batch",
        help="where the points' runs and notebooks go (default: %(default)s)",
    )
    parser.add_argument(
        "--out", default=None, help="comparison report path, e.g. reports/batch.html"
    )
    add_kernel_option(parser)
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pockit.report import parse_grid, run_batch

    grid = parse_grid(args.grid)
    result = run_batch(
        args.spec, grid, runs_dir=args.runs_dir, out=args.out, kernel_name=args.kernel
    )
    lines = [
        f"{p.name}: {p.status}"
        + (f", {p.verdict}" if p.verdict else "")
        + (f" — {p.error}" if p.error else "")
        for p in result.points
    ]
    if result.along:
        lines.append(result.along["sentence"])
    if result.report:
        lines.append(f"report: {result.report}")
    emit(args, result.to_dict(), "\n".join(lines))
    ok = len(result.points) - len(result.failed)
    if not result.failed:
        return 0
    return EXIT_BATCH_PARTIAL if ok else LoadError.exit_code
