"""run.json from another tool or machine with times that are not times: exit 65 naming the field,
not a traceback that exits 1 (NO-GO)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import pockit.cli
from tests.report.conftest import SPEC_TEXT, make_run


@pytest.mark.parametrize(
    ("field", "value"),
    [("start", "yesterday"), ("start", 1764136800), ("end", True), ("end", "2026-13-45")],
)
@pytest.mark.parametrize("command", ["stats", "decide"])
def test_run_json_times_that_are_not_times(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, field: str, value: Any
) -> None:
    run = make_run(tmp_path / "runs", "baseline", n=30, seconds=2)
    meta = json.loads((run.path / "run.json").read_text())
    (run.path / "run.json").write_text(json.dumps({**meta, field: value}))
    (tmp_path / "locustfile.py").write_text("x = 1\n")
    spec = tmp_path / "poc.yaml"
    spec.write_text(SPEC_TEXT.format(locustfile=tmp_path / "locustfile.py"))
    argv = [command, str(run.path)] if command == "stats" else [command, str(spec), str(run.path)]
    code = pockit.cli.main(argv)
    err = capsys.readouterr().err
    assert code == 65, err
    assert f"run.json: field '{field}'" in err and repr(value) in err and "Traceback" not in err


def test_run_json_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = make_run(tmp_path / "runs", "baseline", n=30, seconds=2)
    (run.path / "run.json").write_bytes(b'{"id": "\xff\xfe"}')
    assert pockit.cli.main(["stats", str(run.path)]) == 65
    assert "not valid JSON" in capsys.readouterr().err
