"""``jmeter``: a JMeter JTL results file in CSV, with its header line (any of JMeter's delimiters).

``timeStamp`` (epoch ms, or a local-time date when ``jmeter.save.saveservice.timestamp_format`` is
set, read in ``timezone``; the sample *start*, as shipped ``jmeter.properties`` sets
``sampleresult.timestamp.start=true``), ``elapsed`` (ms), ``label``, ``responseCode`` (text such as
"Non HTTP response code: ..." is status 0), ``success``, ``failureMessage``, ``bytes``,
``threadName``. Transaction Controller samples (response message "Number of samples in transaction
: N, number of failing samples : M") are kept apart from the HTTP samples: a run is decided on
requests, or with ``transactions=True`` on transactions. JTL has no HTTP method.

The clock, thread-group and transaction rules here serve the XML layout too (:mod:`.jmeter_xml`);
``--format jmeter`` reads either layout.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from pockit.load._import.registry import register_importer
from pockit.load._import.rows import BadValue, ImportOptions, Parsed, Row, Skips
from pockit.load._import.text import (
    Lines,
    csv_header,
    csv_records,
    first_line,
    read_header,
    split_header,
)
from pockit.load._import.values import (
    byte_count,
    digits,
    epoch_ns,
    latency_ms,
    local_zone_name,
    resolve_zone,
    status_code,
    true_false,
)

JMETER_COLUMNS = ("timeStamp", "elapsed", "label", "success")
_JMETER_DATE_FORMATS = (
    "%Y/%m/%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%dT%H:%M:%S%z",
)
_TRANSACTION_MESSAGE = re.compile(
    r"^Number of samples in transaction : (\d+), number of failing samples : (\d+)$"
)


class Workers:
    """JMeter thread "Group 1-3" -> one load process per thread group, numbered as first seen."""

    def __init__(self) -> None:
        self.groups: dict[str, int] = {}

    def __call__(self, thread: str) -> int:
        return self.groups.setdefault(thread.rsplit("-", 1)[0] if thread else "", len(self.groups))


def jmeter_code(column: str, text: str) -> int:
    """responseCode: digits are the HTTP status; JMeter's "Non HTTP response code: ..." is 0."""
    text = text.strip()
    return status_code(column, text) if digits(text) else 0


class JmeterClock:
    """JTL timeStamp: epoch ms, or a date in ``timezone`` (JMeter formats local time)."""

    def __init__(self, zone_name: str) -> None:
        self.zone_name = zone_name
        self.zone = resolve_zone(zone_name)
        self.used_zone = False

    def __call__(self, column: str, text: str) -> int:
        text = text.strip()
        if digits(text):
            return epoch_ns(column, text, int(text) / 1000.0)
        stamp: datetime | None = None
        for fmt in _JMETER_DATE_FORMATS:
            try:
                stamp = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if stamp is None:
            try:
                stamp = datetime.fromisoformat(text)
            except ValueError:
                raise BadValue(
                    column,
                    text,
                    "is neither epoch milliseconds nor a date like 2026/11/26 06:00:00.000",
                ) from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=self.zone)
            self.used_zone = True
        return epoch_ns(column, text, stamp.timestamp())


def transaction_split(message: str) -> tuple[int, int] | None:
    m = _TRANSACTION_MESSAGE.match(message.strip())
    return (int(m[1]), int(m[2])) if m else None


def _claims(path: Path, first: str) -> bool:
    header = csv_header(first)
    return header is not None and all(c in header for c in JMETER_COLUMNS)


def _layout(first: str) -> str:
    """``--format jmeter`` names both JTL layouts: XML when the file starts with a tag."""
    return "jmeter-xml" if first.startswith("<") else "jmeter"


@register_importer(
    "jmeter",
    expects=f"a JMeter JTL CSV header ({', '.join(JMETER_COLUMNS)})",
    claims=_claims,
    layout=_layout,
    transactions=True,
)
def _read_jmeter_csv(path: Path, opts: ImportOptions, skips: Skips) -> Parsed:
    out = Parsed()
    first, _ = first_line(path)
    _, delimiter = split_header(first)
    lines = Lines(path, skips)
    records = csv_records(lines, skips, delimiter)
    header = read_header(path, records, JMETER_COLUMNS, "JMeter JTL")
    clock = JmeterClock(opts.timezone or local_zone_name())
    workers = Workers()
    claimed = 0  # child samples the transactions say they hold
    get = header.getter(
        "timeStamp",
        "elapsed",
        "label",
        "responseCode",
        "responseMessage",
        "success",
        "failureMessage",
        "bytes",
        "threadName",
    )
    for line, rec in records:
        try:
            stamp, elapsed, label, code, message, success, failure, size, thread = get(rec)
            ok = true_false("success", success)
            row = Row(
                t_ns=clock("timeStamp", stamp),
                latency_ms=latency_ms("elapsed", elapsed, ok),
                name=label,
                ok=ok,
                status=jmeter_code("responseCode", code),
                bytes=byte_count("bytes", size),
                error=failure or message or (f"HTTP {code}" if code else None),
                worker=workers(thread),
            )
        except BadValue as bad:
            skips.bad(line, header.where(bad.column), bad)
            continue
        split = transaction_split(message)
        if split is None:
            out.requests.add(row)
        else:
            claimed += split[0]
            out.transactions.add(row)
    if clock.used_zone:
        out.timezone = clock.zone_name
    if claimed > len(out.requests):
        out.warnings.append(
            f"the JTL's Transaction Controller samples say they hold {claimed} samples, but it has "
            f"{len(out.requests)} other rows: with 'Generate parent sample' JMeter's CSV keeps only "
            "the parent; save XML (subresults included) to import the requests"
        )
    return out
