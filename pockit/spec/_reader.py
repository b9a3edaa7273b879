"""Walking the raw spec mapping: every accessor records a FieldError (field path and line) instead of raising."""

import difflib
from collections.abc import Callable
from typing import Any, TypeVar

from pockit._errors import FieldError
from pockit.spec._convert import _AS_WRITTEN
from pockit.spec._yaml import Document, as_written

T = TypeVar("T")


class _Reader:
    """Walks the raw mapping; every accessor records a FieldError instead of raising."""

    def __init__(self, doc: Document) -> None:
        self.errors: list[FieldError] = list(doc.errors)
        self.lines = doc.lines
        self.nodes = doc.nodes

    def error(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message, self._line(field)))

    def _line(self, field: str) -> int | None:
        """The field's line, or its nearest enclosing field's (a missing field has none of its own)."""
        while field:
            if field in self.lines:
                return self.lines[field]
            cut = max(field.rfind("."), field.rfind("["))
            field = field[:cut] if cut > 0 else ""
        return None

    def mapping(self, value: Any, field: str, allowed: set[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(field, f"expected a mapping, got {type(value).__name__}")
            return {}
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                hint = (
                    f"; did you mean {close[0]!r}?"
                    if close
                    else f"; known fields: {', '.join(sorted(allowed))}"
                )
                self.error(_join(field, str(key)), f"unknown field{hint}")
        return value

    def get(
        self,
        data: dict[str, Any],
        field: str,
        key: str,
        convert: Callable[[Any], T],
        default: T,
        *,
        required: bool = False,
        what: str = "",
    ) -> T:
        path = _join(field, key)
        if key not in data or data[key] is None:
            if required:
                self.error(path, f"required field is missing{f' ({what})' if what else ''}")
            return default
        try:
            return convert(self.written(path, data[key]) if convert in _AS_WRITTEN else data[key])
        except (TypeError, ValueError) as exc:
            self.error(path, str(exc))
            return default

    def written(self, path: str, value: Any) -> Any:
        """``value`` with its scalars as the text written (``true``, ``007``), when its node is known."""
        node = self.nodes.get(path)
        return as_written(node) if node is not None else value

    def items(self, value: Any, field: str) -> list[tuple[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(field, f"expected a list, got {type(value).__name__}")
            return []
        return [(f"{field}[{i}]", item) for i, item in enumerate(value)]


def _join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key
