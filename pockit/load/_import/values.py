"""One value of a record: numbers, times, status codes, byte counts, flags, latencies, time zones.

Each parser returns the value or raises :class:`~pockit.load._import.rows.BadValue` saying which
column and what is wrong: a value pockit cannot read never becomes null.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path

from pockit._errors import UsageError
from pockit.load._import.rows import BadValue

#: Timestamps outside 2000-01-01 .. 2100-01-01 are not a load test's: 1e30 is corruption, not time.
_MIN_EPOCH_S = 946_684_800.0
_MAX_EPOCH_S = 4_102_444_800.0
_MAX_LATENCY_MS = 7 * 24 * 3600 * 1000.0
_MAX_STATUS = 999  # HTTP codes are three digits; 0 means no response


def number(column: str, text: str, what: str) -> float:
    """A finite, non-negative number, or BadValue."""
    try:
        value = float(text)
    except ValueError:
        raise BadValue(column, text, f"is not a number of {what}") from None
    if not math.isfinite(value) or value < 0:
        raise BadValue(column, text, f"is not a finite, non-negative number of {what}")
    return value


def epoch_ns(column: str, text: str, seconds: float) -> int:
    if not _MIN_EPOCH_S <= seconds <= _MAX_EPOCH_S:
        raise BadValue(column, text, "is not a time between the years 2000 and 2100")
    return int(round(seconds * 1e6)) * 1000  # microsecond precision: what a float of seconds holds


def digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also takes "²", which ``int`` refuses."""
    return text.isascii() and text.isdigit()


def status_code(column: str, text: str) -> int:
    text = text.strip()
    if not text:
        return 0
    if not digits(text) or int(text) > _MAX_STATUS:
        raise BadValue(column, text, f"is not an HTTP status code (0..{_MAX_STATUS})")
    return int(text)


def byte_count(column: str, text: str) -> int:
    text = text.strip()
    if not text:
        return 0
    if not digits(text) or len(text) > 18:
        raise BadValue(column, text, "is not a byte count")
    return int(text)


def true_false(column: str, text: str) -> bool:
    low = text.strip().lower()
    if low not in ("true", "false"):
        raise BadValue(column, text, "is neither true nor false")
    return low == "true"


def latency_ms(column: str, text: str, ok: bool) -> float | None:
    """Milliseconds; empty is legitimate only for a failed request (Locust writes that)."""
    if not text.strip():
        if ok:
            raise BadValue(column, text, "is empty on a successful request")
        return None
    value = number(column, text.strip(), "milliseconds")
    if value > _MAX_LATENCY_MS:
        raise BadValue(column, text, "is longer than a week: not one request's response time")
    return value


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
