"""Run folders: decide / report / stats find run directories at any depth below a folder, and say
which nested folders they did not search and why (issue 13 item 6)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pockit._errors import InputError
from pockit._rundir import RUN_SEARCH_DEPTH, find_runs, open_runs
from tests.analysis.helpers import make_run

SPEC = """
name: t
hypothesis: h
candidates:
  - {name: base, host: "http://127.0.0.1:1"}
  - {name: fast, host: "http://127.0.0.1:2"}
load: {locustfile: l.py}
criteria:
  - {metric: success_rate, op: ">=", threshold: 0.5}
"""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pockit", *args], capture_output=True, text=True, timeout=60
    )


def _spec(folder: Path) -> Path:
    (folder / "l.py").write_text("")
    spec = folder / "poc.yaml"
    spec.write_text(SPEC)
    return spec


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """runs/ as a fresh checkout has it after `pockit demo` and a direct run: nested and direct."""
    rng = np.random.default_rng(1)
    root = tmp_path / "runs"
    make_run(root / "demo-20261130T000000Z" / "runs", "base", rng.lognormal(3, 0.2, 200))
    make_run(root, "fast", rng.lognormal(2.5, 0.2, 200))
    (root / "demo-20261130T000000Z" / "billing").mkdir()
    return root


def test_runs_are_found_below_nested_folders(tree: Path) -> None:
    runs = open_runs([tree], skipped=[])
    assert sorted(r.candidate for r in runs) == ["base", "fast"]


def test_cli_decide_and_stats_read_nested_runs(tree: Path, tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    decided = _cli("decide", str(spec), str(tree), "--json")
    assert decided.returncode == 0, decided.stderr
    stats = _cli("stats", str(tree), "--json")
    assert stats.returncode == 0, stats.stderr
    assert '"n": 400' in stats.stdout


def test_symlinks_and_too_deep_folders_are_named_not_followed(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    root = tmp_path / "runs"
    make_run(root, "base", rng.lognormal(3, 0.2, 100))
    elsewhere = tmp_path / "elsewhere"
    make_run(elsewhere, "fast", rng.lognormal(3, 0.2, 100))
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    deep = root.joinpath(*[f"l{i}" for i in range(RUN_SEARCH_DEPTH)])
    make_run(deep, "fast", rng.lognormal(3, 0.2, 100))

    found, skipped = find_runs(root)
    assert [p.parent for p in found] == [root]
    assert any("linked: a symbolic link, not followed" in s for s in skipped), skipped
    assert any(f"more than {RUN_SEARCH_DEPTH} levels below" in s for s in skipped), skipped
    with pytest.warns(UserWarning, match="symbolic link"):
        open_runs([root])

    spec = _spec(tmp_path)
    out = _cli("decide", str(spec), str(root))
    assert out.returncode == 0, out.stderr
    assert "skipped" in out.stderr and "symbolic link, not followed" in out.stderr


def test_a_folder_with_only_skipped_runs_says_why(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    elsewhere = tmp_path / "elsewhere"
    make_run(elsewhere, "fast", rng.lognormal(3, 0.2, 50))
    root = tmp_path / "runs"
    root.mkdir()
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(InputError, match="symbolic link"):
        open_runs([root], skipped=[])


def test_stats_by_endpoint_is_a_table_of_its_own(tree: Path) -> None:
    out = _cli("stats", str(tree), "--by-endpoint")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    head, _, endpoints = text.partition("by endpoint (all candidates pooled):")
    assert endpoints, text
    # candidate rows above, endpoint rows below; no endpoint row indented under a candidate
    assert "/api/items" not in head and "/api/items" in endpoints
    assert not any(line.startswith("  /") for line in text.splitlines())
