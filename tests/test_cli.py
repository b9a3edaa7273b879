"""The ``pockit`` command as a user runs it: a real subprocess, an expected exit code, a timeout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.spec.test_spec import GOOD

POCKIT = [sys.executable, "-m", "pockit"]


def pockit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*POCKIT, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_help_lists_every_command() -> None:
    out = pockit("--help")
    assert out.returncode == 0
    for name in (
        "demo",
        "validate",
        "run",
        "stats",
        "cost",
        "decide",
        "report",
        "import",
        "batch",
        "worker",
    ):
        assert name in out.stdout


def test_no_command_is_a_usage_error() -> None:
    assert pockit().returncode == 64


def test_bad_option_is_64_not_2() -> None:
    # argparse's own exit 2 would read as INCONCLUSIVE; pockit uses 64 for usage errors.
    assert pockit("validate").returncode == 64


def test_validate_ok(tmp_path: Path) -> None:
    (tmp_path / "locustfile.py").write_text("")
    (tmp_path / "poc.yaml").write_text(GOOD)
    out = pockit("validate", str(tmp_path / "poc.yaml"), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["ok"] is True and data["errors"] == []
    assert data["candidates"] == ["baseline", "async"]


def test_validate_reports_fields_in_json_and_text(tmp_path: Path) -> None:
    (tmp_path / "locustfile.py").write_text("")
    (tmp_path / "poc.yaml").write_text(
        GOOD.replace('op: "<", threshold: 300', 'op: "<<", threshold: 300')
    )
    out = pockit("validate", str(tmp_path / "poc.yaml"), "--json")
    assert out.returncode == 65
    data = json.loads(out.stdout)
    assert data["ok"] is False
    assert data["errors"][0]["field"] == "criteria[0].op"
    assert data["errors"][0]["line"] == 17
    assert "criteria[0].op: expected one of < <= > >=" in out.stderr
    text = pockit("validate", str(tmp_path / "poc.yaml"))
    assert text.returncode == 65
    assert "criteria[0].op: expected one of < <= > >=" in text.stderr
    assert text.stdout == ""


def test_validate_notes_dangling_references(tmp_path: Path) -> None:
    """A billing file not there yet, a criterion no run of this spec can produce data for: notes
    (exit 0, the spec is valid), so nobody learns it first from an INCONCLUSIVE after the runs."""
    (tmp_path / "locustfile.py").write_text("")
    spec = GOOD.replace(
        "  - {metric: cost_per_1k_usd",
        "  - {metric: recovery_s, op: '<=', threshold: 5}\n"
        "  - {metric: error_budget_burn, op: '<=', threshold: 1}\n"
        "  - {metric: cost_per_1k_usd",
    )
    (tmp_path / "poc.yaml").write_text(spec)
    out = pockit("validate", str(tmp_path / "poc.yaml"), "--json")
    assert out.returncode == 0, out.stderr
    notes = json.loads(out.stdout)["notes"]
    assert any(n.startswith("cost.source: no such file") and "billing.csv" in n for n in notes)
    assert any("recovery_s" in n and "no faults" in n for n in notes)
    assert any("error_budget_burn" in n and "slo.target" in n for n in notes)
    (tmp_path / "billing.csv").write_text("")
    later = json.loads(pockit("validate", str(tmp_path / "poc.yaml"), "--json").stdout)["notes"]
    assert not any(n.startswith("cost.source") for n in later)  # once the export is there
    assert (
        "note        criterion recovery_s" in pockit("validate", str(tmp_path / "poc.yaml")).stdout
    )


def test_report_refuses_a_negative_cell_timeout_before_any_work(tmp_path: Path) -> None:
    spec = tmp_path / "poc.yaml"
    spec.write_text(GOOD)
    proc = pockit(
        "report",
        str(spec),
        str(tmp_path),
        "--out",
        str(tmp_path / "r.html"),
        "--cell-timeout",
        "-5",
    )
    assert proc.returncode == 64, proc.stderr
    assert "--cell-timeout -5" in proc.stderr and not (tmp_path / "r.html").exists()
