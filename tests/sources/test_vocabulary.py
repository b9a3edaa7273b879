"""One vocabulary for billing formats and cost columns: the spec, ``pockit cost`` and the README
accept the same names (issue 13, item 3)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pockit._errors import SpecError
from pockit._vocabulary import BILLING_FORMATS, COST_CHOICES, FORMAT_ALIASES
from pockit.sources import readers
from pockit.spec import parse_spec

REPO = Path(__file__).resolve().parents[2]
BILLING = REPO / "datasets" / "billing"


def _cost(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pockit", "cost", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def test_every_format_name_is_a_registered_reader() -> None:
    regs = readers()
    for name in (*BILLING_FORMATS, *FORMAT_ALIASES.values()):
        assert name in regs, name
    assert not set(FORMAT_ALIASES) & set(BILLING_FORMATS)


def test_cur_legacy_is_cur_csv_on_the_command_line() -> None:
    legacy = _cost(str(BILLING / "cur-legacy.csv"), "--format", "cur-legacy")
    csv = _cost(str(BILLING / "cur-legacy.csv"), "--format", "cur-csv")
    assert legacy.returncode == 0, legacy.stderr
    assert json.loads(legacy.stdout)["total"] == json.loads(csv.stdout)["total"]
    unblended = _cost(
        str(BILLING / "cur-legacy.csv"), "--format", "cur-legacy", "--cost", "unblended"
    )
    assert unblended.returncode == 0, unblended.stderr


def test_cost_explorer_format_reads_a_saved_response() -> None:
    out = _cost(str(BILLING / "cost-explorer-response.json"), "--format", "cost-explorer")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["total"] > 0


def test_an_unknown_format_lists_the_vocabulary() -> None:
    out = _cost(str(BILLING / "focus-sample.csv"), "--format", "cur3")
    assert out.returncode == 64
    assert all(name in out.stderr for name in (*BILLING_FORMATS, *FORMAT_ALIASES))


def _spec(tmp_path: Path, cost: str) -> str:
    (tmp_path / "l.py").write_text("")
    return (
        "name: t\nhypothesis: h\ncandidates: [{name: a, host: 'http://127.0.0.1:1'}]\n"
        "load: {locustfile: l.py}\n"
        "criteria: [{metric: success_rate, op: '>=', threshold: 0.9}]\n"
        f"cost: {cost}\n"
    )


@pytest.mark.parametrize("fmt", [*BILLING_FORMATS, *FORMAT_ALIASES])
def test_the_spec_accepts_every_format_name(tmp_path: Path, fmt: str) -> None:
    text = _spec(tmp_path, f"{{source: athena://db.t, format: {fmt}}}")
    assert parse_spec(text, path=tmp_path / "poc.yaml").cost.format == fmt  # type: ignore[union-attr]


@pytest.mark.parametrize("column", COST_CHOICES)
def test_the_spec_accepts_every_cost_column(tmp_path: Path, column: str) -> None:
    text = _spec(tmp_path, f"{{source: athena://db.t, column: {column}}}")
    assert parse_spec(text, path=tmp_path / "poc.yaml").cost.column == column  # type: ignore[union-attr]


def test_the_spec_refuses_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cost.format"):
        parse_spec(
            _spec(tmp_path, "{source: athena://db.t, format: cur3}"), path=tmp_path / "poc.yaml"
        )


def test_the_readme_uses_the_same_names() -> None:
    readme = (REPO / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `cost.format`"))
    assert set(re.findall(r"`([a-z0-9-]+)`", re.split(r"(?<!\\)\|", row)[2])) == {
        *BILLING_FORMATS,
        *FORMAT_ALIASES,
    }
    row = next(line for line in readme.splitlines() if line.startswith("| `cost.column`"))
    assert set(re.findall(r"`([a-z]+)`", re.split(r"(?<!\\)\|", row)[2])) == set(COST_CHOICES)
    table = readme.split("`pockit cost` and `cost.source` read")[1].split("\n\n")[1]
    names = re.findall(r"^\| `([a-z0-9-]+)` \|", table, re.M)
    assert names == list(BILLING_FORMATS)
