"""Generated hostile input through the real CLI: specs, run directories, samples, billing exports,
other tools' result files and a small report. Each case must end in a documented exit code with a
message (never 70, never a traceback), within its time limit, writing only its named outputs.

The classes of input are one test each, so a failure names the class: ``test_spec_*`` (the spec
loader), ``test_run_json`` / ``test_samples`` (run directory readers), ``test_billing_*`` (billing
readers), ``test_import_*`` (importers), ``test_report``.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pockit import PockitError, RunDir
from tests.contract.checks import risk_items
from tests.load.test_import import DATA, JMETER, LOCUST
from tests.report.conftest import SPEC_TEXT, make_run

from .conftest import case_dir, check, examples, run_cli, snapshot
from .strategies import (
    csv_mutated,
    events_mutated,
    mutated,
    nasty_text,
    scalars,
    text_mutated,
    values,
)

ROOT = Path(__file__).resolve().parents[2]
BILLING = ROOT / "datasets" / "billing"

pytestmark = pytest.mark.slow


def _spec_text(root: Path) -> str:
    (root / "locustfile.py").write_text("x = 1\n")
    return SPEC_TEXT.format(locustfile=root / "locustfile.py")


def _good_run(root: Path, candidate: str = "baseline", **kw: Any) -> Path:
    kw.setdefault("fault_at_s", 1.0)
    return Path(make_run(root / "runs", candidate, n=60, seconds=3, **kw).path)


def _run_and_check(root: Path, argv: list[str], outputs: tuple[str, ...] = ()) -> int:
    before = snapshot(root)
    outcome = run_cli(argv, cwd=root / "cwd")
    check(outcome, before, snapshot(root), outputs=outputs)
    return outcome.code


# -- specs ------------------------------------------------------------------------------------


@settings(max_examples=examples(70))
@given(data=st.data())
def test_spec_fields(data: st.DataObject) -> None:
    """A valid spec with fields replaced, deleted or added: validate, then decide on a real run."""
    with case_dir() as root:
        doc = yaml.safe_load(_spec_text(root))
        spec = root / "poc.yaml"
        spec.write_text(yaml.safe_dump(data.draw(mutated(doc)), allow_unicode=True))
        _run_and_check(root, ["validate", str(spec), "--json"])
        _run_and_check(root, ["decide", str(spec), str(_good_run(root)), "--json"])


@settings(max_examples=examples(50))
@given(data=st.data())
def test_spec_text(data: st.DataObject) -> None:
    """A valid spec's text with insertions, cuts, duplicated lines (duplicate keys), a BOM."""
    with case_dir() as root:
        spec = root / "poc.yaml"
        spec.write_text(data.draw(text_mutated(_spec_text(root))), encoding="utf-8")
        _run_and_check(root, ["validate", str(spec), "--json"])


def _nested(depth: int) -> str:
    return "name: x\ncandidates: " + "[" * depth + "]" * depth + "\n"


