"""``pockit gather RUN_DIR SOURCE...``: bring remote workers' samples into the master's run directory."""

from __future__ import annotations

import argparse
from typing import Any

from pockit.commands._output import add_json_flag, emit


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "gather",
        help="copy remote workers' samples into a run directory",
        description="After a distributed run, copy each remote worker's output (the --out of "
        "`pockit worker`: a folder on a shared path or an s3:// prefix) into the master's run "
        "directory, so stats, decide and report see every request. Files already there are kept; "
        "sample batches outside the run's start..end (another run's) are skipped and listed; a "
        "sample count that still differs from Locust's is a warning (stderr and run.json).",
    )
    parser.add_argument("run_dir", help="the master's run directory (runs/<run-id>)")
    parser.add_argument(
        "sources", nargs="+", metavar="SOURCE", help="a worker's --out folder or s3:// prefix"
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from pockit._rundir import RunDir
    from pockit.load import gather

    results = {str(src): gather(args.run_dir, src) for src in args.sources}
    files = len(RunDir.open(args.run_dir).sample_files())
    lines = []
    for src, res in results.items():
        line = f"{src}: {res.copied} file(s) copied"
        if res.skipped:
            line += f", {res.skipped} sample batch(es) skipped"
            print(f"{src}: skipped {res.skipped} sample batch(es):", file=sys.stderr)
            for reason in res.skipped_reasons:
                print(f"  {reason}", file=sys.stderr)
        lines.append(line)
    # the count check after the last source is the one that holds
    warnings = list(results[str(args.sources[-1])].warnings) if results else []
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    emit(
        args,
        {
            "run": args.run_dir,
            "copied": {src: res.copied for src, res in results.items()},
            "skipped": {src: res.skipped for src, res in results.items()},
            "skipped_reasons": {src: res.skipped_reasons for src, res in results.items()},
            "warnings": warnings,
            "sample_files": files,
        },
        "\n".join(lines) + f"\n{args.run_dir}: {files} sample file(s)",
    )
    return 0
