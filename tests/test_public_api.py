"""The public surface is exactly ``__all__``, every name resolves, and importing has no side effects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pockit


def test_all_is_the_public_surface() -> None:
    public = {name for name in dir(pockit) if not name.startswith("_")}
    assert public == set(pockit.__all__) - {"__version__"}


def test_every_public_name_resolves() -> None:
    for name in pockit.__all__:
        assert getattr(pockit, name) is not None, name


def test_import_is_light_and_has_no_side_effects(tmp_path: Path) -> None:
    code = (
        "import sys, json, os\n"
        "before = set(os.listdir('.'))\n"
        "import pockit\n"
        "heavy = [m for m in ('locust', 'gevent', 'matplotlib', 'papermill', 'boto3', 'polars', 'pandas')"
        " if m in sys.modules]\n"
        "print(json.dumps({'heavy': heavy, 'new_files': sorted(set(os.listdir('.')) - before)}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout)
    assert result == {"heavy": [], "new_files": []}


def test_gevent_is_never_patched_by_pockit_modules_a_notebook_uses() -> None:
    code = (
        "import pockit, sys\n"
        "for name in ('load_spec', 'run_candidate', 'run_stats', 'decide', 'build_report', 'read_billing'):\n"
        "    getattr(pockit, name)\n"
        "assert 'locust' not in sys.modules, 'locust imported into the kernel'\n"
        "import socket\n"
        "assert 'gevent' not in type(socket.socket).__module__\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_all_matches_the_export_table() -> None:
    assert set(pockit.__all__) == set(pockit._EXPORTS) | {"__version__"}


def test_the_version_lives_in_one_place() -> None:
    """pyproject takes the version from pockit/__init__.py; the CHANGELOG's newest entry names it."""
    import re
    from importlib import metadata

    repo = Path(__file__).resolve().parent.parent
    assert 'dynamic = ["version"]' in (repo / "pyproject.toml").read_text()
    assert metadata.version("pockit") == pockit.__version__
    changelog = (repo / "CHANGELOG.md").read_text()
    newest = re.search(r"^## \[?([0-9][^\]\s]*)", changelog, re.M)
    assert newest is not None and newest.group(1) == pockit.__version__


def test_reading_a_spec_loads_no_dataframe_library(tmp_path: Path) -> None:
    """``pockit validate`` and ``load_spec`` in a notebook read the metric registry, whose modules
    compute with polars: the frames load when a criterion is judged, not when a spec is read."""
    code = (
        "import sys, json\n"
        "import pockit.spec, pockit.criteria\n"
        "print(json.dumps([m for m in ('polars', 'pandas', 'scipy', 'matplotlib') if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == []
