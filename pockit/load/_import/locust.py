"""``locust-csv``: ``locust.contrib.csv_request_logger`` (Locust >= 2.43), one row per request.

Columns: ``timestamp`` (Unix s, request start), ``request_type``, ``name``, ``response_time_ms``
(empty when the request failed before a response time was taken), ``response_length``,
``status_code`` (0: no response), ``exception`` (empty when ok).
"""

from __future__ import annotations

from pathlib import Path

from pockit.load._import.registry import register_importer
from pockit.load._import.rows import BadValue, ImportOptions, Parsed, Row, Skips
from pockit.load._import.text import Lines, csv_header, csv_records, read_header
from pockit.load._import.values import byte_count, epoch_ns, latency_ms, number, status_code

LOCUST_COLUMNS = ("timestamp", "request_type", "name", "response_time_ms", "status_code")


def _claims(path: Path, first: str) -> bool:
    header = csv_header(first)
    return header is not None and all(c in header for c in LOCUST_COLUMNS)


@register_importer(
    "locust-csv",
    expects=f"a Locust csv_request_logger header ({', '.join(LOCUST_COLUMNS)})",
    claims=_claims,
)
def _read_locust(path: Path, opts: ImportOptions, skips: Skips) -> Parsed:
    out = Parsed()
    lines = Lines(path, skips)
    records = csv_records(lines, skips)
    header = read_header(path, records, LOCUST_COLUMNS, "Locust csv_request_logger")
    get = header.getter(
        "timestamp",
        "response_time_ms",
        "name",
        "request_type",
        "status_code",
        "response_length",
        "exception",
    )
    for line, rec in records:
        try:
            stamp, latency, name, method, status, length, error = get(rec)
            stamp = stamp.strip()
            ok = error == ""
            out.requests.add(
                Row(
                    t_ns=epoch_ns(
                        "timestamp", stamp, number("timestamp", stamp, "seconds since 1970")
                    ),
                    latency_ms=latency_ms("response_time_ms", latency, ok),
                    name=name,
                    method=method or None,
                    status=status_code("status_code", status),
                    ok=ok,
                    bytes=byte_count("response_length", length),
                    error=error or None,
                )
            )
        except BadValue as bad:
            skips.bad(line, header.where(bad.column), bad)
    return out
