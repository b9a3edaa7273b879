"""Telling a results file's format from its first non-empty line, and refusing look-alikes.

Each registered importer claims the files it reads (:mod:`.registry`); before asking them, files
pockit cannot import (Locust's aggregated ``--csv`` output, k6 ``--out csv``, a JTL without its
header line) are recognised and the error says what to use instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import pockit.load._import.builtin  # noqa: F401  (registers the formats sniffed here)
from pockit._errors import InputError
from pockit.load._import.registry import IMPORTERS
from pockit.load._import.text import first_line, split_header

_LOCUST_PER_REQUEST = (
    "per-request data is needed (exact percentiles and their intervals come from every request): "
    "run the load with `pockit run` (its capture plugin records every request), or log every "
    "request with Locust's own locust.contrib.csv_request_logger.CsvRequestLogger (Locust >= 2.43) "
    "and import that file (--format locust-csv); --csv-full-history is still aggregated"
)
#: Locust's aggregated ``--csv`` files, by the first columns of their header (locust/stats.py).
_LOCUST_SUMMARIES = {
    ("Type", "Name", "Request Count", "Failure Count"): "*_stats.csv (totals per endpoint)",
    ("Timestamp", "User Count", "Type", "Name"): "*_stats_history.csv (per-interval aggregates)",
    ("Method", "Name", "Error", "Occurrences"): "*_failures.csv (failure counts)",
    ("Count", "Message", "Traceback", "Nodes"): "*_exceptions.csv (exception counts)",
}


def refusal(path: Path, first: str) -> str | None:
    """Why a recognised file cannot be imported and what to use instead, or None."""
    fields, _ = split_header(first)
    for head, kind in _LOCUST_SUMMARIES.items():
        if tuple(fields[: len(head)]) == head:
            return f"{path} is Locust's aggregated --csv output {kind}, not one row per request; {_LOCUST_PER_REQUEST}"
    if fields[:3] == ["metric_name", "timestamp", "metric_value"]:
        return (
            f"{path} is k6 `--out csv` output (whole-second timestamps, one metric per row); "
            "run k6 with `--out json=FILE` (or json=FILE.gz) and import that"
        )
    if re.fullmatch(r"\d{12,14}", fields[0]) and len(fields) >= 8:
        return (
            f"{path} looks like a JMeter JTL CSV without its header line "
            "(jmeter.save.saveservice.print_field_names=false); pockit needs the header to know "
            "the columns: run JMeter with -Jjmeter.save.saveservice.print_field_names=true, or "
            "save XML (-Jjmeter.save.saveservice.output_format=xml)"
        )
    return None


def sniff_format(path: Path) -> str:
    """Tell the format from the file's first non-empty line; InputError names what was seen."""
    first, _ = first_line(path)
    if not first:
        raise InputError(f"{path}: empty file; nothing to import")
    why = refusal(path, first)
    if why:
        raise InputError(why)
    for importer in IMPORTERS.values():
        if importer.claims(path, first):
            return importer.name
    expected = [importer.expects for importer in IMPORTERS.values()]
    raise InputError(
        f"{path}: cannot tell the format from its first line ({first[:120]!r}); expected "
        f"{', '.join(expected[:-1])} or {expected[-1]}; pass --format {'|'.join(IMPORTERS.names())}"
    )
