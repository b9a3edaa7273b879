"""The ``pockit`` command. Sub-commands live in :mod:`pockit.commands`, one module each.

Exit codes (architecture.md contract 5): 0 success (for ``decide``/``report``: GO), 1 NO-GO,
2 INCONCLUSIVE; 64 and up for usage and input errors, with the message on stderr (the table is in
:mod:`pockit._errors`). An exception pockit did not raise on purpose is a bug, never a decision: it
exits 70 with one line on stderr that names the file holding the traceback (``--debug`` prints it).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pockit import __version__
from pockit._errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, PockitError
from pockit.commands import COMMANDS

__all__ = ["EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_USAGE", "build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage, which pockit reserves for INCONCLUSIVE: use 64."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"pockit: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pockit",
        description="Turn a Proof-of-Concept question into a measured go/no-go decision.",
    )
    parser.add_argument("--version", action="version", version=f"pockit {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="on an internal error (exit 70), print the whole traceback instead of its file name",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"pockit.commands.{name}")
        module.register(sub)
    return parser


def crash_dir() -> Path:
    """Where tracebacks of internal errors go: ``$XDG_CACHE_HOME/pockit`` (``~/.cache/pockit``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pockit"


def _write_traceback(text: str) -> Path | None:
    """Save ``text`` to a new file under :func:`crash_dir`, else the system temp dir; its path."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for folder in (crash_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(
                prefix=f"pockit-crash-{stamp}-", suffix=".txt", dir=folder, text=True
            )
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            return Path(name)
        except OSError:
            continue
    return None


def _internal_error(command: str, exc: BaseException, *, debug: bool) -> int:
    """One line on stderr for a bug (what failed, where), the traceback in a file or printed."""
    text = "".join(traceback.format_exception(exc))
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    what = " ".join(str(exc).split())[:200]
    head = f"pockit {command}: internal error{where}: {type(exc).__name__}" + (
        f": {what}" if what else ""
    )
    if debug:
        sys.stderr.write(text)
        sys.stderr.write(f"{head} (a bug in pockit, please report it)\n")
        return EXIT_INTERNAL
    saved = _write_traceback(f"pockit {__version__} {command} {' '.join(sys.argv[1:])}\n{text}")
    tail = f"traceback in {saved}" if saved else "the traceback could not be saved"
    sys.stderr.write(f"{head} (a bug in pockit, please report it; {tail}; --debug prints it)\n")
    return EXIT_INTERNAL


def _ignore_further_interrupts() -> None:
    """Ctrl-C pressed again while pockit reports the first and exits would kill the process by the
    signal (the shell sees -2, not 130); what was recorded is closed by then, so the rest wait."""
    with contextlib.suppress(ValueError):  # signal handlers can only be set from the main thread
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except Exception as exc:  # a sub-command module that fails to import or register is a bug too
        debug = "--debug" in (sys.argv[1:] if argv is None else argv)
        return _internal_error("(parser)", exc, debug=debug)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except PockitError as exc:
        sys.stderr.write(f"pockit {args.command}: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        if argv is None:  # the program itself (not a caller's main([...])): this is the last word
            _ignore_further_interrupts()
        sys.stderr.write(f"pockit {args.command}: interrupted\n")
        return EXIT_INTERRUPTED
    except Exception as exc:  # anything else is a bug: a code of its own, never 1 (NO-GO)
        return _internal_error(str(args.command), exc, debug=bool(args.debug))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
