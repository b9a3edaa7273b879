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
        "locust.contrib.csv_request_logger CSV, a JMeter JTL in CSV or XML, k6 --out json), "
        "plain or gzip-compressed, into a run directory that stats, decide and report read like "
        "any other run.",
    )
    parser.add_argument("file", help="the results file (plain or gzip)")
    parser.add_argument(
        "--format",
        choices=("locust-csv", "jmeter", "jmeter-xml", "k6"),
        help="the file's format (default: detected from its content; jmeter reads CSV or XML)",
    )
    parser.add_argument(
        "--candidate", required=True, help="the system under test these results are of"
    )
    parser.add_argument(
        "--runs-dir", default="runs", help="where the run directory goes (default runs/)"
    )
    parser.add_argument(
        "--timezone",
        help="zone of JTL timeStamps written as local dates (timestamp_format); an IANA name "
        "such as Europe/Berlin or an offset such as +01:00 (default: this machine's zone)",
    )
    parser.add_argument(
        "--transactions",
        action="store_true",
        help="JMeter: decide on Transaction Controller samples instead of the HTTP samples",
    )
    parser.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="count and skip rows with unreadable values (recorded in run.json) instead of "
        "failing on the first",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pockit._contract import RunField
    from pockit._rundir import RunDir
    from pockit.load import import_runs

    paths = import_runs(
        args.file,
        format=args.format,
        candidate=args.candidate,
        runs_dir=args.runs_dir,
        timezone=args.timezone,
        transactions=args.transactions,
        skip_bad_rows=args.skip_bad_rows,
    )
    metas = [RunDir.open(p).meta for p in paths]
    first_meta = metas[0] if metas else {}
    data = {
        "runs": [str(p) for p in paths],
        "format": first_meta.get(RunField.IMPORT_FORMAT),
        "requests": sum(int(meta.get(RunField.REQUESTS, 0)) for meta in metas),
        "candidate": args.candidate,
        "transactions": first_meta.get(RunField.IMPORT_TRANSACTIONS),
        "skipped_rows": first_meta.get(RunField.IMPORT_SKIPPED_ROWS),
        "timezone": first_meta.get(RunField.IMPORT_TIMEZONE),
        "warnings": [w for meta in metas for w in meta.get(RunField.WARNINGS, [])],
    }
    lines = []
    for p, meta in zip(paths, metas, strict=True):
        what = "transactions" if args.transactions else "requests"
        lines.append(
            f"imported {meta.get(RunField.REQUESTS, 0)} {what} ({meta.get(RunField.IMPORT_FORMAT)}) into {p}"
        )
        txn = meta.get(RunField.IMPORT_TRANSACTIONS)
        if txn and not args.transactions and txn.get("transactions"):
            lines.append(
                f"  {txn['transactions']} Transaction Controller sample(s) kept apart "
                "(--transactions decides on them instead)"
            )
        if meta.get(RunField.IMPORT_TIMEZONE):
            lines.append(
                f"  timeStamps read as local time in {meta[RunField.IMPORT_TIMEZONE]} (--timezone)"
            )
        skipped = meta.get(RunField.IMPORT_SKIPPED_ROWS)
        if skipped and skipped.get("count"):
            lines.append(f"  skipped {skipped['count']} unreadable row(s) (--skip-bad-rows):")
            lines.extend(f"    {reason}: {n}" for reason, n in skipped["reasons"].items())
        elif skipped is not None:
            lines.append("  no unreadable rows")
        lines.extend(f"  warning: {w}" for w in meta.get(RunField.WARNINGS, []))
    emit(args, data, "\n".join(lines))
    return 0