def _aliases(depth: int, width: int) -> str:
    lines = ["a0: &a0 [x]"]
    for i in range(1, depth + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + f"\nname: *a{depth}\n"


@settings(max_examples=examples(20))
@example(text=_nested(5000))  # reported: RecursionError in the YAML parser
@example(text=_aliases(7, 9))  # reported: 400 bytes that keep validate busy for minutes
@given(
    text=st.one_of(
        st.builds(_nested, st.integers(1, 6000)),
        st.builds(_aliases, st.integers(1, 9), st.integers(2, 9)),
        st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    )
)
def test_spec_structure(text: str) -> None:
    """Deep nesting, alias chains (a billion laughs in small), binary: refused, quickly."""
    with case_dir() as root:
        spec = root / "poc.yaml"
        spec.write_text(text, encoding="utf-8", errors="surrogateescape")
        _run_and_check(root, ["validate", str(spec), "--json"])


# -- run directories --------------------------------------------------------------------------


@settings(max_examples=examples(40))
@given(data=st.data())
def test_run_json(data: st.DataObject) -> None:
    """run.json with fields replaced or gone, or not JSON at all: stats and decide."""
    with case_dir() as root:
        run = _good_run(root)
        meta = json.loads((run / "run.json").read_text())
        if data.draw(st.booleans()):
            text = json.dumps(data.draw(mutated(meta)), default=str)
        else:
            text = data.draw(text_mutated(json.dumps(meta)))
        (run / "run.json").write_text(text, encoding="utf-8", errors="surrogateescape")
        spec = root / "poc.yaml"
        spec.write_text(_spec_text(root))
        _run_and_check(root, ["stats", str(run), "--json"])
        _run_and_check(root, ["decide", str(spec), str(run), "--json"])


@settings(max_examples=examples(40), suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_events(data: st.DataObject) -> None:
    """events.jsonl with a malformed ``ts``, unknown kinds, wrong field types, lines that are no
    JSON object: stats and decide keep their promises, and the report's risks are built."""
    with case_dir() as root:
        run = _good_run(root)
        path = run / "events.jsonl"
        events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        path.write_text(
            data.draw(events_mutated(events)), encoding="utf-8", errors="surrogateescape"
        )
        spec = root / "poc.yaml"
        spec.write_text(_spec_text(root))
        _run_and_check(root, ["stats", str(run), "--json"])
        _run_and_check(root, ["decide", str(spec), str(run), "--json"])
        # the report's risks read every event; a refusal naming the file is a kept promise
        with contextlib.suppress(PockitError):
            risk_items(RunDir.open(run))


def _column(data: st.DataObject, n: int) -> pa.Array:
    draw = data.draw
    kind = draw(st.sampled_from(["string", "int", "float", "bool", "null", "naive_ts", "big"]))
    if kind == "string":
        return pa.array([draw(nasty_text) for _ in range(n)], pa.string())
    if kind == "int":
        return pa.array([draw(st.integers(-(2**63), 2**63 - 1)) for _ in range(n)], pa.int64())
    if kind == "float":
        return pa.array([draw(st.floats()) for _ in range(n)], pa.float64())
    if kind == "bool":
        return pa.array([draw(st.booleans()) for _ in range(n)], pa.bool_())
    if kind == "null":
        return pa.nulls(n)
    if kind == "big":
        return pa.array([70000, -5, 2**31] * (n // 3) + [0] * (n % 3), pa.int64())
    return pa.array([0, 10**18, -(10**18)] * (n // 3) + [0] * (n % 3), pa.timestamp("ns"))


@settings(max_examples=examples(40))
@given(data=st.data())
def test_samples(data: st.DataObject) -> None:
    """A sample batch with columns retyped, dropped or filled with hostile values, or not Parquet."""
    with case_dir() as root:
        run = _good_run(root)
        [batch] = sorted((run / "samples").glob("*.parquet"))
        how = data.draw(st.sampled_from(["columns", "columns", "bytes", "truncate"]))
        if how == "bytes":
            batch.write_bytes(data.draw(st.binary(max_size=300)))
        elif how == "truncate":
            raw = batch.read_bytes()
            batch.write_bytes(raw[: data.draw(st.integers(0, len(raw) - 1))])
        else:
            table = pq.read_table(batch)
            for _ in range(data.draw(st.integers(1, 3))):
                name = data.draw(st.sampled_from(table.column_names))
                i = table.column_names.index(name)
                if data.draw(st.booleans()) and table.num_columns > 1:
                    table = table.remove_column(i)
                else:
                    table = table.set_column(i, name, _column(data, table.num_rows))
            pq.write_table(table, batch)
        spec = root / "poc.yaml"
        spec.write_text(_spec_text(root))
        _run_and_check(root, ["stats", str(run), "--json", "--by-endpoint"])
        _run_and_check(root, ["decide", str(spec), str(run), "--json"])


# -- billing ----------------------------------------------------------------------------------

_FOCUS = "".join((BILLING / "focus-sample.csv").read_text().splitlines(keepends=True)[:25])
_CUR_CSV = "".join((BILLING / "cur-legacy.csv").read_text().splitlines(keepends=True)[:25])


@settings(max_examples=examples(50))
@given(
    data=st.data(),
    base=st.sampled_from([("focus", _FOCUS), ("cur-csv", _CUR_CSV)]),
    window=st.sampled_from([[], ["--start", "2026-05-04T00:00:00Z", "--end", "2026-05-05"]]),
)
def test_billing_csv(data: st.DataObject, base: tuple[str, str], window: list[str]) -> None:
    """FOCUS and legacy CUR CSV with hostile cells, dropped columns, renamed headers."""
    fmt, text = base
    with case_dir() as root:
        export = root / "billing.csv"
        export.write_text(data.draw(csv_mutated(text)), encoding="utf-8", errors="surrogateescape")
        given_fmt = ["--format", fmt] if data.draw(st.booleans()) else []
        tag = ["--tag", f"poc={data.draw(nasty_text)}"] if data.draw(st.booleans()) else []
        _run_and_check(root, ["cost", str(export), "--json", *given_fmt, *window, *tag])


@settings(max_examples=examples(25))
@given(data=st.data())
def test_billing_parquet(data: st.DataObject) -> None:
    """CUR in Athena Parquet with columns retyped or dropped."""
    with case_dir() as root:
        table = pq.read_table(BILLING / "cur-athena.parquet").slice(0, 30)
        for _ in range(data.draw(st.integers(1, 3))):
            name = data.draw(st.sampled_from(table.column_names))
            i = table.column_names.index(name)
            if data.draw(st.booleans()):
                table = table.remove_column(i)
            else:
                table = table.set_column(i, name, _column(data, table.num_rows))
        export = root / "cur.parquet"
        pq.write_table(table, export)
        _run_and_check(root, ["cost", str(export), "--json"])


@settings(max_examples=examples(10))
@given(value=values, start=st.one_of(nasty_text, st.just("2026-05-04T00:00:00Z")))
def test_billing_cli_arguments(value: Any, start: str) -> None:
    """--start/--end/--tag spelled any way: a usage error, not a crash."""
    with case_dir() as root:
        export = root / "billing.csv"
        export.write_text(_FOCUS)
        argv = ["cost", str(export), "--json", "--start", start, "--end", str(value)]
        _run_and_check(root, [*argv, "--tag", f"{value}={start}"])


# -- other tools' result files ----------------------------------------------------------------


def _k6_mutated(data: st.DataObject) -> str:
    draw = data.draw
    lines = (DATA / "k6-points.json").read_text().splitlines()
    out = []
    for line in lines:
        rec = json.loads(line)
        if rec.get("type") == "Point" and draw(st.booleans()):
            rec = draw(mutated(rec))
        out.append(json.dumps(rec, default=str))
    if draw(st.booleans()):
        out.insert(draw(st.integers(0, len(out))), draw(st.binary(max_size=40)).decode("latin-1"))
    return "\n".join(out) + "\n"


@settings(max_examples=examples(60))
@given(data=st.data(), fmt=st.sampled_from(["locust-csv", "jmeter", "k6"]))
def test_import(data: st.DataObject, fmt: str) -> None:
    """Locust CSV, JMeter JTL and k6 JSON with hostile values; the run made is then read."""
    with case_dir() as root:
        src = root / "results.txt"
        if fmt == "k6":
            text = _k6_mutated(data)
        else:
            text = data.draw(csv_mutated(LOCUST if fmt == "locust-csv" else JMETER))
        src.write_text(text, encoding="utf-8", errors="surrogateescape")
        named = ["--format", fmt] if data.draw(st.booleans()) else []
        code = _run_and_check(
            root,
            ["import", str(src), *named, "--candidate", "c", "--runs-dir", str(root / "out")],
            outputs=("out",),
        )
        if code == 0:
            runs = sorted(str(p) for p in (root / "out").iterdir())
            _run_and_check(root, ["stats", *runs, "--json"])


# -- the report -------------------------------------------------------------------------------


@settings(
    max_examples=examples(3),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(name=nasty_text, request=nasty_text, error=nasty_text, note=scalars)
def test_report(name: str, request: str, error: str, note: Any) -> None:
    """A small report whose candidate, request, error and note texts are hostile (papermill and
    nbconvert run for real, ~8 s a case: the time limit here is 60 s)."""
    with case_dir() as root:
        doc = yaml.safe_load(_spec_text(root))
        doc["candidates"][0]["name"] = name
        doc["notes"] = [str(note)]
        spec = root / "poc.yaml"
        spec.write_text(yaml.safe_dump(doc, allow_unicode=True))
        run = make_run(root / "runs", name, n=60, seconds=3, endpoint=request)
        run.update_meta(stop_reason=error)
        before = snapshot(root)
        out = root / "report" / "r.html"
        argv = ["report", str(spec), str(run.path), "--out", str(out)]
        outcome = run_cli(argv, cwd=root / "cwd", limit_s=60)
        check(outcome, before, snapshot(root), outputs=("report",))


# -- a few through a real process -------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "content"),
    [
        ("validate", b"\x00\xff\xfe[[[[\n"),
        ("stats", b"PAR1 not really"),
        ("cost", b"\xef\xbb\xbfBilledCost,ChargePeriodStart\n1e309,yesterday\n"),
        ("import", b'{"type": "Point", "metric": "http_req_duration", "data": {}}\n'),
    ],
)
def test_hostile_files_in_a_real_process(tmp_path: Path, command: str, content: bytes) -> None:
    target = tmp_path / "input"
    target.write_bytes(content)
    argv: list[str] = [command, str(target)]
    if command == "stats":
        run = _good_run(tmp_path)
        next((run / "samples").glob("*.parquet")).write_bytes(content)
        argv = ["stats", str(run)]
    if command == "import":
        argv += ["--format", "k6", "--candidate", "c", "--runs-dir", str(tmp_path / "out")]
    (tmp_path / "cwd").mkdir()
    before = snapshot(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "pockit", *argv],
        capture_output=True, text=True, timeout=60, cwd=tmp_path / "cwd",
        env={"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path / "cache"),
             "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
    )  # fmt: skip
    from .conftest import Outcome

    check(
        Outcome(argv, proc.returncode, proc.stdout, proc.stderr),
        before,
        snapshot(tmp_path),
        outputs=("out",),
    )
    assert proc.returncode >= 64


def test_unreadable_event_lines_are_counted_in_the_risks() -> None:
    """Lines of events.jsonl that are no JSON object are skipped and named, not dropped silently."""
    with case_dir() as root:
        run = _good_run(root)
        with (run / "events.jsonl").open("a") as fh:
            fh.write(
                'null\n[1, 2]\n{"ts": "2026-01-05T10:00:0\n{"kind": ["fault_start"], "ts": 1}\n'
            )
        rd = RunDir.open(run)
        assert rd.unreadable_events() == 3
        assert all(isinstance(e, dict) for e in rd.events())
        [risk] = [t for t in risk_items(rd).get("run", []) if "events.jsonl" in t]
        assert "3 line(s) of events.jsonl are not JSON objects" in risk
