"""One shape for every extension point: a named registry that knows nothing of what registers into it.

papermill's way (architecture.md, "Extension points"): a registry module defines the entry type and
a :class:`Registry`; each format, source or criterion registers itself in the module that defines
it; one explicit list module imports the built-in ones, and the code that dispatches imports that
list. Nothing registered imports the dispatcher back, so there is no cycle to hide.

>>> from pockit._registry import Registry
>>> shapes = Registry[int]("shape")
>>> shapes.add("square", 4)
4
>>> shapes["square"], shapes.names()
(4, ('square',))

Standard library only, so any part may import it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries by name, in registration order (the order dispatchers try them in)."""

    def __init__(self, what: str) -> None:
        self.what = what  # what an entry is, for messages: "billing format", "metric source"
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T, *, replace: bool = False) -> T:
        """Register ``entry`` under ``name``; a second entry of the same name is refused unless
        ``replace`` (it then takes the old one's place in the order)."""
        if name in self._entries and not replace:
            raise ValueError(f"{self.what} {name!r} is registered already")
        self._entries[name] = entry
        return entry

    def put_first(self, names: tuple[str, ...]) -> None:
        """Order ``names`` (those registered) first, as listed; the rest keep their order after them.

        Modules register when they are first imported, which may be in any order; a list of the
        built-in entries fixes the order dispatchers try them in.
        """
        first = {n: self._entries[n] for n in names if n in self._entries}
        self._entries = {**first, **{n: e for n, e in self._entries.items() if n not in first}}

    def __getitem__(self, name: str) -> T:
        return self._entries[name]

    def get(self, name: str) -> T | None:
        return self._entries.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def values(self) -> list[T]:
        return list(self._entries.values())

    def as_dict(self) -> dict[str, T]:
        """A copy: changing it changes nothing registered."""
        return dict(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.what!r}: {', '.join(self._entries) or 'empty'})"
