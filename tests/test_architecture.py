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

#: Cross-part imports of private modules (a new one fails the test below).
PRIVATE_DEBT: set[tuple[str, str]] = (
    set()
)  # issue 10 moved the last behind public names: keep it empty


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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Module -> the pockit modules it imports, function-level imports included (a cycle hidden in
    a function is still a cycle); ``if TYPE_CHECKING:`` blocks left out (they never run)."""
    paths = {_module_name(p): p for p in PKG.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        tree = ast.parse(path.read_text(), str(path))
        typing_only = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for stmt in block.body
            for node in ast.walk(stmt)
        }
        deps: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    module = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    module = node.module or ""
                for alias in node.names:
                    target = f"{module}.{alias.name}"
                    deps.add(target if target in paths else module)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        graph[name] = {d for d in deps if d in paths and d != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles() -> None:
    assert _cycles(_import_graph()) == []


def test_the_cycle_check_would_catch_a_cycle() -> None:
    graph = _import_graph()
    graph["pockit.analysis._stats"] = graph["pockit.analysis._stats"] | {"pockit.report.facts"}
    graph["pockit.report.facts"] = graph["pockit.report.facts"] | {"pockit.analysis._stats"}
    assert any("pockit.analysis._stats" in c for c in _cycles(graph))


def test_modules_stay_small() -> None:
    """One job per module (issue 10): none past 400 lines."""
    big = {
        str(p.relative_to(PKG.parent)): n
        for p in PKG.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 400
    }
    assert big == {}
