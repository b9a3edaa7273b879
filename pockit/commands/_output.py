"""How commands print: one JSON object on stdout with ``--json``, human text otherwise."""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def _finite(value: Any) -> Any:
    """NaN and infinity are not JSON: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def to_json(data: dict[str, Any]) -> str:
    """Strict JSON (no NaN) of ``data``; objects with ``to_dict`` are expanded."""
    return json.dumps(
        _finite(json.loads(json.dumps(data, default=_default))), indent=2, allow_nan=False
    )


def emit(args: argparse.Namespace, data: dict[str, Any], human: str) -> None:
    """Print ``data`` as JSON when ``--json`` was given, else ``human``."""
    if getattr(args, "json", False):
        sys.stdout.write(to_json(data) + "\n")
    else:
        sys.stdout.write(human.rstrip("\n") + "\n")


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def open_run_args(paths: list[str] | tuple[str, ...]) -> list[Any]:
    """Open the command line's RUN_DIR arguments (folders searched at any depth); say on stderr
    which nested folders were not searched and why, so nothing is passed over without a word."""
    from pockit._rundir import open_runs

    skipped: list[str] = []
    runs = open_runs(list(paths), skipped=skipped)
    for note in skipped:
        sys.stderr.write(f"pockit: skipped {note}\n")
    return runs
