"""Billing readers and metric sources register into a registry that imports none of them (issue 10).

The old registry imported the reader modules that import it (a cycle hidden by a function-level
import on every read), and the order formats were sniffed in depended on which reader module
something had imported first.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from pockit._errors import SourceError, UsageError
from pockit._registry import Registry
from pockit.sources import read_metrics, readers
from pockit.sources._registry import METRICS_READERS
from pockit.spec import MetricSource

SOURCES = Path(__file__).resolve().parents[2] / "pockit" / "sources"


def _imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_the_registry_imports_nothing_that_registers_into_it() -> None:
    registered = {m for m in _imported(SOURCES / "_builtin.py") if m.startswith("pockit.sources._")}
    assert {"pockit.sources._focus", "pockit.sources._prometheus"} <= registered
    assert not _imported(SOURCES / "_registry.py") & (registered | {"pockit.sources._builtin"})


def _order_after(first_import: str) -> list[str]:
    code = f"{first_import}\nfrom pockit.sources import readers\nimport json\nprint(json.dumps(list(readers())))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return list(json.loads(out.stdout))


def test_the_sniffing_order_does_not_depend_on_what_was_imported_first() -> None:
    fresh = _order_after("")
    assert fresh == list(readers())
    assert _order_after("from pockit.sources import write_focus_export") == fresh
    assert _order_after("import pockit.sources._cur") == fresh


def test_every_spec_metrics_kind_is_a_registered_source() -> None:
    kinds = typing.get_args(typing.get_type_hints(MetricSource)["kind"])
    assert set(kinds) == set(METRICS_READERS)
    # the saved-file source takes any path no other source takes: exactly one does
    assert [r.name for r in METRICS_READERS.values() if r.selects is None] == ["file"]


def test_read_metrics_picks_the_source_by_its_name() -> None:
    with pytest.raises(UsageError, match="CloudWatch needs queries="):
        read_metrics("cloudwatch")
    with pytest.raises(UsageError, match="Prometheus needs query="):
        read_metrics("http://127.0.0.1:9")
    with pytest.raises(SourceError, match="no such metrics file"):
        read_metrics("/nonexistent/metrics.json")


def test_a_registry_refuses_a_second_entry_of_the_same_name() -> None:
    reg = Registry[int]("thing")
    reg.add("a", 1)
    reg.add("b", 2)
    with pytest.raises(ValueError, match="thing 'a' is registered already"):
        reg.add("a", 3)
    reg.add("a", 3, replace=True)
    assert reg.names() == ("a", "b") and reg["a"] == 3 and reg.get("c") is None
    reg.add("c", 4)
    reg.put_first(("c", "b", "unknown"))
    assert reg.names() == ("c", "b", "a")
