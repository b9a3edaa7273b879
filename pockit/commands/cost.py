"""``pockit cost EXPORT``: the cost attributed to a window and tags, from any billing format.

``--attach RUN_DIR`` takes the window and the candidate's tags from the run's run.json, stores the
matching rows in ``RUN_DIR/sources/billing.parquet`` and the cost in run.json; run it again days
later when the billing has landed (``covers_window`` turns true).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from pockit._contract import parse_iso
from pockit._errors import UsageError
from pockit._vocabulary import COST_CHOICES, format_names
from pockit.commands._output import add_json_flag, emit


def _kv(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "cost",
        help="cost attributed to a window and tags, from a billing export",
        description="Read a billing export (FOCUS, AWS CUR 2.0, legacy CUR CSV/Athena; local or "
        "s3://) or API (cost-explorer, athena://DATABASE.TABLE?output=s3://...) and attribute its "
        "cost to [--start, --end) and the tags. Costs straddling the window are prorated by time "
        "overlap. Without --start/--end the export's whole span is used.",
    )
    parser.add_argument(
        "export", help="billing export path, s3:// URL, 'cost-explorer' or athena://DB.TABLE"
    )
    parser.add_argument(
        "--format",
        help=f"billing format (default: detected from the columns): {format_names()}",
    )
    parser.add_argument("--start", help="window start, ISO-8601 (UTC assumed when no offset)")
    parser.add_argument("--end", help="window end (exclusive), ISO-8601")
    parser.add_argument(
        "--tag",
        action="append",
        type=_kv,
        default=[],
        metavar="KEY=VALUE",
        help="user cost-allocation tag, as you wrote it; repeat: all must match",
    )
    parser.add_argument(
        "--resource-id",
        action="append",
        default=[],
        metavar="ID",
        help="keep only these resource ids (repeatable)",
    )
    parser.add_argument(
        "--cost",
        choices=COST_CHOICES,
        default="effective",
        help="which cost: billed (BilledCost / CUR unblended), effective (EffectiveCost / "
        "CUR amortized), list (ListCost / CUR public on-demand); CUR also unblended and net "
        "(net unblended); default effective",
    )
    parser.add_argument(
        "--attach",
        metavar="RUN_DIR",
        help="attach to a run directory: its window and tags, rows stored in sources/",
    )
    parser.add_argument(
        "--lenient-rows",
        action="store_true",
        help="count billing rows in the window whose tags cannot be read (not a JSON object) as "
        "unattributed, with their cost, instead of refusing the export; a cost that is not a "
        "finite number is refused either way",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pockit.sources import attach_billing, attribute_cost, read_billing

    tags = dict(args.tag)
    if args.attach:
        if args.start or args.end:
            raise UsageError(
                "--attach takes the window from the run's run.json; drop --start/--end"
            )
        result = attach_billing(
            args.attach,
            args.export,
            format=args.format,
            column=args.cost,
            tags=tags or None,
            resource_ids=tuple(args.resource_id),
            lenient=args.lenient_rows,
        )
    else:
        if bool(args.start) != bool(args.end):
            raise UsageError("give both --start and --end, or neither (the export's whole span)")
        start, end = args.start, args.end
        billing = read_billing(
            args.export,
            format=args.format,
            column=args.cost,
            start=_ts(start),
            end=_ts(end),
            tags=tags,
        )
        notes: list[str] = []
        if start is None:
            start, end = _span(billing)
            notes.append("no --start/--end: the export's whole span was used")
        result = attribute_cost(
            billing,
            start=start,
            end=end,
            tags=tags,
            resource_ids=tuple(args.resource_id),
            column=args.cost,
            lenient=args.lenient_rows,
        )
        if notes:
            from dataclasses import replace

            result = replace(result, notes=(*notes, *result.notes))
    data = result.to_dict()
    if args.attach:
        data["attached_to"] = args.attach
    human = str(result)
    if args.attach:
        human += f"\nattached to {args.attach} (sources/billing.parquet, run.json 'billing')"
    emit(args, data, human)
    return 0


def _ts(text: str | None) -> datetime | None:
    """``--start``/``--end`` for the API readers (attribution reads the text itself, noting a
    missing zone); a naive time is UTC."""
    if text is None:
        return None
    try:
        return parse_iso(text.strip()).astimezone(UTC)
    except ValueError:
        raise UsageError(
            f"time {text!r} is not an ISO-8601 timestamp (e.g. 2026-05-01T10:00:00Z)"
        ) from None


def _span(billing: Any) -> tuple[Any, Any]:
    import polars as pl

    from pockit._errors import SourceError

    try:
        span = billing.select(pl.col("charge_start").min(), pl.col("charge_end").max()).collect()
    except pl.exceptions.PolarsError as exc:
        raise SourceError(f"cannot read the billing rows: {exc}") from None
    lo, hi = span.item(0, 0), span.item(0, 1)
    if lo is None or hi is None or hi <= lo:
        raise UsageError("the export has no rows with a charge period; give --start and --end")
    return lo, hi
