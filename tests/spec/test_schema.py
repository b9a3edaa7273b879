"""The spec's JSON Schema: `pockit schema` prints the committed file, and it agrees with the loader.

Every spec in the repository the loader accepts (examples, the demo's, the README's, the tests'
fixtures) validates against the schema; specs the loader refuses for an unknown key, a bad op or
metric, or a missing required field are refused by the schema too.
"""

from __future__ import annotations

import ast
import copy
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from pockit import SpecError, parse_spec
from pockit.demo._run import write_demo_spec  # the demo's spec, as `pockit demo` writes it
from pockit.spec import FIXED_METRICS, metric_is_known, spec_schema

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "schema" / "poc.schema.json"


def _validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(spec_schema())


def _schema_errors(data: Any) -> list[str]:
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _validator().iter_errors(data)
    ]


def _loader_accepts(text: str, tmp_path: Path) -> bool:
    try:
        parse_spec(text, path=tmp_path / "poc.yaml")
    except SpecError:
        return False
    return True


def test_pockit_schema_prints_the_committed_file() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pockit", "schema"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == COMMITTED.read_text(), (
        "schema/poc.schema.json is stale: run `pockit schema > schema/poc.schema.json`"
    )


def test_schema_is_draft_07_and_well_formed() -> None:
    schema = spec_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)


def _readme_specs() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    return [(f"README.md yaml block {i}", b) for i, b in enumerate(blocks) if "\ncandidates:" in b]


def _test_fixture_specs() -> list[tuple[str, str]]:
    """Every plain string literal in tests/ that reads as a spec (a mapping with candidates)."""
    out = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if "candidates:" not in node.value or "hypothesis:" not in node.value:
                    continue
                try:
                    data = yaml.safe_load(node.value)
                except yaml.YAMLError:
                    continue
                if isinstance(data, dict) and "candidates" in data:
                    out.append((f"{path.relative_to(ROOT)}:{node.lineno}", node.value))
    return out


def _repo_specs(tmp_path: Path) -> list[tuple[str, str]]:
    files = [
        (str(p.relative_to(ROOT)), p.read_text()) for p in sorted(ROOT.glob("examples/**/*.yaml"))
    ]
    demo = write_demo_spec(
        tmp_path / "demo.yaml",
        {"baseline": "http://127.0.0.1:8081", "async": "http://127.0.0.1:8082"},
        duration_s=20,
        users=5,
        prometheus_url="http://127.0.0.1:9090",
    )
    return [*files, ("the demo's spec", demo.read_text()), *_readme_specs(), *_test_fixture_specs()]


def test_every_spec_the_loader_accepts_in_the_repository_validates(tmp_path: Path) -> None:
    specs = _repo_specs(tmp_path)
    accepted = [(where, text) for where, text in specs if _loader_accepts(text, tmp_path)]
    names = [where for where, _ in accepted]
    # the corpus is what it claims: the example, the demo, the README's and many test fixtures
    assert "examples/checkout/poc.yaml" in names and "the demo's spec" in names
    assert any(n.startswith("README.md") for n in names)
    assert sum(n.startswith("tests/") for n in names) >= 5
    wrong = {
        where: errs for where, text in accepted if (errs := _schema_errors(yaml.safe_load(text)))
    }
    assert not wrong, wrong


def _example() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "examples" / "checkout" / "poc.yaml").read_text())
    assert isinstance(data, dict)
    return data


