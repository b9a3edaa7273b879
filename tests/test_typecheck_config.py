"""``make typecheck`` checks every Python file in the repository, tests included (issue 10).

mypy reads its file list from pyproject.toml; a new top-level folder of Python, or a list cut
back to ``pockit``, would quietly leave code unchecked. This keeps the list whole and strict.
"""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _mypy_config() -> dict[str, object]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert isinstance(config, dict)
    return config


def test_mypy_checks_every_tracked_python_tree() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked, "git lists no Python files: not a checkout?"
    trees = {Path(f).parts[0] for f in tracked if len(Path(f).parts) > 1}
    checked = _mypy_config().get("files")
    assert isinstance(checked, list)
    assert trees <= set(checked), f"mypy does not check {sorted(trees - set(checked))}"
    assert not [f for f in tracked if len(Path(f).parts) == 1], "a .py at the top is unchecked"


def test_tests_are_as_strict_as_the_package() -> None:
    config = _mypy_config()
    assert config.get("strict") is True
    overrides = config.get("overrides", [])
    assert isinstance(overrides, list)
    for override in overrides:
        modules = override["module"]
        names = [modules] if isinstance(modules, str) else modules
        ours = [m for m in names if m.split(".")[0] in {"pockit", "tests"}]
        assert not ours, f"an override loosens mypy for {ours}: {override}"
