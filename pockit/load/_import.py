"""``pockit import``: a run directory from other load tools' raw per-request output.

Formats (sniffed from the content when not given; plain or gzip-compressed, told by magic bytes):

- ``locust-csv``: ``locust.contrib.csv_request_logger`` (Locust >= 2.43) —
  ``timestamp`` (Unix s, request start), ``request_type``, ``name``, ``response_time_ms``
  (empty when the request failed before a response time was taken), ``response_length``,
  ``status_code`` (0: no response), ``exception`` (empty when ok).
- ``jmeter``: a JTL results file, CSV with its header line (any of JMeter's delimiters) or XML
  (``jmeter.save.saveservice.output_format=xml``). CSV: ``timeStamp`` (epoch ms, or a local-time
  date when ``jmeter.save.saveservice.timestamp_format`` is set, read in ``timezone``; the sample
  *start*, as shipped ``jmeter.properties`` sets ``sampleresult.timestamp.start=true``),
  ``elapsed`` (ms), ``label``, ``responseCode`` (text such as "Non HTTP response code: ..." is
  status 0), ``success``, ``failureMessage``, ``bytes``, ``threadName``. XML: the same fields as
  the attributes ``ts`` (always epoch ms), ``t``, ``lb``, ``rc``, ``s``, ``by``, ``tn``, and an
  ``assertionResult/failureMessage`` child. Transaction Controller samples (response message
  "Number of samples in transaction : N, number of failing samples : M", or in XML a ``<sample>``
  holding child samples) are kept apart from the HTTP samples: a run is decided on requests, or
  with ``transactions=True`` on transactions. Sub-results of an HTTP sample (redirects, embedded
  resources) are part of that request, as in JMeter's own CSV. JTL has no HTTP method unless the
  XML carries ``<method>``.
- ``k6``: ``k6 run --out json=FILE`` — one JSON object per line; ``Point`` lines of metric
  ``http_req_duration`` (ms) with tags ``name``, ``method``, ``status``, ``expected_response``,
  ``error``. k6 stamps an HTTP sample when the request *ends*, so ``t_start = time - duration``.

A value that cannot be read (a latency of ``12ms``, a timestamp of ``1e30``, a status of 70000,
bytes that are not UTF-8) is an :class:`InputError` naming file, line and column; it never becomes
null. With ``skip_bad_rows=True`` such rows are skipped, counted by reason in run.json
(:data:`IMPORT_SKIPPED_ROWS`) and named in its ``warnings``. A *failed* request without a response
time is not unreadable: it is kept as a failure with a null latency.

Files pockit cannot import (Locust's aggregated ``--csv`` output, k6 ``--summary-export``, k6
``--out csv``, a JTL without its header line) are recognised and the error says what to use.
Every import writes one completed run (architecture.md contract 1) whose run.json says where it came from.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import json
import math
import os
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, Literal, cast
from xml.parsers import expat

from pockit._contract import RunField, RunStatus, StopCode
from pockit._errors import InputError, UsageError

ImportFormat = Literal["locust-csv", "jmeter", "jmeter-xml", "k6"]
FORMATS: tuple[ImportFormat, ...] = ("locust-csv", "jmeter", "jmeter-xml", "k6")

# run.json fields an import writes: defined in the run-directory contract (pockit._contract).
IMPORTED_FROM = RunField.IMPORTED_FROM
IMPORT_FORMAT = RunField.IMPORT_FORMAT
IMPORT_COMPRESSION = RunField.IMPORT_COMPRESSION
IMPORT_SKIPPED_ROWS = RunField.IMPORT_SKIPPED_ROWS
IMPORT_TRANSACTIONS = RunField.IMPORT_TRANSACTIONS
IMPORT_TIMEZONE = RunField.IMPORT_TIMEZONE
RUN_WARNINGS = RunField.WARNINGS

LOCUST_COLUMNS = ("timestamp", "request_type", "name", "response_time_ms", "status_code")
JMETER_COLUMNS = ("timeStamp", "elapsed", "label", "success")

#: Timestamps outside 2000-01-01 .. 2100-01-01 are not a load test's: 1e30 is corruption, not time.
_MIN_EPOCH_S = 946_684_800.0
_MAX_EPOCH_S = 4_102_444_800.0
_MAX_LATENCY_MS = 7 * 24 * 3600 * 1000.0
_MAX_XML_DEPTH = 100  # JTL nests a transaction's samples a few levels deep, never hundreds
_MAX_STATUS = 999  # HTTP codes are three digits; 0 means no response
_MAX_EXAMPLES = 10  # skipped rows listed one by one in run.json; the rest are only counted
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
_SAMPLE_TAGS = ("httpSample", "sample")
_OTHER_COMPRESSION = {
    b"\x28\xb5\x2f\xfd": "zstd",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"PK\x03\x04": "zip",
}
_GZIP_MAGIC = b"\x1f\x8b"

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


# --------------------------------------------------------------------------------------------
# options and results


@dataclass(frozen=True, kw_only=True)
class ImportOptions:
    """How to read a file: ``ImportOptions(timezone="Europe/Berlin", skip_bad_rows=True)``."""

    format: str | None = None
    timezone: str | None = None  # None: this machine's zone (local_zone_name())
    transactions: bool = False
    skip_bad_rows: bool = False


@dataclass
class _Rows:
    """Sample columns being collected, in SAMPLE_SCHEMA order (t_intended is always null)."""

    t_ns: list[int] = field(default_factory=list)
    latency_ms: list[float | None] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    method: list[str | None] = field(default_factory=list)
    status: list[int] = field(default_factory=list)
    ok: list[bool] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)
    error: list[str | None] = field(default_factory=list)
    worker: list[int] = field(default_factory=list)

    def add(self, row: _Row) -> None:
        self.t_ns.append(row.t_ns)
        self.latency_ms.append(row.latency_ms)
        self.name.append(row.name)
        self.method.append(row.method)
        self.status.append(row.status)
        self.ok.append(row.ok)
        self.bytes.append(row.bytes)
        self.error.append(None if row.ok else (row.error or f"HTTP {row.status}"))
        self.worker.append(row.worker)

    def __len__(self) -> int:
        return len(self.t_ns)


@dataclass
class _Row:
    t_ns: int
    latency_ms: float | None
    name: str
    ok: bool
    status: int = 0
    method: str | None = None
    bytes: int = 0
    error: str | None = None
    worker: int = 0


class _BadValue(Exception):
    """One unreadable value: which column, what was there, what is wrong with it."""

    def __init__(self, column: str, value: object, problem: str) -> None:
        super().__init__(problem)
        self.column = column
        self.value = value
        self.problem = problem


@dataclass
class _Skips:
    """Unreadable rows: raised as InputError, or counted and kept as examples with skip_bad_rows."""

    path: Path
    skip: bool
    count: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def bad(self, line: int, where: str, bad: _BadValue) -> None:
        shown = bad.value if not isinstance(bad.value, str) else bad.value[:80]
        if not self.skip:
            raise InputError(
                f"{self.path}:{line}: {where} ({bad.column}): {shown!r} {bad.problem}; "
                "fix the file, or pass --skip-bad-rows to count and skip such rows"
            )
        self.count += 1
        self.reasons[f"{bad.column}: {bad.problem}"] += 1
        if len(self.examples) < _MAX_EXAMPLES:
            self.examples.append(
                {"line": line, "column": bad.column, "value": str(shown), "reason": bad.problem}
            )

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "reasons": dict(self.reasons), "examples": self.examples}


@dataclass
class _Parsed:
    requests: _Rows = field(default_factory=_Rows)
    transactions: _Rows = field(default_factory=_Rows)
    timezone: str | None = None  # set when local-time stamps were read in it
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# reading bytes: plain or gzip, line by line, UTF-8 checked


def _open_binary(path: Path) -> tuple[IO[bytes], bool]:
    """The file's bytes, decompressed when it starts with gzip's magic (whatever its suffix)."""
    try:
        fh: IO[bytes] = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    head = fh.read(6)
    fh.seek(0)
    if head.startswith(_GZIP_MAGIC):
        return cast(IO[bytes], gzip.GzipFile(fileobj=fh, mode="rb")), True
    for magic, name in _OTHER_COMPRESSION.items():
        if head.startswith(magic):
            fh.close()
            raise InputError(
                f"{path}: a {name}-compressed file; pockit reads plain and gzip files: "
                f"decompress it first (or recompress it with gzip)"
            )
    return fh, False


class _Lines:
    """Decoded text lines; ``lineno`` is the physical line number of the last line yielded."""

    def __init__(self, path: Path, skips: _Skips) -> None:
        self.path = path
        self.skips = skips
        self.lineno = 0

    def __iter__(self) -> Iterator[str]:
        fh, _ = _open_binary(self.path)
        with fh:
            while True:
                try:
                    raw = fh.readline()
                except (EOFError, OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
                    self._broken_stream(exc)
                    return
                if not raw:
                    return
                self.lineno += 1
                nul = raw.find(b"\x00")
                if nul >= 0:  # text formats never hold NUL: a binary or corrupted file
                    self.skips.bad(
                        self.lineno,
                        f"column {nul + 1}",
                        _BadValue("bytes", raw[nul : nul + 4], "is binary data (a NUL byte)"),
                    )
                    continue
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    self.skips.bad(
                        self.lineno,
                        f"column {exc.start + 1}",
                        _BadValue("bytes", raw[exc.start : exc.start + 4], "is not UTF-8 text"),
                    )
                    continue
                if self.lineno == 1:
                    text = text.removeprefix("\ufeff")
                yield text

    def _broken_stream(self, exc: BaseException) -> None:
        problem = f"compressed stream is broken or ends early ({exc})"
        if not self.skips.skip:
            raise InputError(
                f"{self.path}: after line {self.lineno}: {problem}; pass --skip-bad-rows to keep "
                "the rows read so far"
            ) from None
        self.skips.bad(self.lineno + 1, "end of file", _BadValue("file", "", problem))


def _first_line(path: Path) -> tuple[str, bool]:
    """The first non-blank line (decoded) and whether the file is gzip-compressed."""
    fh, gz = _open_binary(path)
    try:
        with fh:
            for lineno, raw in enumerate(fh, 1):
                if raw.strip():
                    try:
                        return raw.decode("utf-8").removeprefix("\ufeff").strip(), gz
                    except UnicodeDecodeError as exc:
                        raise InputError(
                            f"{path}:{lineno}: column {exc.start + 1}: not UTF-8 text; is this "
                            "a load tool's results file?"
                        ) from None
    except (EOFError, OSError, zlib.error) as exc:
        raise InputError(f"{path}: gzip stream cannot be read ({exc})") from None
    return "", gz


# --------------------------------------------------------------------------------------------
# recognising formats


def _split_header(first: str) -> tuple[list[str], str]:
    """Header fields and delimiter: JMeter's ``default_delimiter`` may be a comma, tab or ';'."""
    best: tuple[list[str], str] = ([first], ",")
    for delim in (",", "\t", ";", "|"):
        fields = [c.strip().strip('"') for c in first.split(delim)]
        if len(fields) > len(best[0]):
            best = (fields, delim)
    return best


def _not_importable(path: Path, first: str) -> str | None:
    """Why a recognised file cannot be imported and what to use instead, or None."""
    fields, _ = _split_header(first)
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


def _k6_summary(path: Path, first: str) -> str | None:
    """k6's ``--summary-export`` / handleSummary JSON: one object with ``metrics``, not lines."""
    text = first
    if first == "{" or '"metrics"' in first or '"root_group"' in first:
        fh, _ = _open_binary(path)
        with fh:
            try:
                text = fh.read(64 * 1024 * 1024).decode("utf-8", errors="replace")
            except (EOFError, OSError, zlib.error):
                return None
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    if isinstance(doc, dict) and "type" not in doc and ("metrics" in doc or "root_group" in doc):
        return (
            f"{path} is a k6 end-of-test summary (--summary-export or handleSummary JSON): "
            "aggregates, not one point per request; run k6 with `--out json=FILE` "
            "(or json=FILE.gz) and import that"
        )
    return None


def sniff_format(path: Path) -> ImportFormat:
    """Tell the format from the file's first non-empty line; InputError names what was seen."""
    first, _ = _first_line(path)
    if not first:
        raise InputError(f"{path}: empty file; nothing to import")
    if first.startswith("<"):
        if "<testResults" in first or first.startswith("<?xml"):
            return "jmeter-xml"
        raise InputError(f"{path}: XML whose first line is {first[:80]!r}; not a JMeter XML JTL")
    if first.startswith("{"):
        why = _k6_summary(path, first)
        if why:
            raise InputError(why)
        return "k6"
    why = _not_importable(path, first)
    if why:
        raise InputError(why)
    header, _ = _split_header(first)
    if all(c in header for c in LOCUST_COLUMNS):
        return "locust-csv"
    if all(c in header for c in JMETER_COLUMNS):
        return "jmeter"
    raise InputError(
        f"{path}: cannot tell the format from its first line ({first[:120]!r}); expected a Locust "
        f"csv_request_logger header ({', '.join(LOCUST_COLUMNS)}), a JMeter JTL CSV header "
        f"({', '.join(JMETER_COLUMNS)}), JMeter XML or k6 JSON lines; pass --format "
        f"{'|'.join(FORMATS)}"
    )