def _refusals() -> list[tuple[str, dict[str, Any]]]:
    base = _example()
    cases = []

    def case(name: str, change: Any) -> None:
        data = copy.deepcopy(base)
        change(data)
        cases.append((name, data))

    case("unknown top-level key", lambda d: d.update(critera=[]))
    case("misspelt criterion key", lambda d: d["criteria"][0].update(threshhold=1))
    case("unknown load key", lambda d: d["load"].update(userz=3))
    case("bad op", lambda d: d["criteria"][0].update(op="=>"))
    case("unknown metric", lambda d: d["criteria"][0].update(metric="latency_ms"))
    case("latency_p0_ms", lambda d: d["criteria"][0].update(metric="latency_p0_ms"))
    case("latency_p100_ms", lambda d: d["criteria"][0].update(metric="latency_p100_ms"))
    case("missing hypothesis", lambda d: d.pop("hypothesis"))
    case("missing threshold", lambda d: d["criteria"][0].pop("threshold"))
    case("host without a scheme", lambda d: d["candidates"][0].update(host="127.0.0.1:8081"))
    case("bad duration", lambda d: d["load"].update(duration="90 seconds"))
    case("zero spawn rate", lambda d: d["load"].update(spawn_rate=0))
    case("bad shape kind", lambda d: d["load"].update(shape={"kind": "ramp"}))
    case("latency fault without value", lambda d: d.update(faults=[{"kind": "latency", "at": 5}]))
    case("model cost without price book", lambda d: d.update(cost={"source": "model"}))
    return cases


@pytest.mark.parametrize("name,data", _refusals(), ids=[n for n, _ in _refusals()])
def test_what_the_loader_refuses_the_schema_refuses(
    name: str, data: dict[str, Any], tmp_path: Path
) -> None:
    text = yaml.safe_dump(data)
    assert not _loader_accepts(text, tmp_path), f"{name}: the loader should refuse it"
    assert _schema_errors(data), f"{name}: the schema accepts what the loader refuses"


@pytest.mark.parametrize(
    "metric",
    [
        *FIXED_METRICS,
        "latency_p95_ms",
        "latency_p99.9_ms",
        "latency_p50_intended_ms",
        "latency_p0_ms",
        "latency_p0.0_ms",
        "latency_p100_ms",
        "latency_p95",
        "server:cpu_seconds",
        "server:",
        "throughput",
    ],
)
def test_schema_metric_names_agree_with_the_loader(metric: str) -> None:
    data = _example()
    data["criteria"][0]["metric"] = metric
    assert (not _schema_errors(data)) == metric_is_known(metric)


def test_the_readme_field_table_and_the_schema_name_the_same_fields() -> None:
    text = (ROOT / "README.md").read_text()
    table = text[text.index("### Every field") :]
    table = table[: table.index("\n### ")]
    documented: set[str] = set()
    rows = [
        re.split(r"(?<!\\)\|", line)[1:3] for line in table.splitlines() if line.startswith("| `")
    ]
    for cell, kind in rows:
        names = re.findall(r"`([^`]+)`", cell)
        parent = names[0].rsplit(".", 1)[0] if "." in names[0] else ""
        documented |= {names[0].removesuffix("[]")}
        documented |= {f"{parent}.{n}" for n in names[1:]}
        # a list of small mappings lists its keys in the type column: `{at, pause, probe}`
        for keys in re.findall(r"`\{([^}]*)\}`", kind):
            documented |= {f"{names[0]}.{k.strip()}" for k in keys.split(",")}
    in_schema = set(_paths(spec_schema(), ""))
    assert documented - in_schema == set(), "README fields the schema lacks"
    assert in_schema - documented - _SECTIONS == set(), "schema fields the README table lacks"


#: Sections the README table documents only through their fields.
_SECTIONS = {"load", "load.shape", "cost", "guardrails", "baseline", "slo", "decision"}


def _paths(schema: dict[str, Any], prefix: str) -> list[str]:
    out = []
    for key, sub in schema.get("properties", {}).items():
        path = f"{prefix}.{key}" if prefix else key
        out.append(path)
        out += _paths(sub, path)
        if sub.get("type") == "array" and isinstance(sub.get("items"), dict):
            out += _paths(sub["items"], f"{path}[]")
    return out


def test_every_field_has_a_description() -> None:
    def walk(schema: dict[str, Any], path: str) -> list[str]:
        missing = []
        for key, sub in schema.get("properties", {}).items():
            where = f"{path}.{key}" if path else key
            if not sub.get("description"):
                missing.append(where)
            missing += walk(sub, where) + walk(sub.get("items") or {}, where)
        return missing

    assert walk(spec_schema(), "") == []
