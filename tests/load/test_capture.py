"""Every request captured, unrounded, in Parquet batches; run.json says what ran; bad input fails clearly."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from pockit import SAMPLE_SCHEMA, GuardrailError, LoadError, RunDir
from pockit._contract import StopCode
from pockit._rundir import settle_batches
from pockit.demo._service import DemoService
from pockit.load import run_candidate, run_spec
from pockit.spec import Guardrails, load_spec
from tests._typed import number
from tests.contract.checks import follows_contract, risk_items

from .conftest import served

pytestmark = pytest.mark.slow


def test_every_request_is_captured_unrounded(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = make_spec({"async": service.url("async")})
    [path] = run_candidate(spec, "async", runs_dir=tmp_path / "runs", progress=False)
    run = RunDir.open(path)
    meta = run.meta
    df = run.read_samples()

    # exactly the requests Locust itself counted, none lost, none doubled
    assert meta["counts"]["samples"] == df.height == meta["counts"]["locust_requests"] > 20
    assert meta["counts"]["locust_failures"] == 0 and df["ok"].all()
    # latencies are Locust's float milliseconds, not its rounded statistics
    assert (df["latency_ms"] != df["latency_ms"].round(0)).sum() > df.height // 2
    assert number(df["latency_ms"].min()) > 5  # the async variant sleeps ~8-15 ms
    assert set(df["name"].unique()) <= {
        "/api/items",
        "/api/items/{id}",
        "/api/checkout",
        "/api/account",
    }
    # 401 is the account page of an expired session, which the demo locustfile expects
    assert set(df["status"].unique()) <= {200, 201, 401}
    assert set(df.filter(pl.col("status") == 401)["name"].unique()) <= {"/api/account"}
    assert df["worker"].unique().to_list() == [0]
    assert df["t_intended"].null_count() == df.height  # closed model
    # the file schema is the contract's, batches are complete files
    for f in run.sample_files():
        assert pq.read_schema(f).equals(SAMPLE_SCHEMA, check_metadata=False)
    assert not [p for p in run.samples_dir.iterdir() if p.name.startswith(".")]
    t0, t1 = df["t_start"].min(), df["t_start"].max()
    assert run.start <= t0 and t1 <= run.end  # type: ignore[operator]

    # judged by its head: on a busy machine the reason goes on to note a saturated load generator
    assert meta["status"] == "completed" and meta["stop_code"] == "duration_reached"
    assert meta["stop_reason"].split(";")[0] == "duration reached"
    assert meta["candidate"] == "async" and meta["host"] == service.url("async")
    assert meta["spec"]["sha256"] == load_spec(spec).sha256 and meta["spec"]["name"] == "load-test"
    assert meta["tags"] == {"poc": "async"} and meta["repeat"] == 0 and meta["workers"] == 1
    assert meta["load"]["users"] == 3 and meta["load"]["duration_s"] == 3.0
    assert set(meta["versions"]) == {"pockit", "locust", "python"}
    assert (run.locust_dir / "locust_stats.csv").is_file()
    kinds = [e["kind"] for e in run.events()]
    assert kinds[0] == "load_start" and "load_stop" in kinds


def test_small_batches_are_bounded_by_count(
    service: DemoService,
    make_spec: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POCKIT_BATCH_ROWS", "10")
    spec = make_spec({"async": service.url("async")}, load={"duration": "2s"})
    [path] = run_candidate(spec, "async", runs_dir=tmp_path, progress=False)
    run = RunDir.open(path)
    sizes = [pq.ParquetFile(f).metadata.num_rows for f in run.sample_files()]
    assert len(sizes) >= 3 and max(sizes) <= 10
    assert sum(sizes) == run.meta["counts"]["locust_requests"]


def test_repeats_make_one_directory_each(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = make_spec(
        {"async": service.url("async")}, load={"duration": "2s", "repeats": 2, "cooldown": "0.5s"}
    )
    paths = run_candidate(spec, "async", runs_dir=tmp_path, progress=False)
    assert [RunDir.open(p).meta["repeat"] for p in paths] == [0, 1]
    assert all(RunDir.open(p).meta["repeats"] == 2 for p in paths)


def test_guardrail_refuses_before_any_request(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = load_spec(make_spec({"async": service.url("async")}))
    # validation already refuses such a spec; build one past it to prove run time checks too
    spec = dataclasses.replace(spec, guardrails=Guardrails(allowed_hosts=("localhost",)))
    before = served(service.url("async"))
    with pytest.raises(GuardrailError, match="not in guardrails.allowed_hosts"):
        run_candidate(spec, "async", runs_dir=tmp_path / "runs", progress=False)
    with pytest.raises(GuardrailError, match="max_users"):
        run_candidate(
            load_spec(make_spec({"async": service.url("async")})),
            "async",
            users=5000,
            runs_dir=tmp_path / "runs",
        )
    assert served(service.url("async")) == before
    assert not (tmp_path / "runs").exists()


def test_refused_connection_leaves_nothing(make_spec: Callable[..., Path], tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    spec = make_spec({"gone": f"http://127.0.0.1:{port}"})
    with pytest.raises(LoadError, match="host refuses connections"):
        run_spec(spec, runs_dir=tmp_path / "runs", progress=False)
    assert not (tmp_path / "runs").exists()


def test_locustfile_raising_on_import(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    bad = tmp_path / "broken.py"
    bad.write_text("from locust import HttpUser\nraise RuntimeError('config.ini is missing')\n")
    spec = make_spec({"async": service.url("async")}, load={"locustfile": str(bad)})
    with pytest.raises(LoadError, match="config.ini is missing"):
        run_candidate(spec, "async", runs_dir=tmp_path / "runs", progress=False)
    [run_dir] = list((tmp_path / "runs").iterdir())
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["status"] == "failed" and meta["end"] and "locust exited" in meta["stop_reason"]


def test_progress_and_summary(
    service: DemoService,
    make_spec: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POCKIT_PROGRESS_EVERY_S", "0.5")  # captured stderr is a log: lines
    spec = make_spec({"async": service.url("async")}, load={"duration": "2s"})
    [path] = run_candidate(spec, "async", runs_dir=tmp_path, progress=True)
    out, err = capsys.readouterr()
    assert "req/s" in err and "async r0" in err  # the live progress
    assert "completed (duration reached)" in out and "p95" in out and str(path) in out


def test_importing_the_load_package_does_not_import_locust() -> None:
    import subprocess

    code = (
        "import pockit, pockit.load, sys; print('locust' in sys.modules or 'gevent' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_samples_read_lazily_with_polars(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = make_spec({"baseline": service.url("baseline")}, load={"duration": "2s"})
    [path] = run_candidate(spec, "baseline", runs_dir=tmp_path, progress=False)
    p50 = RunDir.open(path).scan_samples().select(pl.col("latency_ms").median()).collect().item()
    assert 15 < p50 < 60  # baseline's ~20-40 ms band


def test_rate_guardrail_stops_a_closed_model_run(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    # 5 users of the demo locustfile send ~40 req/s; the cap is 10
    spec = make_spec(
        {"async": service.url("async")},
        load={"users": 5, "duration": "20s"},
        guardrails={"max_rps": 10},
    )
    with pytest.raises(GuardrailError, match="max_rps exceeded"):
        run_candidate(spec, "async", runs_dir=tmp_path / "runs", progress=False)
    [path] = list((tmp_path / "runs").iterdir())
    run = RunDir.open(path)
    assert run.meta["status"] == "aborted" and "max_rps exceeded" in run.meta["stop_reason"]
    assert (run.end - run.start).total_seconds() < 10  # type: ignore[operator]
    assert [e for e in run.events() if e["kind"] == "guardrail"]
    assert run.meta["counts"]["samples"] == run.read_samples().height > 0
    assert follows_contract(run).stop_code is StopCode.MAX_RPS
    assert any("guardrails.max_rps acted" in t for t in risk_items(run)["guardrail"])


_WRITE_FAILURE = """
import json, sys
from pathlib import Path
sys.path.insert(0, {load_dir!r})
import _capture  # imports Locust: this runs in its own process, never in pytest's

