"""The run-directory contract itself: one definition (pockit/_contract/) that every writer and
reader uses, run.json checked on open, and the README's tables generated from it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pockit._contract import (
    RUN_KEYS,
    SCHEMA_VERSION,
    EventKind,
    RunStatus,
    StopCode,
    check_event,
    contract_markdown,
)
from pockit._errors import InputError
from pockit._rundir import RunDir, iso
from tests.analysis.helpers import T0, make_run
from tests.contract.checks import risk_items

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "pockit"
CONTRACT = PACKAGE / "_contract"

#: Strings that name an event kind: only pockit/_contract/ may spell them.
CONTRACT_WORDS = {k.value for k in EventKind}
#: Literal uses of those words that mean something else (file, the string, why).
NOT_THE_CONTRACT = {
    ("report/facts.py", "guardrail"),  # the risks section's label for what guardrails did
    ("report/plots/events.py", "phase"),  # the phase event's field of the same name
    ("report/render.py", "fault_end"),  # matched in a criterion's method text
}
#: run.json keys read by literal in files this change could not touch; fold into RunField use.
PENDING: set[str] = set()


def _violations() -> list[str]:
    found: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if CONTRACT in path.parents:
            continue
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in PENDING:
            continue
        source = path.read_text()
        tree = ast.parse(source)
        for node in ast.walk(tree):
            where = f"pockit/{rel}:{getattr(node, 'lineno', '?')}"
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value in CONTRACT_WORDS
                and (rel, node.value) not in NOT_THE_CONTRACT
            ):
                found.append(f"{where}: literal {node.value!r}; use EventKind / RunStatus")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = ast.unparse(node.func.value)
                if node.func.attr == "update_meta":
                    bad = [k.arg for k in node.keywords if k.arg and k.arg not in RUN_KEYS]
                    if bad:
                        found.append(f"{where}: update_meta({bad}) not in RunField")
                if node.func.attr == "get" and "meta" in owner and node.args:
                    key = node.args[0]
                    if isinstance(key, ast.Constant) and key.value in RUN_KEYS:
                        found.append(f"{where}: {owner}.get({key.value!r}); use RunField")
                if node.func.attr == "create" and owner == "RunDir":
                    for arg in node.args:
                        if isinstance(arg, ast.Dict) and any(
                            isinstance(k, ast.Constant) for k in arg.keys
                        ):
                            found.append(f"{where}: RunDir.create with literal keys; use RunField")
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                owner = ast.unparse(node.value)
                if "meta" in owner and node.slice.value in RUN_KEYS:
                    found.append(f"{where}: {owner}[{node.slice.value!r}]; use RunField")
    return found


def test_event_kinds_and_run_json_keys_are_spelled_only_in_the_contract() -> None:
    assert _violations() == []


def test_the_scan_would_catch_the_old_spelling(tmp_path: Path) -> None:
    """The scan is not vacuous: the reader that looked for ``idle_end`` and the risks code that
    read ``meta.get("stop_reason")`` are what it reports."""
    tree = ast.parse(
        'ends = [e for e in ev if e.get("kind") == "idle_gap_end"]\nmeta.get("stop_reason")'
    )
    consts = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    assert "idle_gap_end" in CONTRACT_WORDS and "stop_reason" in RUN_KEYS
    assert set(consts) & CONTRACT_WORDS and set(consts) & RUN_KEYS


def test_writers_cannot_invent_a_kind_or_a_field(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path, {"candidate": "a"})
    with pytest.raises(ValueError, match="idle_end"):
        run.add_event("idle_end")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not declared"):
        run.add_event(EventKind.GUARDRAIL, rule="max_rps", reason="typo'd field")
    with pytest.raises(ValueError, match="not in pockit._contract.RunField"):
        run.update_meta(why_stopped="nobody reads this")
    with pytest.raises(ValueError, match="missing"):
        check_event("idle_gap_end", {"gap": 0}, complete=True)
    assert run.record.schema == SCHEMA_VERSION and run.meta["schema"] == SCHEMA_VERSION


def test_a_run_directory_without_schema_opens_as_schema_1(tmp_path: Path) -> None:
    """Run directories written before the contract (no ``schema``, no ``stop_code``) still read."""
    path = tmp_path / "old-run"
    (path / "samples").mkdir(parents=True)
    old = {
        "id": "old-run",
        "candidate": "a",
        "start": "2026-01-05T10:00:00.000000Z",
        "end": "2026-01-05T10:01:00.000000Z",
        "status": "completed",
        "stop_reason": "duration reached",
        "repeat": 0,
    }
    (path / "run.json").write_text(json.dumps(old))
    rec = RunDir.open(path).record
    assert rec.schema == 1 and rec.stop_code is None and rec.status is RunStatus.COMPLETED


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("start", "yesterday", "ISO-8601"),
        ("start", 5, "ISO-8601"),
        ("end", 1767607200, "ISO-8601"),
        ("status", "done", "'completed'"),
        ("id", 7, "non-empty string"),
        ("repeat", "first", "integer"),
        ("schema", 99, "newer than this pockit"),
        ("stop_code", "bored", "'duration_reached'"),
        ("warnings", "one", "list"),
        ("load_generator_saturated", "yes", "true or false"),
    ],
)
def test_a_malformed_run_json_field_is_named(
    tmp_path: Path, field: str, value: object, expected: str
) -> None:
    run = make_run(tmp_path, "a", [10.0] * 5)
    meta = json.loads((run.path / "run.json").read_text())
    (run.path / "run.json").write_text(json.dumps({**meta, field: value}))
    with pytest.raises(InputError, match=expected) as info:
        RunDir.open(run.path)
    assert f"{run.path / 'run.json'}" in str(info.value)
    assert field in str(info.value)


SPEC = """
name: contract
hypothesis: h
candidates:
  - {name: a, host: "http://127.0.0.1:9"}