# --------------------------------------------------------------------------------------------
# values


def _number(column: str, text: str, what: str) -> float:
    """A finite, non-negative number, or _BadValue."""
    try:
        value = float(text)
    except ValueError:
        raise _BadValue(column, text, f"is not a number of {what}") from None
    if not math.isfinite(value) or value < 0:
        raise _BadValue(column, text, f"is not a finite, non-negative number of {what}")
    return value


def _epoch_ns(column: str, text: str, seconds: float) -> int:
    if not _MIN_EPOCH_S <= seconds <= _MAX_EPOCH_S:
        raise _BadValue(column, text, "is not a time between the years 2000 and 2100")
    return int(round(seconds * 1e6)) * 1000  # microsecond precision: what a float of seconds holds


def _digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also takes "²", which ``int`` refuses."""
    return text.isascii() and text.isdigit()


def _status(column: str, text: str) -> int:
    text = text.strip()
    if not text:
        return 0
    if not _digits(text) or int(text) > _MAX_STATUS:
        raise _BadValue(column, text, f"is not an HTTP status code (0..{_MAX_STATUS})")
    return int(text)


def _count(column: str, text: str) -> int:
    text = text.strip()
    if not text:
        return 0
    if not _digits(text) or len(text) > 18:
        raise _BadValue(column, text, "is not a byte count")
    return int(text)


def _bool(column: str, text: str) -> bool:
    low = text.strip().lower()
    if low not in ("true", "false"):
        raise _BadValue(column, text, "is neither true nor false")
    return low == "true"


def _latency(column: str, text: str, ok: bool) -> float | None:
    """Milliseconds; empty is legitimate only for a failed request (Locust writes that)."""
    if not text.strip():
        if ok:
            raise _BadValue(column, text, "is empty on a successful request")
        return None
    value = _number(column, text.strip(), "milliseconds")
    if value > _MAX_LATENCY_MS:
        raise _BadValue(column, text, "is longer than a week: not one request's response time")
    return value


# --------------------------------------------------------------------------------------------
# time zones


def local_zone_name() -> str:
    """This machine's zone as an IANA name (``TZ``, ``/etc/localtime``), else a UTC offset."""
    from zoneinfo import ZoneInfo

    candidates: list[str] = []
    env = os.environ.get("TZ", "").lstrip(":")
    if env:
        candidates.append(env)
    real = os.path.realpath("/etc/localtime")
    if "zoneinfo/" in real:
        candidates.append(re.sub(r"^(posix|right)/", "", real.split("zoneinfo/", 1)[1]))
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    for name in candidates:
        try:
            ZoneInfo(name)
        except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
            continue
        return name
    offset = datetime.now().astimezone().utcoffset() or timedelta(0)
    return _offset_name(offset)


