"""Converters from a written YAML value to a field's type, each raising ValueError with what it expected."""

import math
import reprlib
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from pockit.spec._durations import parse_duration

#: The only control characters prose (hypothesis, notes, a PromQL query) may hold.
_PROSE_CONTROLS = "\n\t"


def _no_controls(text: str, allowed: str = "") -> str:
    """``text``, or ValueError naming its first control character (C0, DEL, C1, U+2028/2029).

    Names and tags end up in email headers, file names, argv, HTML and billing filters, where a
    CR/LF or NUL breaks or rewrites what follows.
    """
    for i, ch in enumerate(text):
        if ch not in allowed and unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            where = (
                "prose (only newline and tab)" if allowed else "a name, tag or single-line field"
            )
            raise ValueError(
                f"control character {ch!r} (U+{ord(ch):04X}) at position {i} of "
                f"{reprlib.repr(text)} is not allowed in {where}"
            )
    return text


def _nonempty(value: Any) -> str:
    if (
        not isinstance(value, str | int | float)
        or isinstance(value, bool)
        or str(value).strip() == ""
    ):
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return str(value)


def _text(value: Any) -> str:
    """A single-line string: names, hosts, paths, tags."""
    return _no_controls(_nonempty(value))


def _prose(value: Any) -> str:
    """Free text that may span lines: hypothesis, description, query."""
    return _no_controls(_nonempty(value), _PROSE_CONTROLS)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        # nan compares false with everything: a cap of .nan would let anything through.
        raise ValueError(f"expected a finite number, got {reprlib.repr(value)}")
    return number


def _above_zero(convert: Callable[[Any], float], what: str) -> Callable[[Any], float]:
    def converted(value: Any) -> float:
        number = convert(value)
        if number <= 0:
            raise ValueError(f"expected {what} > 0, got {value!r}")
        return number

    return converted


_positive = _above_zero(_number, "a number")
_positive_duration = _above_zero(parse_duration, "a duration")


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a whole number >= 0, got {value!r}")
    return value


def _positive_count(value: Any) -> int:
    number = _count(value)
    if number < 1:
        raise ValueError(f"expected a whole number >= 1, got {value!r}")
    return number


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _fraction(value: Any) -> float:
    number = _number(value)
    if not 0 < number < 1:
        raise ValueError(f"expected a fraction between 0 and 1, got {value!r}")
    return number


def _choice(*options: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in options:
            raise ValueError(f"expected one of {' '.join(options)}, got {value!r}")
        return str(value)

    return convert


def _scalar(value: Any) -> str:
    """One written scalar (``true`` stays ``true``), refused when it is a list or mapping."""
    if isinstance(value, list | dict | yaml.Node):
        raise ValueError(
            f"expected a string, got a {'list' if isinstance(value, list) else 'mapping'}"
        )
    return str(value)


def _str_map(value: Any) -> dict[str, str]:
    """Tags and dimensions: flat, single-line, keys non-empty; values kept as written."""
    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping of strings, got {type(value).__name__}")
    out: dict[str, str] = {}
    for k, v in value.items():
        try:
            key = _text(_scalar(k))
            out[key] = _no_controls(_scalar(v))
        except ValueError as exc:
            raise ValueError(f"expected a mapping of strings; at {k!r}: {exc}") from None
    return out


def _list_of(convert: Callable[[Any], str]) -> Callable[[Any], tuple[str, ...]]:
    def converted(value: Any) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, list):
            raise ValueError(f"expected a list of strings, got {value!r}")
        return tuple(convert(_scalar(v)) for v in value)

    return converted


_str_list = _list_of(_text)
_prose_list = _list_of(_prose)

#: Converters that read the value as written, not as YAML typed it (``007`` is not 7).
_AS_WRITTEN: frozenset[Callable[[Any], Any]] = frozenset(
    {_text, _prose, _str_map, _str_list, _prose_list}
)


def _resolve(base: Path, value: str) -> str:
    if "://" in value or value in {"cost-explorer", "athena", "model"}:
        return value
    candidate = Path(value)
    return str(candidate if candidate.is_absolute() else (base / candidate))
