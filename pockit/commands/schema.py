"""``pockit schema``: print the spec's JSON Schema, for editors that validate and complete YAML."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pockit.commands._output import add_json_flag


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "schema",
        help="print the JSON Schema of poc.yaml (for editors)",
        description="Print the JSON Schema (draft-07) of a PoC spec on stdout. Editors with YAML "
        "language support (VS Code's YAML extension, any yaml-language-server client) use it to "
        "check and complete poc.yaml as you type; schema/poc.schema.json in the repository is "
        "the same text. `pockit validate` remains the judge.",
    )
    add_json_flag(parser)  # the schema is JSON either way; accepted like every command's
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pockit.spec import spec_schema

    sys.stdout.write(schema_text(spec_schema()))
    return 0


def schema_text(schema: dict[str, Any]) -> str:
    """The schema as ``pockit schema`` prints it and ``schema/poc.schema.json`` holds it."""
    return json.dumps(schema, indent=2) + "\n"
