"""Rows of the README that issue 13 found untrue, each held by a test: the exit codes of a guardrail
refusal (a host outside allowed_hosts is an invalid spec, 65; an override past a cap is 67)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAD = "name: t\nhypothesis: h\nload: {locustfile: l.py, duration: 2s}\n"
CRIT = "criteria: [{metric: success_rate, op: '>=', threshold: 0.9}]\n"


def _run(tmp: Path, spec: str, *extra: str) -> subprocess.CompletedProcess[str]:
    (tmp / "l.py").write_text("")
    (tmp / "poc.yaml").write_text(spec)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pockit",
            "run",
            str(tmp / "poc.yaml"),
            "--runs-dir",
            str(tmp / "r"),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_guardrail_exit_codes_are_the_readme_s(tmp_path: Path) -> None:
    outside = _run(tmp_path, HEAD + CRIT + "candidates: [{name: a, host: 'http://10.1.2.3'}]\n")
    assert outside.returncode == 65 and "allowed_hosts" in outside.stderr
    over = _run(
        tmp_path,
        HEAD
        + CRIT
        + "candidates: [{name: a, host: 'http://127.0.0.1:9'}]\nguardrails: {max_users: 10}\n",
        "--users",
        "50",
    )
    assert over.returncode == 67 and "max_users" in over.stderr
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())
    readme = (REPO / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `pockit run SPEC"))
    assert "invalid spec (65" in row and "67 when a command-line override" in row


def test_a_server_metric_without_its_source_is_refused(tmp_path: Path) -> None:
    import pytest

    from pockit._errors import SpecError
    from pockit.spec import parse_spec

    (tmp_path / "l.py").write_text("")
    text = (
        HEAD
        + "candidates: [{name: a, host: 'http://127.0.0.1:9'}]\n"
        + "metrics: [{kind: file, name: server_p95_ms, path: m.json}]\n"
        + "criteria: [{metric: 'server:server_p59_ms', op: '<', threshold: 9}]\n"
    )
    with pytest.raises(SpecError, match=r"no metrics source named 'server_p59_ms'.*server_p95_ms"):
        parse_spec(text, path=tmp_path / "poc.yaml")
