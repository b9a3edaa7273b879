"""pockit.sources: the public surface is exactly __all__, and importing it is light."""

from __future__ import annotations

import subprocess
import sys

import pockit.sources


def test_all_is_the_export_table() -> None:
    assert pockit.sources.__all__ == sorted(pockit.sources._EXPORTS)
    for name in pockit.sources.__all__:
        assert getattr(pockit.sources, name) is not None


def test_import_pulls_in_no_heavy_libraries() -> None:
    code = "import sys, pockit.sources; print(sorted(m for m in ('polars','boto3','pandas','matplotlib') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_registry_lists_every_format() -> None:
    names = set(pockit.sources.readers())
    assert {
        "focus",
        "cur2",
        "cur-csv",
        "cur-athena",
        "cost-explorer",
        "cost-explorer-json",
        "athena",
    } <= names
