"""The ``pockit`` command. Sub-commands live in :mod:`pockit.commands`, one module each.

Exit codes (DESIGN contract 5): 0 success (for ``decide``/``report``: GO), 1 NO-GO,
2 INCONCLUSIVE, 64 and up for usage and input errors, with the message on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pockit import __version__
from pockit._errors import PockitError
from pockit.commands import COMMANDS

EXIT_USAGE = 64
EXIT_INTERRUPTED = 130


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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"pockit.commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except PockitError as exc:
        sys.stderr.write(f"pockit {args.command}: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write(f"pockit {args.command}: interrupted\n")
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