run = Path({run!r})
cap = _capture.Capture(run, batch_rows=10, batch_seconds=60)
record = cap.listener()
good = cap.samples_dir
cap.samples_dir = Path("/dev/null/full")  # every write fails, as on a full disk
for i in range({n}):
    record(request_type="GET", name="/x", response_time=1.5 + i, response_length=2, start_time=1.7e9 + i)
failed = dict(pending=cap.pending, dropped=cap.dropped, errors=list(cap.errors))
cap.samples_dir = good  # space again: what was kept is written
cap.flush(force=True)
print(json.dumps(dict(failed=failed, written=cap.written, dropped=cap.dropped)))
"""


@pytest.mark.parametrize(("n", "kept"), [(30, 30), (80, 50), (2000, 50)])
def test_write_failures_keep_a_bounded_backlog(tmp_path: Path, n: int, kept: int) -> None:
    import subprocess

    code = _WRITE_FAILURE.format(
        load_dir=str(Path(__file__).parents[2] / "pockit" / "load"), run=str(tmp_path), n=n
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert (
        result["failed"]["errors"] and "cannot write samples batch" in result["failed"]["errors"][0]
    )
    assert (
        result["written"] == kept and result["dropped"] == n - kept
    )  # 5 batches of 10 are kept, no more
    # the compact batches, converted as the parent does
    batches = settle_batches(tmp_path / "samples")
    latencies = pl.read_parquet(batches).sort("t_start")["latency_ms"].to_list()
    assert latencies == [1.5 + i for i in range(n - kept, n)]  # the newest rows, in order
