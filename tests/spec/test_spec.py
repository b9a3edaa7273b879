"""Spec loading: valid specs become typed objects; every bad field is named with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pockit import SpecError, load_spec, parse_spec
from pockit.spec import format_duration, latency_quantile, parse_duration

GOOD = """\
name: checkout-api
hypothesis: The async variant holds P95 < 300 ms at 50 users for under $0.05 per 1k requests.
candidates:
  - name: baseline
    host: http://127.0.0.1:8081
    tags: {poc: checkout-baseline}
  - name: async
    host: http://127.0.0.1:8082
    tags: {poc: checkout-async}
load:
  locustfile: locustfile.py
  users: 50
  spawn_rate: 10
  duration: 1m30s
  repeats: 3
criteria:
  - {metric: latency_p95_ms, op: "<", threshold: 300, key: true}
  - {metric: success_rate, op: ">=", threshold: 0.99}
  - {metric: cost_per_1k_usd, op: "<=", threshold: 0.05}
cost:
  source: billing.csv
  column: effective
guardrails:
  allowed_hosts: [127.0.0.1, localhost]
"""


def write(tmp_path: Path, text: str, locustfile: bool = True) -> Path:
    if locustfile:
        (tmp_path / "locustfile.py").write_text("# user locustfile\n")
    path = tmp_path / "poc.yaml"
    path.write_text(text)
    return path


def errors_of(tmp_path: Path, text: str) -> dict[str, str]:
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, text))
    return {e.field: e.message for e in info.value.errors}


def test_valid_spec_is_typed_and_hashed(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, GOOD))
    assert spec.name == "checkout-api"
    assert [c.name for c in spec.candidates] == ["baseline", "async"]
    assert spec.candidate("async").tags == {"poc": "checkout-async"}
    assert spec.load is not None
    assert spec.load.duration_s == 90.0
    assert spec.load.repeats == 3
    assert spec.criteria[0].key is True and spec.criteria[0].op == "<"
    assert spec.cost is not None and spec.cost.source == str(tmp_path / "billing.csv")
    assert spec.load.locustfile == str(tmp_path / "locustfile.py")
    assert len(spec.sha256) == 64


def test_sha256_changes_with_any_byte(tmp_path: Path) -> None:
    a = load_spec(write(tmp_path, GOOD)).sha256
    b = load_spec(write(tmp_path, GOOD.replace("threshold: 300", "threshold: 301"))).sha256
    assert a != b


def test_bad_op_names_field_and_line(tmp_path: Path) -> None:
    text = GOOD.replace('op: ">=", threshold: 0.99', 'op: "=>", threshold: 0.99')
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, text))
    (err,) = info.value.errors
    assert err.field == "criteria[1].op"
    assert "expected one of < <= > >=" in err.message
    assert err.line == 18
    assert "criteria[1].op: expected one of < <= > >=" in str(info.value)


def test_misspelt_field_suggests_the_right_one(tmp_path: Path) -> None:
    errs = errors_of(tmp_path, GOOD.replace("threshold: 300", "threshhold: 300"))
    assert "did you mean 'threshold'" in errs["criteria[0].threshhold"]
    assert "required field is missing" in errs["criteria[0].threshold"]


def test_missing_top_level_fields_are_all_reported(tmp_path: Path) -> None:
    errs = errors_of(tmp_path, "name: x\n")
    assert set(errs) >= {"hypothesis", "candidates", "criteria"}
    assert "load" not in errs  # only running load needs it (issue 12 item 7)


def test_missing_locustfile_says_where_it_looked_when_load_runs(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, GOOD, locustfile=False))  # deciding does not need it
    problem = spec.load_problem()
    assert problem is not None and str(tmp_path / "locustfile.py") in problem
    with pytest.raises(SpecError) as info:
        spec.runnable_load()
    (err,) = info.value.errors
    assert err.field == "load.locustfile"
    assert str(tmp_path / "locustfile.py") in err.message


NO_LOAD = GOOD[: GOOD.index("load:")] + GOOD[GOOD.index("criteria:") :]


def test_spec_without_load_validates_and_refuses_only_to_run_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pockit.cli import main
    from pockit.load import make_plan

    path = write(tmp_path, NO_LOAD, locustfile=False)
    spec = load_spec(path)
    assert spec.load is None
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "note" in out and "add load.locustfile to run load" in out
    with pytest.raises(SpecError, match="this spec has no load section: add load.locustfile"):
        make_plan(spec)
    assert main(["run", str(path), "--runs-dir", str(tmp_path / "runs")]) == 65
    assert "no load section" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_unknown_metric_lists_the_known_ones(tmp_path: Path) -> None:
    errs = errors_of(tmp_path, GOOD.replace("metric: success_rate", "metric: sucess_rate"))
    assert "unknown metric 'sucess_rate'" in errs["criteria[1].metric"]
    assert "latency_pNN_ms" in errs["criteria[1].metric"]


def test_host_outside_guardrails_is_refused(tmp_path: Path) -> None:
    errs = errors_of(tmp_path, GOOD.replace("http://127.0.0.1:8082", "http://10.1.2.3:8082"))
    assert "not in guardrails.allowed_hosts" in errs["candidates[1].host"]


def test_caps_are_checked(tmp_path: Path) -> None:
    text = GOOD.replace(
        "allowed_hosts: [127.0.0.1, localhost]", "allowed_hosts: [127.0.0.1]\n  max_users: 20"
    )
    errs = errors_of(tmp_path, text)
    assert "exceeds guardrails.max_users (20)" in errs["load.users"]


def test_wrong_types_are_named(tmp_path: Path) -> None:
    errs = errors_of(
        tmp_path,
        GOOD.replace("users: 50", "users: fifty").replace("duration: 1m30s", "duration: soon"),
    )
    assert "expected a whole number" in errs["load.users"]
    assert "expected a duration" in errs["load.duration"]


def test_not_yaml(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, "name: [unclosed\n"))
    assert "not valid YAML" in str(info.value)


def test_missing_file() -> None:
    with pytest.raises(SpecError, match="spec file not found"):
        load_spec("/nonexistent/poc.yaml")


def test_shapes_faults_and_gaps(tmp_path: Path) -> None:
    text = (
        GOOD
        + """\