load: {locustfile: locustfile.py, users: 1, duration: 5s}
criteria:
  - {metric: latency_p95_ms, op: "<", threshold: 300}
"""


@pytest.mark.parametrize("start", ["yesterday", 1767607200])
def test_stats_and_decide_name_a_malformed_start(tmp_path: Path, start: object) -> None:
    """issue 11: run.json ``start: "yesterday"`` or a number was a traceback (exit 1, NO-GO)."""
    run = make_run(tmp_path / "runs", "a", [10.0] * 50)
    meta = json.loads((run.path / "run.json").read_text())
    (run.path / "run.json").write_text(json.dumps({**meta, "start": start}))
    (tmp_path / "poc.yaml").write_text(SPEC)
    (tmp_path / "locustfile.py").write_text("# never run: decide only reads the spec\n")
    for args in (["stats", str(run.path)], ["decide", str(tmp_path / "poc.yaml"), str(run.path)]):
        out = subprocess.run(
            [sys.executable, "-m", "pockit", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == InputError.exit_code, out.stderr
        assert "Traceback" not in out.stderr
        assert "run.json" in out.stderr and "'start'" in out.stderr


def test_readme_shows_the_contract_as_the_code_defines_it() -> None:
    readme = (REPO / "README.md").read_text()
    assert contract_markdown() in readme, "run `python -m pockit._contract` and paste its tables"
    for kind in EventKind:
        assert f"| `{kind.value}` |" in readme


def test_risks_name_an_event_kind_outside_the_contract(tmp_path: Path) -> None:
    run = make_run(tmp_path, "a", [10.0] * 2000)
    with run.events_path.open("a") as fh:  # another tool's event: kept, and said
        fh.write(json.dumps({"ts": iso(T0), "kind": "gc_pause", "ms": 40}) + "\n")
    run.update_meta(stop_code=StopCode.DURATION_REACHED)
    assert risk_items(run) == {
        "events": [f"{run.id}: event kind 'gc_pause' is not in run-directory schema 1; ignored"]
    }
