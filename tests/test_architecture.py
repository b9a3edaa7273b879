"""The import rules of docs/architecture.md, checked on the source (an AST scan, no import-time cost).

- Imports go one way: each part may import only the parts listed below it in ``MAY_IMPORT``.
- Parts talk through public names: an import of another part's ``_private`` module is debt, listed
  in ``PRIVATE_DEBT`` so the list can only shrink (a new one fails; a fixed one must leave the list).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "pockit"

BASE = {"_errors", "_constants", "_util", "_vocabulary", "_registry"}
#: part -> the parts it may import (besides itself). Mirrors the table in docs/architecture.md.
MAY_IMPORT: dict[str, set[str]] = {
    "_errors": set(),
    "_constants": set(),
    "_util": set(),
    "_vocabulary": set(),
    "_registry": set(),
    "_contract": BASE,
    "_rundir": BASE | {"_contract"},
    "_display": BASE,
    "analysis": BASE | {"_contract", "_rundir", "_display"},
    "criteria": BASE | {"_contract", "_rundir", "_display", "analysis"},
    "spec": BASE | {"_display", "analysis", "criteria"},
    "sources": BASE | {"_contract", "_rundir", "_display", "analysis", "criteria", "spec"},
    "load": BASE | {"_contract", "_rundir", "_display", "analysis", "criteria", "spec", "sources"},
    "decision": BASE
    | {"_contract", "_rundir", "_display", "analysis", "criteria", "spec", "sources"},
    "report": BASE
    | {"_contract", "_rundir", "_display", "analysis", "criteria", "spec", "sources", "decision"},
}
#: On top: they may import any part (the CLI, the demo that runs the whole flow, the package root).
TOP = {"commands", "cli", "__main__", "demo", "__init__"}
#: ``import pockit`` inside a part, for ``__version__``/``__file__`` or a public name at call time.
ROOT_IMPORT_OK = {"load"}

#: Cross-part imports of private modules that exist today (issue 10 moves them behind public names).
PRIVATE_DEBT = {
    ("commands", "pockit.load._stop_when"),
}


def _part(path: Path) -> str:
    rel = path.relative_to(PKG).parts
    return rel[0].removesuffix(".py")


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "pockit":
                yield from ((f"pockit.{a.name}", node.lineno) for a in node.names)
            elif node.module.startswith("pockit."):
                yield node.module, node.lineno
        elif isinstance(node, ast.Import):
            yield from ((a.name, node.lineno) for a in node.names if a.name.startswith("pockit"))


def _scan() -> Iterator[tuple[Path, str, str, int]]:
    """(file, its part, imported module, line) for every pockit import in the package."""
    for path in sorted(PKG.rglob("*.py")):
        for module, line in _imports(path):
            yield path, _part(path), module, line


def test_imports_go_one_way() -> None:
    wrong = []
    for path, part, module, line in _scan():
        if part in TOP:
            continue
        bits = module.split(".")
        target = bits[1] if len(bits) > 1 else "(root)"
        if target.startswith("__"):  # pockit.__version__
            continue
        if target == "(root)" or target not in MAY_IMPORT and target not in TOP:
            if part in ROOT_IMPORT_OK:
                continue
            wrong.append(f"{path.relative_to(PKG.parent)}:{line}: {part} imports {module}")
            continue
        if target != part and target not in MAY_IMPORT[part]:
            wrong.append(f"{path.relative_to(PKG.parent)}:{line}: {part} imports {module}")
    assert not wrong, "imports against the layering of docs/architecture.md:\n" + "\n".join(wrong)


def test_no_new_cross_part_private_imports() -> None:
    found = set()
    for _path, part, module, _line in _scan():
        bits = module.split(".")
        if len(bits) > 2 and bits[1] != part and bits[2].startswith("_"):
            found.add((part, ".".join(bits[:3])))
    new = sorted(found - PRIVATE_DEBT)
    gone = sorted(PRIVATE_DEBT - found)
    assert not new, f"use the other part's public names (its __init__), not {new}"
    assert not gone, f"fixed, so take them off PRIVATE_DEBT: {gone}"


def test_architecture_doc_lists_every_part() -> None:
    doc = (PKG.parent / "docs" / "architecture.md").read_text()
    for part in MAY_IMPORT:
        if part in BASE:
            continue
        assert f"`pockit/{part}" in doc, f"docs/architecture.md does not describe {part}"