faults:
  - {kind: latency, at: 10s, duration: 5s, value: 200}
  - {kind: command, at: 20s, command: [echo, hi]}
"""
    )
    text = text.replace(
        "  repeats: 3\n",
        "  repeats: 3\n  shape:\n    kind: stages\n    stages:\n      - {duration: 30s, users: 10}\n"
        "      - {duration: 60s, users: 50}\n  idle_gaps:\n    - {at: 40s, pause: 20s}\n",
    )
    spec = load_spec(write(tmp_path, text))
    assert spec.load is not None and spec.load.shape is not None
    assert [s.users for s in spec.load.shape.stages] == [10, 50]
    assert spec.faults[1].command == ("echo", "hi")
    assert spec.load.idle_gaps[0].pause_s == 20.0


def test_fault_needs_its_value(tmp_path: Path) -> None:
    errs = errors_of(tmp_path, GOOD + "faults:\n  - {kind: error_rate, at: 5s}\n")
    assert "needs value" in errs["faults[0].value"]


def test_parse_spec_from_text_without_file(tmp_path: Path) -> None:
    (tmp_path / "locustfile.py").write_text("")
    spec = parse_spec(GOOD, path=tmp_path / "poc.yaml")
    assert spec.path == str(tmp_path / "poc.yaml")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [(30, 30.0), ("30s", 30.0), ("2m", 120.0), ("1h30m", 5400.0), ("250ms", 0.25), ("1.5", 1.5)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["soon", "5 parsecs", -1, True, "m5"])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_format_duration_round_trips() -> None:
    for seconds in (5.0, 90.0, 3600.0, 5430.0):
        assert parse_duration(format_duration(seconds)) == seconds


def test_latency_quantile() -> None:
    assert latency_quantile("latency_p95_ms") == 0.95
    assert latency_quantile("latency_p99.9_ms") == pytest.approx(0.999)
    assert latency_quantile("success_rate") is None


def test_metric_sources(tmp_path: Path) -> None:
    text = GOOD + (
        "metrics:\n"
        "  - {kind: prometheus, name: server_p95_ms, url: 'http://127.0.0.1:9090',\n"
        "     query: 'histogram_quantile(0.95, rate(x_bucket[5s]))', step: 2s, unit: ms}\n"
        "  - {kind: file, name: cw, path: cw.json}\n"
    )
    spec = load_spec(write(tmp_path, text))
    prom, cw = spec.metrics
    assert prom.unit == "ms" and prom.step_s == 2.0 and prom.url == "http://127.0.0.1:9090"
    assert cw.path == str(tmp_path / "cw.json")
    errs = errors_of(
        tmp_path, GOOD + "metrics:\n  - {kind: prometheus, name: x, url: 'http://127.0.0.1:1'}\n"
    )
    assert "needs query" in errs["metrics[0].query"]


def test_budget_needs_a_price_book(tmp_path: Path) -> None:
    errs = errors_of(
        tmp_path,
        GOOD.replace(
            "  allowed_hosts: [127.0.0.1, localhost]",
            "  allowed_hosts: [127.0.0.1]\n  max_budget_usd: 5",
        ),
    )
    assert "set cost.source: model" in errs["guardrails.max_budget_usd"]
    text = GOOD.replace(
        "  source: billing.csv\n", "  source: model\n  price_book: prices.yaml\n"
    ).replace(
        "  allowed_hosts: [127.0.0.1, localhost]",
        "  allowed_hosts: [127.0.0.1]\n  max_budget_usd: 5",
    )
    spec = load_spec(write(tmp_path, text))
    assert spec.guardrails.max_budget_usd == 5.0


def test_missing_field_points_at_its_parent_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, GOOD.replace(", threshold: 0.99}", "}")))
    (err,) = info.value.errors
    assert err.field == "criteria[1].threshold" and err.line == 18


def test_repeats_must_be_at_least_one(tmp_path: Path) -> None:
    errs = errors_of(tmp_path, GOOD.replace("repeats: 3", "repeats: 0"))
    assert "expected a whole number >= 1" in errs["load.repeats"]


def test_fault_and_gap_after_the_run_ends_are_refused(tmp_path: Path) -> None:
    text = GOOD + "faults:\n  - {kind: latency, at: 10m, duration: 5s, value: 200}\n"
    text = text.replace("  repeats: 3\n", "  repeats: 3\n  idle_gaps:\n    - {at: 1h, pause: 5s}\n")
    errs = errors_of(tmp_path, text)
    assert "but each run lasts 90s" in errs["faults[0].at"]
    assert "but each run lasts 90s" in errs["load.idle_gaps[0].at"]


def test_stop_when_decided_needs_a_criterion_it_can_decide_early(tmp_path: Path) -> None:
    """Only shares of requests are judged while the run goes: a spec whose criteria are all judged
    after the run (cost, throughput) would never stop early, so it is refused at the field."""
    after_only = GOOD.replace("  repeats: 3\n", "  repeats: 3\n  stop_when: decided\n").replace(
        """  - {metric: latency_p95_ms, op: "<", threshold: 300, key: true}
  - {metric: success_rate, op: ">=", threshold: 0.99}
""",
        """  - {metric: throughput_rps, op: ">=", threshold: 100}
""",
    )
    errs = errors_of(tmp_path, after_only)
    assert "never stop early" in errs["load.stop_when"]
    assert "throughput_rps, cost_per_1k_usd" in errs["load.stop_when"]
    # with one share criterion beside them, it is accepted (the others are judged after the run)
    ok = GOOD.replace("  repeats: 3\n", "  repeats: 3\n  stop_when: decided\n")
    assert load_spec(write(tmp_path, ok)).load.stop_when == "decided"  # type: ignore[union-attr]
