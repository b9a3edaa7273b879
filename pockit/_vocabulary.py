"""What a user may write for billing sources: cost columns, format names and their aliases.

The one vocabulary of the spec (`cost.column`, `cost.format`), `pockit cost` and the README
(`tests/sources/test_vocabulary.py` holds them equal). Standard library only, so the spec can import
it without loading the billing readers.
"""

from __future__ import annotations

#: The cost columns a user can ask for (architecture.md contract 5 adds ``unblended`` and ``net`` for CUR):
#: the one list the spec's ``cost.column``, ``pockit cost --cost`` and the README use.
COST_CHOICES = ("billed", "effective", "list", "unblended", "net")

#: Billing format names, the one vocabulary of the spec's ``cost.format``, ``pockit cost --format``
#: and the README. ``cost-explorer`` is the API, or a saved response when the source is a file.
BILLING_FORMATS = ("focus", "cur2", "cur-csv", "cur-athena", "cost-explorer", "athena")

#: Other spellings accepted for a format, and the name each stands for.
FORMAT_ALIASES = {"cur-legacy": "cur-csv", "cost-explorer-json": "cost-explorer"}


def canonical_format(name: str) -> str | None:
    """The format a name (or alias) stands for; None when it names none."""
    name = FORMAT_ALIASES.get(name, name)
    return name if name in BILLING_FORMATS else None


def format_names() -> str:
    """The accepted names, for messages: ``focus, cur2, ... (also cur-legacy = cur-csv, ...)``."""
    aliases = ", ".join(f"{a} = {n}" for a, n in FORMAT_ALIASES.items())
    return f"{', '.join(BILLING_FORMATS)} (also {aliases})"
