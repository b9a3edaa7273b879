"""The import formats' registry: each format module registers its reader here; this module imports none.

A format says what it reads (``read``), which files it is (``claims``, on the first non-empty line;
it may raise InputError for a file of its family that pockit cannot import) and what such a file
starts with (``expects``, for the message when no format claims a file). Adding a format is one
module that calls :func:`register_importer`, and its line in :mod:`.builtin`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pockit._registry import Registry
from pockit.load._import.rows import ImportOptions, Parsed, Skips

#: A reader: the file, the options, the bad-row policy -> the requests (and transactions) parsed.
Read = Callable[[Path, ImportOptions, Skips], Parsed]


@dataclass(frozen=True, kw_only=True)
class Importer:
    """A registered import format (``--format NAME``)."""

    name: str
    read: Read
    claims: Callable[[Path, str], bool]
    expects: str
    #: When given by name: the format a file's first line turns it into (``jmeter`` reads XML too).
    layout: Callable[[str], str] | None = None
    #: The format has Transaction Controller samples (``--transactions`` applies; run.json says so).
    transactions: bool = False


IMPORTERS: Registry[Importer] = Registry("import format")


def register_importer(
    name: str,
    *,
    claims: Callable[[Path, str], bool],
    expects: str,
    layout: Callable[[str], str] | None = None,
    transactions: bool = False,
) -> Callable[[Read], Read]:
    """Decorator: register ``fn`` as the reader of format ``name`` (sniffed in registration order)."""

    def deco(fn: Read) -> Read:
        IMPORTERS.add(
            name,
            Importer(
                name=name,
                read=fn,
                claims=claims,
                expects=expects,
                layout=layout,
                transactions=transactions,
            ),
        )
        return fn

    return deco
