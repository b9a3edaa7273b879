"""``pockit import``'s formats register into a registry that imports none of them (issue 10)."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

from pockit.commands import import_
from pockit.load._import.registry import IMPORTERS

PKG = Path(__file__).resolve().parents[2] / "pockit" / "load" / "_import"


def _imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_the_registry_imports_no_format() -> None:
    formats = {m for m in _imported(PKG / "builtin.py") if m.startswith("pockit.load._import.")}
    assert formats == {f"pockit.load._import.{m}" for m in ("locust", "jmeter", "jmeter_xml", "k6")}
    for module in ("registry.py", "rows.py", "text.py", "values.py"):
        assert not _imported(PKG / module) & (formats | {"pockit.load._import.builtin"}), module


def test_the_command_offers_every_registered_format_in_order() -> None:
    parser = argparse.ArgumentParser()
    import_.register(parser.add_subparsers())
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    fmt = next(a for a in sub.choices["import"]._actions if a.dest == "format")
    assert (
        tuple(fmt.choices or ())
        == IMPORTERS.names()
        == ("locust-csv", "jmeter", "jmeter-xml", "k6")
    )
