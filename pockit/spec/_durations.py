"""Durations as people write them in a spec: ``90``, ``"90s"``, ``"2m"``, ``"1h30m"``."""

from __future__ import annotations

import math
import re
import reprlib

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
#: Longer text is no duration; the unit scan below is quadratic in a run of digits without a unit.
_MAX_TEXT = 64
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(value: object) -> float:
    """Seconds in ``value``; a bare number is seconds. Raises ValueError with the accepted forms.

    >>> parse_duration("1h30m"), parse_duration("90s"), parse_duration(45)
    (5400.0, 90.0, 45.0)

    Never NaN or infinite: a duration of ``.nan`` would slip past every ``>`` cap.
    """
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30, '30s', '2m' or '1h30m'")
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:
            seconds = math.inf
        if seconds < 0:
            raise ValueError("a duration cannot be negative")
        return _finite(seconds, value)
    if isinstance(value, str) and len(value) <= _MAX_TEXT:
        text = value.strip().lower().replace(" ", "")
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return _finite(float(text), value)
        pos, total = 0, 0.0
        for match in _PART.finditer(text):
            if match.start() != pos:
                break
            total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
            pos = match.end()
        if pos == len(text) and pos > 0:
            return _finite(total, value)
    raise ValueError(
        f"expected a duration such as 30, '30s', '2m' or '1h30m', got {reprlib.repr(value)}"
    )


def _finite(seconds: float, value: object) -> float:
    if not math.isfinite(seconds):
        raise ValueError(f"expected a finite duration, got {reprlib.repr(value)}")
    return seconds


def format_duration(seconds: float) -> str:
    """``'1m30s'`` for 90.0: the inverse of :func:`parse_duration` for whole seconds.

    >>> format_duration(90), format_duration(3600), format_duration(2.5)
    ('1m30s', '1h', '2.5s')
    """
    if seconds < 60 or seconds != int(seconds):
        return f"{seconds:g}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return "".join(parts)