def _offset_name(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def resolve_zone(name: str) -> tzinfo:
    """An IANA zone (``Europe/Berlin``), ``UTC``, or a fixed offset (``+01:00``); else UsageError."""
    from zoneinfo import ZoneInfo

    match = re.fullmatch(r"(?:UTC)?([+-])(\d{1,2}):?(\d{2})?", name.strip())
    if match:
        sign = 1 if match[1] == "+" else -1
        hours, minutes = int(match[2]), int(match[3] or 0)
        if hours < 24 and minutes < 60:
            return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(name.strip())
    except (ValueError, KeyError, OSError):
        raise UsageError(
            f"--timezone {name!r}: not a time zone; give an IANA name such as Europe/Berlin, "
            "UTC, or an offset such as +01:00"
        ) from None


# --------------------------------------------------------------------------------------------
# readers


def _csv_records(
    lines: _Lines, skips: _Skips, delimiter: str = ","
) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) per CSV record; a record csv cannot parse is a bad row."""
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            skips.bad(lines.lineno, "row", _BadValue("row", "", f"is not valid CSV ({exc})"))
            continue
        if rec and any(f.strip() for f in rec):
            yield lines.lineno, rec


@dataclass(frozen=True)
class _Header:
    index: dict[str, int]  # column name -> position (the first, if a name repeats)
    width: int

    def getter(self, *names: str) -> Callable[[list[str]], tuple[str, ...]]:
        """Pick ``names`` from a record, in that order ("" for a column the file lacks)."""
        pick = itemgetter(*(self.index.get(n, self.width) for n in names))

        def get(rec: list[str]) -> tuple[str, ...]:
            if len(rec) != self.width:
                raise _BadValue(
                    "row", f"{len(rec)} fields", f"does not match the header's {self.width} columns"
                )
            rec.append("")  # what a missing column reads as
            return tuple(pick(rec))

        return get

    def where(self, column: str) -> str:
        return f"column {self.index[column] + 1}" if column in self.index else "row"


def _header(
    path: Path, records: Iterator[tuple[int, list[str]]], required: tuple[str, ...], fmt: str
) -> _Header:
    try:
        _, header = next(records)
    except StopIteration:
        raise InputError(f"{path}: empty file; nothing to import") from None
    index: dict[str, int] = {}
    for i, c in enumerate(header):
        index.setdefault(c.strip().strip('"'), i)
    missing = [c for c in required if c not in index]
    if missing:
        raise InputError(
            f"{path}:1: {fmt} CSV lacks column(s) {', '.join(missing)}; "
            f"found {', '.join(list(index)[:15])}"
        )
    return _Header(index, len(header))


def _read_locust(path: Path, opts: ImportOptions, skips: _Skips) -> _Parsed:
    out = _Parsed()
    lines = _Lines(path, skips)
    records = _csv_records(lines, skips)
    header = _header(path, records, LOCUST_COLUMNS, "Locust csv_request_logger")
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
                _Row(
                    t_ns=_epoch_ns(
                        "timestamp", stamp, _number("timestamp", stamp, "seconds since 1970")
                    ),
                    latency_ms=_latency("response_time_ms", latency, ok),
                    name=name,
                    method=method or None,
                    status=_status("status_code", status),
                    ok=ok,
                    bytes=_count("response_length", length),
                    error=error or None,
                )
            )
        except _BadValue as bad:
            skips.bad(line, header.where(bad.column), bad)
    return out


class _Workers:
    """JMeter thread "Group 1-3" -> one load process per thread group, numbered as first seen."""

    def __init__(self) -> None:
        self.groups: dict[str, int] = {}

    def __call__(self, thread: str) -> int:
        return self.groups.setdefault(thread.rsplit("-", 1)[0] if thread else "", len(self.groups))


def _jmeter_code(column: str, text: str) -> int:
    """responseCode: digits are the HTTP status; JMeter's "Non HTTP response code: ..." is 0."""
    text = text.strip()
    return _status(column, text) if _digits(text) else 0


