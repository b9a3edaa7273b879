"""``pockit demo``: the whole flow on the bundled demo service, ending in an HTML report."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pockit._constants import DEMO_DURATION_S
from pockit.commands._output import add_json_flag, emit


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="run the whole flow on the bundled demo service",
        description="Start the demo service on 127.0.0.1, load each candidate with Locust (through "
        "notebooks/poc_run.ipynb), generate a FOCUS billing sample, decide, and write the HTML "
        "report. Exit code: 0 when the report was written, whatever the verdict.",
    )
    parser.add_argument(
        "--out", default="reports/demo.html", help="report path (default: %(default)s)"
    )
    parser.add_argument(
        "--workdir",
        default=None,
        help="where the spec, billing, runs and notebooks go (default: runs/demo-<UTC stamp>)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=DEMO_DURATION_S,
        help="seconds of load per candidate (default: %(default)s)",
    )
    parser.add_argument(
        "--users", type=int, default=10, help="concurrent Locust users (default: %(default)s)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pockit._errors import UsageError
    from pockit.demo import run_demo

    if not 1 <= args.duration <= 600:
        raise UsageError(f"--duration: expected 1 to 600 seconds, got {args.duration:g}")
    if not 1 <= args.users <= 200:
        raise UsageError(f"--users: expected 1 to 200, got {args.users}")

    def log(message: str) -> None:
        if not args.json:
            sys.stderr.write(f"pockit demo: {message}\n")

    result = run_demo(
        out=args.out,
        workdir=args.workdir,
        duration_s=args.duration,
        users=args.users,
        progress=not args.no_progress and not args.json,
        log=log,
    )
    human = f"verdict: {result.verdict}\nreport:  {result.report}"
    emit(args, result.to_dict(), human)
    return 0
