"""``pockit import FILE``: a run directory from Locust csv_request_logger, JMeter JTL or k6 JSON."""

from __future__ import annotations

import argparse
from typing import Any

from pockit.commands._output import add_json_flag, emit


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "import",
        help="make a run directory from other load tools' raw per-request output",
        description="Read per-request results that other tools wrote (Locust's "
        "locust.contrib.csv_request_logger CSV, a JMeter JTL CSV, k6 --out json) into a run "
        "directory that stats, decide and report read like any other run.",
    )
    parser.add_argument("file", help="the results file")
    parser.add_argument(
        "--format",
        choices=("locust-csv", "jmeter", "k6"),
        help="the file's format (default: detected from its first line)",
    )
    parser.add_argument(
        "--candidate", required=True, help="the system under test these results are of"
    )
    parser.add_argument(
        "--runs-dir", default="runs", help="where the run directory goes (default runs/)"
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pockit._rundir import RunDir
    from pockit.load._import import import_runs

    paths = import_runs(
        args.file, format=args.format, candidate=args.candidate, runs_dir=args.runs_dir
    )
    metas = [RunDir.open(p).meta for p in paths]
    data = {
        "runs": [str(p) for p in paths],
        "format": metas[0].get("import_format") if metas else None,
        "requests": sum(int(m.get("requests", 0)) for m in metas),
        "candidate": args.candidate,
    }
    human = "\n".join(
        f"imported {m.get('requests', 0)} requests ({m.get('import_format')}) into {p}"
        for p, m in zip(paths, metas, strict=True)
    )
    emit(args, data, human)
    return 0