class _JmeterClock:
    """JTL timeStamp: epoch ms, or a date in ``timezone`` (JMeter formats local time)."""

    def __init__(self, zone_name: str) -> None:
        self.zone_name = zone_name
        self.zone = resolve_zone(zone_name)
        self.used_zone = False

    def __call__(self, column: str, text: str) -> int:
        text = text.strip()
        if _digits(text):
            return _epoch_ns(column, text, int(text) / 1000.0)
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
                raise _BadValue(
                    column,
                    text,
                    "is neither epoch milliseconds nor a date like 2026/11/26 06:00:00.000",
                ) from None
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=self.zone)
            self.used_zone = True
        return _epoch_ns(column, text, stamp.timestamp())


def _transaction_split(message: str) -> tuple[int, int] | None:
    m = _TRANSACTION_MESSAGE.match(message.strip())
    return (int(m[1]), int(m[2])) if m else None


def _read_jmeter_csv(path: Path, opts: ImportOptions, skips: _Skips) -> _Parsed:
    out = _Parsed()
    first, _ = _first_line(path)
    _, delimiter = _split_header(first)
    lines = _Lines(path, skips)
    records = _csv_records(lines, skips, delimiter)
    header = _header(path, records, JMETER_COLUMNS, "JMeter JTL")
    clock = _JmeterClock(opts.timezone or local_zone_name())
    workers = _Workers()
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
            ok = _bool("success", success)
            row = _Row(
                t_ns=clock("timeStamp", stamp),
                latency_ms=_latency("elapsed", elapsed, ok),
                name=label,
                ok=ok,
                status=_jmeter_code("responseCode", code),
                bytes=_count("bytes", size),
                error=failure or message or (f"HTTP {code}" if code else None),
                worker=workers(thread),
            )
        except _BadValue as bad:
            skips.bad(line, header.where(bad.column), bad)
            continue
        split = _transaction_split(message)
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


@dataclass
class _XmlSample:
    tag: str
    attrs: dict[str, str]
    line: int
    column: int
    children: list[_XmlSample] = field(default_factory=list)
    failure: list[str] = field(default_factory=list)
    method: list[str] = field(default_factory=list)


