"""``pockit validate SPEC``: check a spec and list every problem with its field and line."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pockit._errors import SpecError
from pockit.commands._output import add_json_flag, emit


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "validate",
        help="check a spec (poc.yaml)",
        description="Check a PoC spec. Every problem is listed with the field it is in "
        "(criteria[1].op) and its line. Exits 0 when valid, 65 when not.",
    )
    parser.add_argument("spec", help="path to the spec, e.g. poc.yaml")
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pockit.spec import load_spec

    try:
        spec = load_spec(args.spec)
    except SpecError as exc:
        data = {"ok": False, "spec": args.spec, "errors": [e.to_dict() for e in exc.errors]}
        if args.json:  # the JSON on stdout for tools, the message on stderr for people (contract 5)
            emit(args, data, "")
            sys.stderr.write(f"pockit validate: {exc}\n")
            return exc.exit_code
        raise
    data = {
        "ok": True,
        "spec": args.spec,
        "errors": [],
        "name": spec.name,
        "sha256": spec.sha256,
        "candidates": [c.name for c in spec.candidates],
        "criteria": [c.label for c in spec.criteria],
        # Not an error: decide/report/stats on imported runs need no load section (issue 12 item 7).
        "notes": ([f"cannot run load: {p}"] if (p := spec.load_problem()) else [])
        + spec.reference_notes(),
    }
    human = (
        f"{args.spec}: valid\n"
        f"  name        {spec.name}\n"
        f"  candidates  {', '.join(data['candidates'])}\n"
        f"  criteria    {'; '.join(data['criteria'])}\n"
        f"  sha256      {spec.sha256}"
    ) + "".join(f"\n  note        {n}" for n in data["notes"])
    emit(args, data, human)
    return 0
