"""Every error pockit raises on purpose, and the exit code the CLI gives it.

    PockitError                      base; ``exit_code`` says what ``pockit`` exits with
    ├── UsageError (64)              a command line that cannot be acted on
    ├── SpecError (65)               a spec that fails validation; ``.errors`` lists FieldError
    ├── InputError (65)              a file pockit cannot read (run directory, samples, import)
    │   └── SourceError (66)         billing / metrics: unknown format, missing column, bad credentials
    │       └── MixedCurrencyError   costs in more than one currency in the attributed rows
    ├── GuardrailError (67)          load refused before a request was sent (host, caps)
    ├── LoadError (69)               the load run itself failed (Locust would not start, target refused)
    └── ReportError (71)             a notebook cell failed or the HTML could not be exported

Codes that are not a PockitError of their own:

    EXIT_INTERNAL (70)               an unexpected exception: a bug in pockit, never a decision;
                                     one line on stderr names the traceback file (``--debug`` prints it)
    EXIT_BATCH_PARTIAL (75)          ``pockit batch``: some grid points failed, the others ran
    EXIT_INTERRUPTED (130)           Ctrl-C

Exit codes follow BSD ``sysexits``: 64 usage, 65 data, 66 no input, 69 unavailable (the target or
Locust), 70 internal software error, 75 temporary failure. 0, 1 and 2 are decisions only
(GO, NO-GO, INCONCLUSIVE).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EXIT_BATCH_PARTIAL",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "FieldError",
    "GuardrailError",
    "InputError",
    "LoadError",
    "MixedCurrencyError",
    "PockitError",
    "ReportError",
    "SourceError",
    "SpecError",
    "UsageError",
]


#: Bad command line (argparse's own 2 would read as INCONCLUSIVE).
EXIT_USAGE = 64
#: An exception pockit did not raise on purpose: a bug, reported as such (sysexits EX_SOFTWARE).
EXIT_INTERNAL = 70
#: ``pockit batch``: some grid points failed and the others ran (sysexits EX_TEMPFAIL: retry them).
EXIT_BATCH_PARTIAL = 75
#: Ctrl-C (128 + SIGINT, as a shell reports it).
EXIT_INTERRUPTED = 130


class PockitError(Exception):
    """Base of every pockit error; its message is meant for the user."""

    exit_code = 65


class UsageError(PockitError):
    """The command line names something that does not exist or does not fit."""

    exit_code = 64


@dataclass(frozen=True)
class FieldError:
    """One problem in a spec: the dotted path of the field, what is wrong, and where."""

    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.field}: {self.message}{where}"

    def to_dict(self) -> dict[str, object]:
        return {"field": self.field, "message": self.message, "line": self.line}


class SpecError(PockitError):
    """A spec that does not validate. ``errors`` holds every problem found, not just the first."""

    exit_code = 65

    def __init__(self, errors: list[FieldError], path: str | None = None) -> None:
        self.errors = errors
        self.path = path
        head = f"{path}: " if path else ""
        lines = "\n".join(f"  {e}" for e in errors)
        super().__init__(f"{head}spec is not valid ({len(errors)} problem(s)):\n{lines}")


class InputError(PockitError):
    """A file or directory that pockit cannot read as what it was told it is."""

    exit_code = 65


class SourceError(InputError):
    """A billing or metrics source that cannot be read, reached or understood."""

    exit_code = 66


class MixedCurrencyError(SourceError):
    """The attributed rows carry more than one currency; pockit never converts silently."""


class GuardrailError(PockitError):
    """Load refused by the spec's guardrails before a single request was sent."""

    exit_code = 67


class LoadError(PockitError):
    """The load run could not start or broke in a way that leaves no usable result."""

    exit_code = 69


class ReportError(PockitError):
    """The report notebook failed (``cell`` says which) or the HTML export failed."""

    exit_code = 71

    def __init__(self, message: str, *, cell: str | None = None) -> None:
        self.cell = cell
        super().__init__(message if cell is None else f"{message}\nfailing cell:\n{cell}")