def _read_jmeter_xml(path: Path, opts: ImportOptions, skips: _Skips) -> _Parsed:
    out = _Parsed()
    clock = _JmeterClock(opts.timezone or local_zone_name())
    workers = _Workers()
    parser = expat.ParserCreate()
    stack: list[_XmlSample | None] = []  # None: an element that is not a sample
    text_into: list[list[str] | None] = [None]
    roots: list[str] = []

    def refuse_dtd(*_: object) -> None:  # JMeter never writes one; entities could expand
        raise InputError(
            f"{path}:{parser.CurrentLineNumber}: a DOCTYPE or entity declaration; JMeter's XML "
            "JTL has none, refused"
        )

    def start(tag: str, attrs: dict[str, str]) -> None:
        if not stack and not roots:
            roots.append(tag)
            if tag != "testResults":
                raise InputError(
                    f"{path}:{parser.CurrentLineNumber}: XML whose root is <{tag}>, not "
                    "JMeter's <testResults>; not a JTL"
                )
        if len(stack) > _MAX_XML_DEPTH:
            raise InputError(
                f"{path}:{parser.CurrentLineNumber}: elements nested deeper than "
                f"{_MAX_XML_DEPTH}; not a JMeter JTL"
            )
        owner = next((s for s in reversed(stack) if s is not None), None)
        if tag in _SAMPLE_TAGS:
            stack.append(
                _XmlSample(tag, attrs, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)
            )
            text_into.append(None)
            return
        stack.append(None)
        if owner is not None and tag == "failureMessage":
            text_into.append(owner.failure)
        elif owner is not None and tag == "method" and stack[-2] is owner:
            text_into.append(owner.method)
        else:
            text_into.append(None)

    def chars(data: str) -> None:
        target = text_into[-1]
        if target is not None:
            target.append(data)

    def end(tag: str) -> None:
        text_into.pop()
        done = stack.pop()
        if done is None:
            return
        parent = next((s for s in reversed(stack) if s is not None), None)
        if parent is not None:
            parent.children.append(done)
        else:
            resolve(done)

    def row(sample: _XmlSample) -> _Row:
        a = sample.attrs.get
        ok = _bool("s", a("s", ""))
        code = a("rc", "")
        failure = "".join(sample.failure[:1]).strip() or None
        return _Row(
            t_ns=clock("ts", a("ts", "")),
            latency_ms=_latency("t", a("t", ""), ok),
            name=a("lb", ""),
            ok=ok,
            status=_jmeter_code("rc", code),
            method="".join(sample.method).strip() or None,
            bytes=_count("by", a("by", "")),
            error=failure or a("rm") or (f"HTTP {code}" if code else None),
            worker=workers(a("tn", "")),
        )

    def resolve(sample: _XmlSample) -> None:
        is_txn = _transaction_split(sample.attrs.get("rm", "")) is not None or (
            sample.tag == "sample" and bool(sample.children)
        )
        try:
            (out.transactions if is_txn else out.requests).add(row(sample))
        except _BadValue as bad:
            skips.bad(sample.line, f"column {sample.column} <{sample.tag}>", bad)
        if is_txn:  # its children are the requests; a request's own children are part of it
            for child in sample.children:
                resolve(child)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    fh, _ = _open_binary(path)
    with fh:
        try:
            parser.ParseFile(fh)
        except expat.ExpatError as exc:
            problem = f"is not well-formed JTL XML ({expat.ErrorString(exc.code)})"
            if not skips.skip:
                raise InputError(
                    f"{path}:{exc.lineno}:{exc.offset + 1}: {problem}; a JMeter that was killed "
                    "leaves the file unfinished: pass --skip-bad-rows to keep the samples read so far"
                ) from None
            skips.bad(exc.lineno, f"column {exc.offset + 1}", _BadValue("xml", "", problem))
        except (EOFError, OSError, zlib.error) as exc:
            if not skips.skip:
                raise InputError(f"{path}: compressed stream is broken ({exc})") from None
            skips.bad(
                parser.CurrentLineNumber,
                "end of file",
                _BadValue("file", "", "compressed stream is broken"),
            )
    if clock.used_zone:
        out.timezone = clock.zone_name
    return out


def _k6_time(data: dict[str, Any]) -> datetime:
    raw = data.get("time")
    if not isinstance(raw, str):
        raise _BadValue("data.time", raw, "is missing or not a time string")
    try:
        end = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _BadValue("data.time", raw, "is not an RFC 3339 time") from None
    if end.tzinfo is None:
        raise _BadValue("data.time", raw, "has no UTC offset")
    return end


