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
        "directory, so stats, decide and report see every request. Files already there are kept.",
    )
    parser.add_argument("run_dir", help="the master's run directory (runs/<run-id>)")
    parser.add_argument(
        "sources", nargs="+", metavar="SOURCE", help="a worker's --out folder or s3:// prefix"
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pockit._rundir import RunDir
    from pockit.load import gather_samples

    copied = {str(src): gather_samples(args.run_dir, src) for src in args.sources}
    files = len(RunDir.open(args.run_dir).sample_files())
    human = "\n".join(f"{src}: {n} file(s) copied" for src, n in copied.items())
    emit(
        args,
        {"run": args.run_dir, "copied": copied, "sample_files": files},
        f"{human}\n{args.run_dir}: {files} sample file(s)",
    )
    return 0
