"""``pockit stats RUN_DIR...``: exact latency percentiles with 95% intervals, rates, throughput."""

from __future__ import annotations

import argparse
import math
from typing import Any

from pockit._errors import UsageError
from pockit.commands._output import add_json_flag, emit, open_run_args


def _percentiles(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 50,95,99, got {text!r}") from None
    if not values or any(not 0 < v < 100 for v in values):
        raise argparse.ArgumentTypeError(f"percentiles must lie in (0, 100), got {text!r}")
    return values


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "stats",
        help="latency percentiles with confidence intervals, success rate, throughput",
        description="Statistics of run directories: exact percentiles of successful requests with "
        "distribution-free 95% intervals (order statistics), success rate (Wilson) and throughput "
        "over every request. A successful request whose latency is unusable (null, NaN, negative) "
        "is skipped by the percentiles and counted (latency_skipped, by reason); with several runs "
        "of a candidate the run is the unit (per-run figures and their spread). "
        "A folder of run directories is expanded.",
    )
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories")
    parser.add_argument(
        "--percentiles",
        type=_percentiles,
        default=(50.0, 95.0, 99.0),
        help="comma-separated percentiles (default 50,95,99)",
    )
    parser.add_argument("--by-endpoint", action="store_true", help="one row per endpoint too")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def _ms(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{x:.1f}"


def _row(label: str, g: Any, keys: list[str]) -> list[str]:
    cells = [label, f"{g.n}", f"{g.success_rate.value:.2%}" if g.n else "-"]
    cells.append(f"{g.throughput_rps.value:.1f}" if math.isfinite(g.throughput_rps.value) else "-")
    for k in keys:
        e = g.latency_ms[k]
        cells.append(f"{_ms(e.value)} [{_ms(e.ci_low)}, {_ms(e.ci_high)}]")
    return cells


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, r in enumerate(rows):
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def human(stats: Any, by_endpoint: bool) -> str:
    keys = list(stats.overall.latency_ms)
    head = ["", "requests", "success", "rps", *[f"{k} ms [95% CI]" for k in keys]]
    rows = [head, _row("all", stats.overall, keys)]
    if len(stats.candidates) > 1:
        rows += [_row(name, c.pooled, keys) for name, c in stats.candidates.items()]
    out = [f"{len(stats.runs)} run(s)", _table(rows)]
    if by_endpoint and stats.endpoints:
        # endpoints are pooled over every run given: a table of their own, so no row reads as
        # belonging to the candidate printed above it
        scope = "all candidates pooled" if len(stats.candidates) > 1 else "all runs"
        ep_rows = [["endpoint", *head[1:]]]
        ep_rows += [_row(name, g, keys) for name, g in stats.endpoints.items()]
        out += ["", f"by endpoint ({scope}):", _table(ep_rows)]
    out += [f"warning: {w}" for w in stats.warnings]
    out.append("'-' = not bounded by the data (too few samples for a finite interval)")
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    from pockit.analysis import run_stats

    if not args.runs:
        raise UsageError("give at least one run directory")
    stats = run_stats(open_run_args(args.runs), percentiles=args.percentiles, by_endpoint=True)
    # JSON always carries the endpoints; --by-endpoint adds them to the human table
    emit(args, stats.to_dict(), human(stats, args.by_endpoint))
    return 0