def _k6_point(rec: Any) -> _Row | None:
    """An ``http_req_duration`` Point as a request; None for every other line."""
    if not isinstance(rec, dict):
        raise _BadValue("line", type(rec).__name__, "is not a JSON object")
    if rec.get("type") != "Point" or rec.get("metric") != "http_req_duration":
        return None
    data = rec.get("data")
    if not isinstance(data, dict):
        raise _BadValue("data", data, "is not an object")
    tags = data.get("tags") or {}
    if not isinstance(tags, dict):
        raise _BadValue("data.tags", tags, "is not an object")
    value = data.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BadValue("data.value", value, "is not a number of milliseconds")
    dur = _number("data.value", str(value), "milliseconds")
    end = _k6_time(data)
    status = _status("tags.status", str(tags.get("status") or ""))
    expected = tags.get("expected_response")
    if expected is not None:
        ok = _bool("tags.expected_response", str(expected))
    else:
        ok = 0 < status < 400
    t_ns = _epoch_ns("data.time", str(data.get("time")), end.timestamp()) - int(dur * 1e6)
    name = tags.get("name") or tags.get("url") or ""
    method = tags.get("method")
    return _Row(
        t_ns=t_ns,
        latency_ms=dur,
        name=str(name),
        ok=ok,
        status=status,
        method=str(method) if method is not None else None,
        error=str(tags.get("error") or "") or None,
    )


def _read_k6(path: Path, opts: ImportOptions, skips: _Skips) -> _Parsed:
    out = _Parsed()
    lines = _Lines(path, skips)
    for text in lines:
        stripped = text.strip()
        if not stripped:
            continue
        # k6 writes ~10 lines per request; only http_req_duration ones are parsed in full, the
        # rest are checked to be one JSON object each (a cheap test, not a parse)
        if '"http_req_duration"' not in stripped:
            if not (stripped.startswith("{") and stripped.endswith("}")):
                skips.bad(
                    lines.lineno,
                    "column 1",
                    _BadValue("line", stripped, "is not a JSON object (k6 --out json line)"),
                )
            continue
        try:
            rec = json.loads(stripped)
        except (json.JSONDecodeError, RecursionError) as exc:
            pos = getattr(exc, "colno", 1)
            skips.bad(
                lines.lineno,
                f"column {pos}",
                _BadValue("line", stripped, "is not valid JSON (a k6 run cut short?)"),
            )
            continue
        try:
            point = _k6_point(rec)
        except _BadValue as bad:
            skips.bad(lines.lineno, "field", bad)
            continue
        if point is not None:
            out.requests.add(point)
    return out


_READERS: dict[str, Callable[[Path, ImportOptions, _Skips], _Parsed]] = {
    "locust-csv": _read_locust,
    "jmeter": _read_jmeter_csv,
    "jmeter-xml": _read_jmeter_xml,
    "k6": _read_k6,
}


# --------------------------------------------------------------------------------------------
# writing the run


def _table(rows: _Rows) -> Any:
    import pyarrow as pa

    from pockit._rundir import SAMPLE_SCHEMA

    n = len(rows)
    return pa.table(
        {
            "t_start": pa.array(rows.t_ns, pa.int64()).cast(pa.timestamp("ns", tz="UTC")),
            "latency_ms": pa.array(rows.latency_ms, pa.float64()),
            "name": pa.array(rows.name, pa.string()).dictionary_encode(),
            "method": pa.array(rows.method, pa.string()).dictionary_encode(),
            "status": pa.array(rows.status, pa.int16()),
            "ok": pa.array(rows.ok, pa.bool_()),
            "bytes": pa.array(rows.bytes, pa.int64()),
            "error": pa.array(rows.error, pa.string()).dictionary_encode(),
            "worker": pa.array(rows.worker, pa.int16()),
            "t_intended": pa.nulls(n, pa.timestamp("ns", tz="UTC")),
            "retry": pa.nulls(n, pa.int16()),
        }
    ).cast(SAMPLE_SCHEMA)


def _choose_format(src: Path, given: str | None) -> ImportFormat:
    if given is None:
        return sniff_format(src)
    if given not in _READERS:
        raise UsageError(f"unknown import format {given!r}; one of {', '.join(FORMATS)}")
    if given == "jmeter":  # one name for both JTL layouts
        first, _ = _first_line(src)
        if first.startswith("<"):
            return "jmeter-xml"
    return given  # type: ignore[return-value]


