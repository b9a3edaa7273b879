"""What every importer produces and how it handles a value it cannot read.

A reader turns each record into a :class:`Row` (or raises :class:`BadValue`), adds it to
:class:`Rows`, and hands a bad value to :class:`Skips`: an :class:`InputError` naming file, line and
column, or with ``--skip-bad-rows`` a row counted by reason in run.json. Nothing becomes null.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pockit._errors import InputError

_MAX_EXAMPLES = 10  # skipped rows listed one by one in run.json; the rest are only counted


@dataclass(frozen=True, kw_only=True)
class ImportOptions:
    """How to read a file: ``ImportOptions(timezone="Europe/Berlin", skip_bad_rows=True)``."""

    format: str | None = None
    timezone: str | None = None  # None: this machine's zone (local_zone_name())
    transactions: bool = False
    skip_bad_rows: bool = False


@dataclass
class Rows:
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

    def add(self, row: Row) -> None:
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
class Row:
    t_ns: int
    latency_ms: float | None
    name: str
    ok: bool
    status: int = 0
    method: str | None = None
    bytes: int = 0
    error: str | None = None
    worker: int = 0


class BadValue(Exception):
    """One unreadable value: which column, what was there, what is wrong with it."""

    def __init__(self, column: str, value: object, problem: str) -> None:
        super().__init__(problem)
        self.column = column
        self.value = value
        self.problem = problem


@dataclass
class Skips:
    """Unreadable rows: raised as InputError, or counted and kept as examples with skip_bad_rows."""

    path: Path
    skip: bool
    count: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def bad(self, line: int, where: str, bad: BadValue) -> None:
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
class Parsed:
    requests: Rows = field(default_factory=Rows)
    transactions: Rows = field(default_factory=Rows)
    timezone: str | None = None  # set when local-time stamps were read in it
    warnings: list[str] = field(default_factory=list)
