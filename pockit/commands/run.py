"""``pockit run SPEC``: load every candidate (or one) and print the run directories."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from pockit.commands._output import add_json_flag, emit


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "run",
        help="run the load test against the spec's candidates",
        description="Run Locust headless as a child process against each candidate (or only "
        "--candidate), recording every request into a run directory per repeat. Exits 0 when "
        "every run completed; 67 when a guardrail refused the load; 69 when a run failed.",
    )
    parser.add_argument("spec", help="path to the spec, e.g. poc.yaml")
    parser.add_argument(
        "--candidate", action="append", metavar="NAME", help="only this candidate (repeatable)"
    )
    parser.add_argument(
        "--runs-dir", default="runs", metavar="DIR", help="where run directories go (default: runs)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="?",
        const=-1,
        default=None,
        metavar="N",
        help="a Locust master and N local worker processes; --workers alone: one per core",
    )
    parser.add_argument(
        "--duration",
        type=_seconds,
        default=None,
        metavar="S",
        help="override load.duration (30, 30s, 2m)",
    )
    parser.add_argument("--users", type=int, default=None, metavar="N", help="override load.users")
    parser.add_argument(
        "--repeats", type=int, default=None, metavar="N", help="override load.repeats"
    )
    parser.add_argument(
        "--remote-workers",
        type=int,
        default=0,
        metavar="N",
        help="also wait for N workers joining from other machines (pockit worker --master HOST:PORT)",
    )
    parser.add_argument(
        "--master-bind",
        default=None,
        metavar="HOST:PORT",
        help="where the master listens for workers (default 127.0.0.1 on a free port; "
        "0.0.0.0:5557 for remote workers)",
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (in a terminal) or progress lines (every 10 s in a log, "
        "POCKIT_PROGRESS_EVERY_S to change); the end-of-run summary stays",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _seconds(text: str) -> float:
    from pockit.spec import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    from pockit._errors import PockitError, UsageError
    from pockit.load import run_spec
    from pockit.spec import load_spec

    spec = load_spec(args.spec)
    bind, port = "127.0.0.1", None
    if args.master_bind:
        host, _, port_text = args.master_bind.rpartition(":")
        if not host or not port_text.isdigit():
            raise UsageError(
                f"--master-bind expects HOST:PORT such as 0.0.0.0:5557, got {args.master_bind!r}"
            )
        bind, port = host, int(port_text)
    paths: list[str] = []

    def done(name: str, runs: list[Path]) -> None:  # so a failure can still list them
        paths.extend(str(p) for p in runs)

    # with --json, stdout carries only the JSON object: the per-run summaries go to stderr
    redirect = contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext()
    try:
        with redirect:
            # run_spec refuses the whole batch up front, before any load (names, guardrails,
            # reachability), then runs each candidate in turn
            run_spec(
                spec,
                candidates=args.candidate,
                runs_dir=args.runs_dir,
                repeats=args.repeats,
                duration_s=args.duration,
                users=args.users,
                workers=args.workers,
                progress=not args.no_progress,
                remote_workers=args.remote_workers,
                master_bind=bind,
                master_port=port,
                on_candidate=done,
            )
    except (PockitError, KeyboardInterrupt, SystemExit) as exc:
        if paths:  # what was recorded before the failure is kept: say where it is
            sys.stderr.write(
                "pockit run: run directories written before this stopped:\n"
                + "".join(f"  {p}\n" for p in paths)
            )
            if args.json:
                emit(args, {"runs": paths, "error": str(exc) or type(exc).__name__}, "")
        raise
    emit(args, {"runs": paths}, "\n".join(paths))
    return 0