def import_runs(
    path: str | Path,
    *,
    format: str | None = None,
    candidate: str,
    runs_dir: str | Path = "runs",
    timezone: str | None = None,
    transactions: bool = False,
    skip_bad_rows: bool = False,
) -> list[Path]:
    """Read ``path`` (``format`` or sniffed) into a new run directory under ``runs_dir``.

    ``timezone`` is the zone of local-time JTL stamps (default: this machine's);
    ``transactions`` decides on JMeter Transaction Controller samples instead of requests;
    ``skip_bad_rows`` counts unreadable rows in run.json instead of failing on the first.

    >>> import_runs("results.jtl", candidate="legacy")   # doctest: +SKIP
    [PosixPath('runs/20261126T060000Z-legacy-3f9a')]
    """
    import pyarrow.parquet as pq

    from pockit import __version__
    from pockit._rundir import RunDir, iso, new_run_id

    src = Path(path)
    if not src.is_file():
        raise InputError(f"{src}: no such file to import")
    if not candidate:
        raise UsageError("--candidate is required: which system under test produced these results")
    if timezone is not None:
        resolve_zone(timezone)  # a bad --timezone is a usage error before any reading
    fmt = _choose_format(src, format)
    if transactions and fmt not in ("jmeter", "jmeter-xml"):
        raise UsageError(
            f"--transactions: only JMeter JTL files have Transaction Controller samples, not {fmt}"
        )
    _, gz = _first_line(src)
    skips = _Skips(src, skip_bad_rows)
    opts = ImportOptions(
        format=fmt, timezone=timezone, transactions=transactions, skip_bad_rows=skip_bad_rows
    )
    parsed = _READERS[fmt](src, opts, skips)
    kept, apart = (
        (parsed.transactions, parsed.requests)
        if transactions
        else (parsed.requests, parsed.transactions)
    )
    if transactions and not len(kept):
        raise InputError(
            f"{src}: no Transaction Controller samples in this JTL; import it without --transactions"
        )
    if not len(kept):
        if len(apart):
            raise InputError(
                f"{src}: only Transaction Controller samples ({len(apart)}), no HTTP samples: "
                "JMeter's CSV with 'Generate parent sample' keeps only the parents; import them "
                "with --transactions, or save XML to keep the requests"
            )
        skipped = f" ({skips.count} unreadable row(s) skipped)" if skips.count else ""
        raise InputError(f"{src}: no requests found in this {fmt} file{skipped}; nothing imported")
    n = len(kept)
    t_min = min(kept.t_ns)
    t_max = max(
        t + int((lat or 0.0) * 1e6) for t, lat in zip(kept.t_ns, kept.latency_ms, strict=True)
    )
    start = datetime.fromtimestamp(t_min / 1e9, UTC)
    end = datetime.fromtimestamp(t_max / 1e9, UTC)
    meta: dict[str, Any] = {
        RunField.ID: new_run_id(candidate, when=start),
        RunField.CANDIDATE: candidate,
        RunField.START: iso(start),
        RunField.END: iso(end),
        RunField.STATUS: RunStatus.RUNNING,
        IMPORTED_FROM: str(src.resolve()),
        IMPORT_FORMAT: fmt,
        RunField.STOP_REASON: f"imported from {fmt}",
        RunField.STOP_CODE: StopCode.IMPORTED,
        RunField.VERSIONS: {"pockit": __version__},
    }
    warnings = list(parsed.warnings)
    if gz:
        meta[IMPORT_COMPRESSION] = "gzip"
    if parsed.timezone:
        meta[IMPORT_TIMEZONE] = parsed.timezone
    if fmt in ("jmeter", "jmeter-xml"):
        meta[IMPORT_TRANSACTIONS] = {
            "decided_on": "transactions" if transactions else "requests",
            "requests": len(parsed.requests),
            "transactions": len(parsed.transactions),
        }
    if skip_bad_rows:
        meta[IMPORT_SKIPPED_ROWS] = skips.to_dict()
        if skips.count:
            reasons = "; ".join(f"{r} ({c})" for r, c in skips.reasons.most_common(5))
            warnings.append(
                f"import skipped {skips.count} unreadable row(s) of {src.name} "
                f"(--skip-bad-rows): {reasons}"
            )
    if warnings:
        meta[RUN_WARNINGS] = warnings
    run = RunDir.create(runs_dir, meta)
    pq.write_table(_table(kept), run.samples_dir / "import-00000.parquet")
    run.update_meta(status=RunStatus.COMPLETED, requests=n)
    return [run.path]
