"""Hostile and odd specs: each is refused at validation with the field and line, quickly, never a traceback.

Every case here was reproduced on main before its fix (issue 11): argv smuggled through
``load.user_classes``, ``.nan`` disabling a cap, ``latency_p0_ms`` always passing, a second
``criteria:`` silently replacing the first, a 460-byte alias bomb keeping ``validate`` busy for
minutes, 5,000 nested ``[`` raising RecursionError, ``tags: {poc: true}`` becoming ``"True"``, and
control characters (a CR/LF in the spec name crashed the email writer).
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pockit import SpecError, load_spec, parse_spec
from pockit.spec import latency_quantile, parse_duration
from pockit.spec._yaml import MAX_YAML_ALIASES, MAX_YAML_DEPTH
from tests.spec.test_spec import GOOD, errors_of, write

POCKIT = [sys.executable, "-m", "pockit"]


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*POCKIT, "validate", str(path)], capture_output=True, text=True, timeout=60
    )


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def refused(tmp_path: Path, text: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, text))
    return info.value


# --- user_classes: Locust argv -----------------------------------------------------------------


def test_user_classes_cannot_smuggle_locust_options(tmp_path: Path) -> None:
    smuggled = '  user_classes: [Web, -u, "20", -r, "20", --csv, /elsewhere/stats]\n'
    text = GOOD.replace("  repeats: 3\n", "  repeats: 3\n" + smuggled)
    err = refused(tmp_path, text)
    by_field = {e.field: e for e in err.errors}
    line = line_of(text, "user_classes")
    for i, entry in [(1, "-u"), (2, "20"), (3, "-r"), (5, "--csv"), (6, "/elsewhere/stats")]:
        e = by_field[f"load.user_classes[{i}]"]
        assert "identifier" in e.message and repr(entry) in e.message
        assert e.line == line
    assert "load.user_classes[0]" not in by_field  # Web is a fine class name
    out = validate(write(tmp_path, text))
    assert out.returncode == 65, out.stderr
    assert "load.user_classes[1]" in out.stderr and "Traceback" not in out.stderr


def test_user_classes_that_are_identifiers_pass(tmp_path: Path) -> None:
    text = GOOD.replace("  repeats: 3\n", "  repeats: 3\n  user_classes: [WebUser, Api_2]\n")
    load = load_spec(write(tmp_path, text)).load
    assert load is not None and load.user_classes == ("WebUser", "Api_2")


# --- numbers: finite, positive where that is their meaning -------------------------------------

GUARD = "  allowed_hosts: [127.0.0.1, localhost]\n"
REPEATS = "  repeats: 3\n"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        (GUARD, GUARD + "  max_rps: .nan\n", "guardrails.max_rps"),
        (GUARD, GUARD + "  max_rps: .inf\n", "guardrails.max_rps"),
        (GUARD, GUARD + "  max_duration: .nan\n", "guardrails.max_duration"),
        (GUARD, GUARD + "  max_budget_usd: .nan\n", "guardrails.max_budget_usd"),
        ("duration: 1m30s", "duration: .nan", "load.duration"),
        ("duration: 1m30s", "duration: .inf", "load.duration"),
        ("duration: 1m30s", "duration: 0", "load.duration"),
        ("duration: 1m30s", "duration: 1.0e+400", "load.duration"),
        ("spawn_rate: 10", "spawn_rate: .inf", "load.spawn_rate"),
        (REPEATS, REPEATS + "  cooldown: .nan\n", "load.cooldown"),
        ("threshold: 300", "threshold: .nan", "criteria[0].threshold"),
        ("threshold: 300", "threshold: -.inf", "criteria[0].threshold"),
        ("threshold: 300", f"threshold: 1{'0' * 400}", "criteria[0].threshold"),
        ("threshold: 300", "threshold: 300, warn: .nan", "criteria[0].warn"),
        ("threshold: 300", "threshold: 300, weight: .inf", "criteria[0].weight"),
        (
            REPEATS,
            REPEATS + "  shape: {kind: arrival_rate, rate: .nan}\n",
            "load.shape.rate",
        ),
        (
            REPEATS,
            REPEATS + "  shape: {kind: stages, stages: [{duration: .inf, users: 5}]}\n",
            "load.shape.stages[0].duration",
        ),
        (
            REPEATS,
            REPEATS + "  shape: {kind: stages, stages: [{duration: 0, users: 5}]}\n",
            "load.shape.stages[0].duration",
        ),
        (REPEATS, REPEATS + "  idle_gaps: [{at: 10, pause: .nan}]\n", "load.idle_gaps[0].pause"),
        (REPEATS, REPEATS + "  idle_gaps: [{at: .nan, pause: 5}]\n", "load.idle_gaps[0].at"),
    ],
)
def test_non_finite_and_zero_numbers_are_refused(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    assert old in GOOD
    errs = errors_of(tmp_path, GOOD.replace(old, new, 1))
    assert "finite" in errs[field] or "> 0" in errs[field], errs


@pytest.mark.parametrize(
    ("fault", "field"),
    [
        ("{kind: latency, at: .nan, value: 200}", "faults[0].at"),
        ("{kind: latency, at: 5, duration: .inf, value: 200}", "faults[0].duration"),
        ("{kind: latency, at: 5, value: .nan}", "faults[0].value"),
        ("{kind: latency, at: 5, value: -200}", "faults[0].value"),
        ("{kind: error_rate, at: 5, value: 1.5}", "faults[0].value"),
    ],
)
def test_fault_numbers_are_finite_and_meaningful(tmp_path: Path, fault: str, field: str) -> None:
    errs = errors_of(tmp_path, GOOD + f"faults:\n  - {fault}\n")
    assert any(word in errs[field] for word in ("finite", ">= 0", "from 0 to 1")), errs


def test_metric_step_and_margins_are_finite(tmp_path: Path) -> None:
    text = GOOD + (
        "metrics:\n  - {kind: file, name: cw, path: cw.json, step: .nan}\n"
        "baseline: {candidate: baseline, margin: .nan}\n"
        "slo: {target: .inf}\n"
    )
    errs = errors_of(tmp_path, text)
    assert {"metrics[0].step", "baseline.margin", "slo.target"} <= set(errs)


def test_nan_max_rps_no_longer_disables_the_cap(tmp_path: Path) -> None:
    text = GOOD.replace(GUARD, GUARD + "  max_rps: .nan\n").replace(
        REPEATS, REPEATS + "  shape: {kind: arrival_rate, rate: 1000000}\n"
    )
    out = validate(write(tmp_path, text))
    assert out.returncode == 65
    assert "guardrails.max_rps" in out.stderr and "finite" in out.stderr


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "nan", "inf", "9" * 400])
def test_durations_are_finite(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


# --- percentiles in (0, 100) -------------------------------------------------------------------


@pytest.mark.parametrize(
    "metric",
    [
        "latency_p0_ms",
        "latency_p00_ms",
        "latency_p0.0_ms",
        "latency_p0_intended_ms",
        "latency_p100_ms",
        "latency_p100.0_ms",
        "latency_p250_ms",
    ],
)
def test_percentiles_outside_0_100_are_refused(tmp_path: Path, metric: str) -> None:
    text = GOOD.replace("metric: latency_p95_ms", f"metric: {metric}")
    err = {e.field: e for e in refused(tmp_path, text).errors}["criteria[0].metric"]
    assert "percentile" in err.message and "between 0 and 100" in err.message
    assert err.line == line_of(text, metric)


def test_percentiles_inside_0_100_pass(tmp_path: Path) -> None:
    text = GOOD.replace("metric: latency_p95_ms", "metric: latency_p0.1_ms").replace(
        "metric: success_rate", "metric: latency_p99.99_intended_ms"
    )
    spec = load_spec(write(tmp_path, text))
    assert latency_quantile(spec.criteria[0].metric) == pytest.approx(0.001)
    assert latency_quantile("latency_p0_ms") is None  # decision/ treats it as unknown too


# --- duplicate keys ----------------------------------------------------------------------------


def test_second_criteria_block_is_a_duplicate_not_a_replacement(tmp_path: Path) -> None:
    text = GOOD + "criteria:\n  - {metric: error_rate, op: '<', threshold: 0.5}\n"
    first, second = line_of(text, "criteria:"), len(text.splitlines()) - 1
    (err,) = refused(tmp_path, text).errors
    assert err.field == "criteria" and err.line == second
    assert f"line {first}" in err.message and f"line {second}" in err.message


def test_duplicate_key_inside_a_candidate_names_the_field(tmp_path: Path) -> None:
    text = GOOD.replace(
        "    host: http://127.0.0.1:8082\n",
        "    host: http://127.0.0.1:8082\n    host: http://127.0.0.1:9999\n",
    )
    errs = errors_of(tmp_path, text)
    assert "duplicate key 'host'" in errs["candidates[1].host"]


def test_merge_keys_may_override_what_they_merge(tmp_path: Path) -> None:
    text = GOOD.replace(
        '  - {metric: success_rate, op: ">=", threshold: 0.99}\n',
        '  - &rate {metric: success_rate, op: ">=", threshold: 0.99}\n'
        "  - {<<: *rate, threshold: 0.9}\n",
    )
    spec = load_spec(write(tmp_path, text))
    assert [c.threshold for c in spec.criteria[1:3]] == [0.99, 0.9]


# --- aliases and nesting: bounded, fast, with a line -------------------------------------------

LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)


def timed_refusal(tmp_path: Path, text: str) -> tuple[SpecError, float]:
    start = time.perf_counter()
    err = refused(tmp_path, text)
    return err, time.perf_counter() - start


def test_alias_bomb_is_refused_within_a_second(tmp_path: Path) -> None:
    assert len(LAUGHS) < 500
    err, seconds = timed_refusal(tmp_path, LAUGHS)
    assert seconds < 1.0
    (e,) = err.errors
    assert "alias" in e.message and e.line in range(1, 10)
    out = validate(write(tmp_path, LAUGHS))
    assert out.returncode == 65 and "alias" in out.stderr and "Traceback" not in out.stderr


def test_few_aliases_expanding_hugely_are_refused(tmp_path: Path) -> None:
    # Under the alias count, but 10,000 values copied 16 times: the expanded size is bounded too.
    text = "a: &a [" + ",".join(["x"] * 10_000) + "]\nb: [" + ",".join(["*a"] * 16) + "]\n"
    err, seconds = timed_refusal(tmp_path, text)
    assert seconds < 2.0
    (e,) = err.errors
    assert "values" in e.message and e.line == 2


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    text = GOOD.replace("tags: {poc: checkout-baseline}", "tags: &tags {poc: checkout}").replace(
        "tags: {poc: checkout-async}", "tags: *tags"
    )
    spec = load_spec(write(tmp_path, text))
    assert spec.candidate("async").tags == spec.candidate("baseline").tags == {"poc": "checkout"}


def test_too_many_aliases_are_refused(tmp_path: Path) -> None:
    text = GOOD + "notes: &n [a]\n" + "".join(f"x{i}: *n\n" for i in range(MAX_YAML_ALIASES + 1))
    (e,) = refused(tmp_path, text).errors
    assert f"more than {MAX_YAML_ALIASES} aliases" in e.message
    assert e.line == line_of(text, f"x{MAX_YAML_ALIASES}:")


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    err, seconds = timed_refusal(tmp_path, GOOD + "notes: &loop [*loop]\n")
    assert seconds < 1.0
    (e,) = err.errors
    assert "contains itself" in e.message and e.line == len(GOOD.splitlines()) + 1


@pytest.mark.parametrize(
    "deep",
    [
        "notes: " + "[" * 5000 + "]" * 5000 + "\n",
        "notes: " + "{a: " * 5000 + "b" + "}" * 5000 + "\n",
        "notes:\n  " + "- " * (MAX_YAML_DEPTH + 2) + "x\n",
    ],
    ids=["flow-lists", "flow-maps", "block"],
)
def test_deep_nesting_is_refused_with_its_line(tmp_path: Path, deep: str) -> None:
    err, seconds = timed_refusal(tmp_path, GOOD + deep)
    assert seconds < 1.0
    (e,) = err.errors
    assert f"deeper than {MAX_YAML_DEPTH}" in e.message
    assert e.line is not None and e.line >= line_of(GOOD + deep, "notes:")


def test_deep_nesting_through_the_cli_is_not_a_traceback(tmp_path: Path) -> None:
    out = validate(write(tmp_path, GOOD + "notes: " + "[" * 5000 + "]" * 5000 + "\n"))
    assert out.returncode == 65 and "deeper than" in out.stderr
    assert "Traceback" not in out.stderr and "RecursionError" not in out.stderr


# --- text as written ---------------------------------------------------------------------------


def test_tags_keep_the_text_written(tmp_path: Path) -> None:
    text = GOOD.replace(
        "tags: {poc: checkout-async}",
        "tags: {poc: true, team: 007, price: 1.50, 010: off, empty: , quoted: 'yes'}",
    )
    tags = load_spec(write(tmp_path, text)).candidate("async").tags
    assert tags == {
        "poc": "true",
        "team": "007",
        "price": "1.50",
        "010": "off",
        "empty": "",
        "quoted": "yes",
    }


def test_names_and_commands_keep_the_text_written(tmp_path: Path) -> None:
    text = (
        GOOD.replace("  - name: async\n", "  - name: 1.50\n").replace(
            "name: checkout-api", "name: 2026-01-01"
        )
        + "faults:\n  - {kind: command, at: 5, command: [sleep, 1.50], candidate: 1.50}\n"
    )
    spec = load_spec(write(tmp_path, text))
    assert spec.name == "2026-01-01"
    assert [c.name for c in spec.candidates] == ["baseline", "1.50"]
    assert spec.faults[0].command == ("sleep", "1.50") and spec.faults[0].candidate == "1.50"


def test_tags_must_be_flat(tmp_path: Path) -> None:
    errs = errors_of(tmp_path, GOOD.replace("{poc: checkout-async}", "{poc: [a, b]}"))
    assert "expected a mapping of strings" in errs["candidates[1].tags"]


# --- control characters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("name: checkout-api", 'name: "poc\\r\\nBcc: evil@example.com"', "name"),
        ("  - name: async\n", '  - name: "as\\0ync"\n', "candidates[1].name"),
        ("{poc: checkout-async}", '{"po\\x1bc": checkout-async}', "candidates[1].tags"),
        ("{poc: checkout-async}", '{poc: "checkout\\nasync"}', "candidates[1].tags"),
        ("{poc: checkout-async}", '{poc: "checkout\\x85async"}', "candidates[1].tags"),
        ("http://127.0.0.1:8082", '"http://127.0.0.1:8082\\r\\nX: y"', "candidates[1].host"),
        ("key: true}", 'key: true, endpoint: "GET /\\n"}', "criteria[0].endpoint"),
        (REPEATS, REPEATS + '  user_classes: ["Web\\u2028"]\n', "load.user_classes[0]"),
    ],
)
def test_control_characters_are_refused_in_names_and_tags(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    err = {e.field: e for e in refused(tmp_path, text).errors}[field]
    assert "control character" in err.message
    assert err.line == line_of(text, new.strip().splitlines()[-1])


def test_prose_may_span_lines(tmp_path: Path) -> None:
    text = (
        GOOD.replace("hypothesis: The async", "hypothesis: >\n  The async")
        + "notes:\n  - |\n    first line\n    second line\n"
    )
    spec = load_spec(write(tmp_path, text))
    assert spec.notes == ("first line\nsecond line\n",)
    errs = errors_of(tmp_path, GOOD + 'notes: ["bell\\a"]\n')
    assert "control character" in errs["notes"]


def test_spec_name_with_crlf_is_refused_by_validate(tmp_path: Path) -> None:
    text = GOOD.replace("name: checkout-api", 'name: "poc\\r\\nBcc: evil@example.com"')
    out = validate(write(tmp_path, text))
    assert out.returncode == 65
    assert "name: control character" in out.stderr and "(line 1)" in out.stderr


# --- other inputs that raised from the standard library instead of a SpecError -----------------


@pytest.mark.parametrize(
    "host", ["http://127.0.[0.1:8082", "http://127.0.0.1:8082]", "http://[*a]:1", "http://x:99999"]
)
def test_unparseable_host_is_a_field_error(tmp_path: Path, host: str) -> None:
    errs = errors_of(tmp_path, GOOD.replace("http://127.0.0.1:8082", host))
    assert "not a valid URL" in errs["candidates[1].host"]


def test_locustfile_name_too_long_is_a_field_error(tmp_path: Path) -> None:
    errs = errors_of(
        tmp_path, GOOD.replace("locustfile: locustfile.py", f"locustfile: {'l' * 5000}")
    )
    assert "cannot read" in errs["load.locustfile"]


def test_long_duration_text_is_refused_quickly(tmp_path: Path) -> None:
    start = time.perf_counter()
    errs = errors_of(tmp_path, GOOD.replace("duration: 1m30s", f"duration: 1m{'9' * 20_000}"))
    assert time.perf_counter() - start < 1.0  # the unit scan was quadratic: 10 s and more
    assert "expected a duration" in errs["load.duration"]


@pytest.mark.parametrize(
    "value", ["1" + "0" * 5000, "2026-13-45"], ids=["int-past-digit-limit", "impossible-date"]
)
def test_scalar_yaml_cannot_build_names_its_line(tmp_path: Path, value: str) -> None:
    (e,) = refused(tmp_path, GOOD.replace("users: 50", f"users: {value}")).errors
    assert "a value YAML cannot read" in e.message and e.line == line_of(GOOD, "users: 50")


PIECES = [
    ".nan", ".inf", "&a ", "*a", "[", "]", "{", "}", "\n", ": ", "- ", '"\\r\\n"', '"\\0"', "~",
    "true", "007", "1e400", "2026-13-45", "<<: ", "!!binary ", "? ", "|", ">", "\t", "#", "'",
    '"', ",", "9" * 5000, "&b [*a,*a,*a]", "[" * 200, "http://[", ":99999",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(6))
def test_mutated_specs_fail_only_with_a_spec_error(tmp_path: Path, seed: int) -> None:
    """Random edits of a good spec: valid or a SpecError, each within a second, never another error."""
    rng = random.Random(seed)
    (tmp_path / "locustfile.py").write_text("")
    for _ in range(60):
        text = GOOD
        for _ in range(rng.randint(1, 4)):
            pos, roll = rng.randint(0, len(text)), rng.random()
            if roll < 0.5:
                text = text[:pos] + rng.choice(PIECES) + text[pos:]
            elif roll < 0.8:
                text = text[:pos] + text[pos + rng.randint(1, 10) :]
            else:
                at = rng.randint(0, len(text))
                text = text[:pos] + text[at : at + rng.randint(1, 60)] + text[pos:]
        start = time.perf_counter()
        try:
            parse_spec(text, path=tmp_path / "poc.yaml")
        except SpecError as exc:
            assert exc.errors and all(e.field and e.message for e in exc.errors)
        assert time.perf_counter() - start < 1.0, text[:500]
