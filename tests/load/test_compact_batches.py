"""The capture's compact batches (architecture.md contract 1): the real writer, the real readers.

The Locust process writes ``samples/*.pkbatch`` without pyarrow; the parent, or the first reader of
a run whose parent died, turns each into the Parquet batch the capture used to write itself. The
reference for "the same as before" is the Arrow table the capture built before this change,
rebuilt here from the same buffer (:func:`_parquet_before`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from array import array
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from pockit._contract import COMPACT_MAGIC, decode_batch
from pockit._errors import InputError
from pockit._rundir import SAMPLE_SCHEMA, RunDir, iso, open_runs, utcnow
from pockit._rundir._compact import batch_table
from pockit.demo._service import DemoService
from pockit.load._capture_batch import Capture, Columns
from pockit.load._capture_pacer import Pacer

REPO = Path(__file__).resolve().parents[2]
T0 = 1_790_000_000.0


def _parquet_before(cols: Columns, worker: int, *, open_model: bool) -> pa.Table:
    """The table the capture wrote as Parquet before the compact batch (its ``to_table``)."""
    n = len(cols)
    ts = pa.timestamp("ns", tz="UTC")

    def wrap(values: array[Any], type_: Any) -> Any:
        return pa.Array.from_buffers(type_, n, [None, pa.py_buffer(values)])

    def stamps(values: array[float]) -> Any:
        seconds = wrap(values, pa.float64())
        seconds = pc.if_else(pc.is_nan(seconds), pa.scalar(None, pa.float64()), seconds)
        return pc.cast(pc.multiply(seconds, 1e9), pa.int64(), safe=False).cast(ts)

    errors = pa.array(cols.error, pa.string())
    retries = wrap(cols.retry, pa.int16())
    retries = pc.if_else(pc.equal(retries, -1), pa.scalar(None, pa.int16()), retries)
    arrays = [
        stamps(cols.start),
        wrap(cols.latency, pa.float64()),
        pa.array(cols.name, pa.string()).dictionary_encode(),
        pa.array(cols.method, pa.string()).dictionary_encode(),
        wrap(cols.status, pa.int16()),
        pc.is_null(errors),
        wrap(cols.nbytes, pa.int64()),
        errors.dictionary_encode(),
        pa.repeat(pa.scalar(worker, pa.int16()), n),
        stamps(cols.intended) if open_model else pa.nulls(n, ts),
        retries,
    ]
    return pa.Table.from_arrays(arrays, schema=SAMPLE_SCHEMA)


def _nan_as(value: float, table: pa.Table) -> pa.Table:
    column = table["latency_ms"]
    filled = pc.if_else(pc.is_nan(column), value, column)
    return table.set_column(table.schema.get_field_index("latency_ms"), "latency_ms", filled)


class _Response:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


def _record(cap: Capture, pacer: Pacer | None = None) -> None:
    """Rows of every kind through the real per-request hook: successes, HTTP and transport
    errors, no response time, no start time, retries (given, absurd, not a number)."""
    on_request = cap.listener()
    for i in range(40):
        if pacer is not None and i % 10 == 0:
            pacer.delay()  # a new paced arrival: t_intended is its slot
        kind = i % 5
        on_request(
            request_type="GET" if kind != 3 else "POST",
            name=["/items", "/items/{id}", "/é", "/orders", "/items"][kind],
            response_time=None if kind == 4 else 10.0 + i / 7,
            response_length=[120, 0, 33, 7, None][kind],
            exception=[None, ConnectionError("refused"), None, RuntimeError(), None][kind],
            response=[_Response(200), None, _Response(404), _Response(500), _Response(200)][kind],
            start_time=None if i == 39 else T0 + i * 0.01,
            context=[{"retry": 2}, None, {"retry": True}, {"retry": 1e9}, {}][kind],
        )


def _capture(run: RunDir, *, open_model: bool) -> Capture:
    cap = Capture(run.path, batch_rows=1000, batch_seconds=60)
    cap.worker = 3
    if open_model:
        cap.pacer = Pacer([(3600.0, 50.0)], [], 1.0)
    return cap


def _run(tmp_path: Path, status: str = "running") -> RunDir:
    return RunDir.create(tmp_path / "runs", {"candidate": "c", "status": status})


def _written(run: RunDir, batches: int) -> list[Path]:
    """The real capture writes ``batches`` compact batches of 40 rows into ``run``."""
    cap = _capture(run, open_model=False)
    for _ in range(batches):
        _record(cap)
        cap.flush(force=True)
    return sorted(run.samples_dir.glob("*.pkbatch"))


@pytest.mark.parametrize("open_model", [False, True])
def test_the_compact_batch_reads_back_as_the_parquet_the_capture_wrote(
    tmp_path: Path, open_model: bool
) -> None:
    run = _run(tmp_path)
    cap = _capture(run, open_model=open_model)
    _record(cap, cap.pacer)
    before = _parquet_before(cap.columns(), 3, open_model=open_model)
    pq.write_table(before, tmp_path / "before.parquet", compression="snappy")
    cap.flush(force=True)
    assert [p.suffix for p in run.samples_dir.iterdir()] == [".pkbatch"]

    assert run.read_samples().height == 40  # the reader converts it
    [converted] = run.sample_files()
    assert sorted(p.name for p in run.samples_dir.iterdir()) == [converted.name]  # nothing else
    read_back, reference = pq.read_table(converted), pq.read_table(tmp_path / "before.parquet")
    assert read_back.schema.equals(reference.schema, check_metadata=True)
    assert _nan_as(-1.0, read_back).equals(_nan_as(-1.0, reference))  # NaN != NaN in Arrow
    frame = run.read_samples()
    assert_frame_equal(frame, pl.read_parquet(tmp_path / "before.parquet"))
    # what the columns hold, spelled out (so equality with a wrong reference cannot pass)
    assert frame["error"].cast(pl.String).to_list()[:4] == [None, "refused", None, "RuntimeError"]
    assert frame["ok"].to_list()[:4] == [True, False, True, False]
    assert frame["retry"].to_list()[:5] == [2, None, None, 32767, None]
    assert frame["status"].to_list()[:5] == [200, 0, 404, 500, 200]
    assert frame["latency_ms"].is_nan().to_list()[:5] == [False] * 4 + [True]
    assert frame["worker"].unique().to_list() == [3]
    assert frame["t_intended"].null_count() == (0 if open_model else 40)
    assert frame["t_start"].null_count() == 0 and frame["name"].cast(pl.String)[2] == "/é"


def test_a_batch_without_errors_and_with_one_method_reads_back(tmp_path: Path) -> None:
    """The encoder's shortcuts (a column null throughout, or one value throughout)."""
    run = _run(tmp_path)
    cap = _capture(run, open_model=False)
    on_request = cap.listener()
    for i in range(5):
        on_request(request_type="GET", name=f"/{i % 2}", response_time=1.0, response_length=1,
                   response=_Response(200), start_time=T0 + i)  # fmt: skip
    cap.flush(force=True)
    frame = run.read_samples()
    assert frame["error"].null_count() == 5 and frame["ok"].all()
    assert frame["method"].cast(pl.String).to_list() == ["GET"] * 5
    assert frame["name"].cast(pl.String).to_list() == ["/0", "/1", "/0", "/1", "/0"]


def test_a_string_python_holds_but_utf8_cannot_is_written_not_lost(tmp_path: Path) -> None:
    run = _run(tmp_path)
    cap = _capture(run, open_model=False)
    cap.listener()(request_type="GET", name="/x\udc80", response_time=1.0, response_length=1,
                   exception=ValueError("bad \ud800 byte"), start_time=T0)  # fmt: skip
    cap.flush(force=True)
    frame = run.read_samples()
    assert frame["name"].cast(pl.String).to_list() == ["/x?"]
    assert frame["error"].cast(pl.String).to_list() == ["bad ? byte"]


def test_a_run_whose_parent_died_before_converting_reads(tmp_path: Path) -> None:
    """Locust flushed its last batches after the parent was gone: nobody converted them. The run
    opens, `pockit stats` reads all of it, and the conversion leaves Parquet only."""
    from pockit.analysis import run_stats

    run = _run(tmp_path)
    first, _ = _written(run, 2)
    run.update_meta(status="aborted", end=iso(utcnow()), stop_code="parent_died")
    # a conversion that stopped after its rename leaves both: the Parquet one wins, no double count
    blob = first.read_bytes()
    pq.write_table(batch_table(decode_batch(blob, str(first))), first.with_suffix(".parquet"))

    [opened] = open_runs([tmp_path / "runs"])
    stats = run_stats([opened])
    assert stats.overall.n == 80
    names = sorted(p.name for p in run.samples_dir.iterdir())
    assert all(n.endswith(".parquet") and not n.startswith(".") for n in names), names
    assert len(names) == 2


def _damaged(blob: bytes) -> dict[str, tuple[bytes, str]]:
    flipped = bytearray(blob)
    flipped[40] ^= 0xFF
    version = bytearray(blob)
    version[4] = 99
    return {
        "truncated": (blob[:-50], "truncated"),
        "empty": (b"", "shorter than its header"),
        "parquet": (b"PAR1" + blob[4:], "not " + repr(COMPACT_MAGIC)),
        "version": (bytes(version), "format version 99"),
        "damaged": (bytes(flipped), "checksum mismatch"),
        "longer": (blob + b"\0", "the header says"),
    }


@pytest.mark.parametrize("case", list(_damaged(b"x" * 200)))
def test_a_damaged_compact_batch_is_named_not_skipped(tmp_path: Path, case: str) -> None:
    run = _run(tmp_path)
    _, bad = _written(run, 2)
    data, why = _damaged(bad.read_bytes())[case]
    bad.write_bytes(data)

    with pytest.raises(InputError, match=why) as err:
        run.read_samples()
    assert str(bad) in str(err.value)
    problems: list[str] = []
    assert len(run.sample_files(problems)) == 1  # the good one converted, the bad one named
    assert len(problems) == 1 and str(bad) in problems[0] and bad.exists()


def test_the_parent_converts_while_the_run_goes_and_names_a_damaged_batch_once(
    tmp_path: Path,
) -> None:
    from pockit.load._batches import ConvertBatches
    from pockit.load._checks import count_samples
    from pockit.load._watch import Tick

    run = _run(tmp_path)
    cap = _capture(run, open_model=False)
    _record(cap)
    cap.flush(force=True)
    watcher = ConvertBatches(run)
    watcher.poll(Tick(now=100.0, snapshot=None, rps=0.0))
    assert [p.suffix for p in run.samples_dir.iterdir()] == [".parquet"]
    _record(cap)
    cap.flush(force=True)
    bad = sorted(run.samples_dir.glob("*.pkbatch"))[0]
    bad.write_bytes(bad.read_bytes()[:-3])
    for now in (101.0, 102.0, 103.0):
        assert watcher.poll(Tick(now=now, snapshot=None, rps=0.0)) is None  # the run goes on
    warnings = run.meta["warnings"]
    assert len(warnings) == 1 and str(bad) in warnings[0] and "truncated" in warnings[0]
    problems: list[str] = []
    assert count_samples(run, problems) == 40 and str(bad) in problems[0]


def test_gather_checks_a_workers_compact_batches(tmp_path: Path) -> None:
    from pockit.load import gather

    run = RunDir.create(tmp_path / "runs", {"candidate": "c", "start": iso(utcnow())})
    worker = RunDir.create(tmp_path / "out", {"candidate": "w", "id": "w"})
    (worker.locust_dir / "master-run.json").write_text(json.dumps({"run_id": run.id}))
    good, bad, twin = _written(worker, 3)
    bad.write_bytes(bad.read_bytes()[:-1])
    # a conversion on the worker that stopped after its rename: the Parquet one is taken, once
    pq.write_table(batch_table(decode_batch(twin.read_bytes(), "")), twin.with_suffix(".parquet"))

    result = gather(run.path, worker.path)
    assert result.skipped == 1 and str(bad) in result.skipped_reasons[0]
    assert "truncated" in result.skipped_reasons[0]
    assert run.read_samples().height == 80
    assert sorted(p.suffix for p in run.samples_dir.iterdir()) == [".parquet", ".parquet"]
    assert gather(run.path, worker.path).copied == 0  # once converted, not copied again
    assert good.exists()  # the worker's own folder is never changed


_LOCUSTFILE = """
import json, os, sys
from locust import HttpUser, constant, events, task

class Visitor(HttpUser):
    wait_time = constant(0.05)

    @task
    def home(self):
        self.client.get("/health")

@events.quit.add_listener
def _modules(**_):
    heavy = ("pyarrow", "polars", "pandas", "numpy")
    with open(os.environ["MODULES_OUT"], "w") as fh:
        json.dump(sorted(m for m in sys.modules if m.split(".")[0] in heavy), fh)
"""


def test_a_locust_process_with_the_capture_imports_no_pyarrow(
    tmp_path: Path, service: DemoService
) -> None:
    """A real Locust process with the capture plugin, 2 s against a loopback server: it writes
    samples and events, and never imports pyarrow (nor polars, pandas, numpy)."""
    run = _run(tmp_path)
    (tmp_path / "lf.py").write_text(_LOCUSTFILE)
    out = tmp_path / "modules.json"
    env = {**os.environ, "POCKIT_RUN_DIR": str(run.path), "MODULES_OUT": str(out),
           "POCKIT_BATCH_SECONDS": "0.5"}  # fmt: skip
    plugin = REPO / "pockit" / "load" / "_capture.py"
    cmd = [sys.executable, "-m", "locust", "-f", f"{tmp_path / 'lf.py'},{plugin}", "--headless",
           "-u", "2", "-r", "10", "-t", "2s", "--host", service.url("async"), "--only-summary",
           "--skip-log-setup", "--exit-code-on-error", "0"]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(out.read_text()) == []
    assert list(run.samples_dir.glob("*.pkbatch")), "the capture wrote no compact batch"
    assert [e["kind"] for e in run.events()][:1] == ["load_start"]
    samples = run.read_samples()
    assert samples.height > 5 and samples["ok"].all() and set(samples["status"]) == {200}


def test_request_events_of_other_types_are_written_as_unknown_not_lost(tmp_path: Path) -> None:
    """A locustfile firing its own request events may give any values: each row is kept, a value
    its column cannot hold is written as unknown (latency NaN, status and size 0), and the other
    rows of the batch keep theirs."""
    run = _run(tmp_path)
    cap = _capture(run, open_model=False)
    on_request = cap.listener()
    odd: list[dict[str, Any]] = [
        {"response_time": 5.0, "response_length": 10, "response": _Response(200)},
        {"response_time": None, "response_length": "12", "response": _Response(99999)},
        {"response_time": "7", "response_length": 2**70, "response": _Response(200.0)},  # type: ignore[arg-type]
        {"response_time": 9.0, "response_length": True, "response": object()},
    ]
    for i, values in enumerate(odd):
        on_request(request_type="GET", name=f"/{i}", start_time=T0 + i, **values)
    cap.flush(force=True)
    frame = run.read_samples().sort("t_start")
    assert cap.dropped == 0 and frame.height == 4
    assert frame["name"].cast(pl.String).to_list() == ["/0", "/1", "/2", "/3"]
    latency = frame["latency_ms"].to_list()
    assert latency[0] == 5.0 and latency[3] == 9.0
    assert all(v != v for v in latency[1:3])  # NaN: unknown, counted by the analysis
    assert frame["status"].to_list() == [200, 0, 0, 0]
    assert frame["bytes"].to_list() == [10, 0, 0, 1]


def _read_only(folder: Path) -> None:
    """Make ``folder`` unwritable, root included (``chattr +i``; chmod does not stop root)."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
    probe = folder / ".probe"
    with pytest.raises(OSError):
        probe.touch()


def _writable(folder: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o755)


def test_a_read_only_run_whose_parent_died_reads_through_a_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An archived run mounted read-only, its last batches never converted: every reader gets
    every sample (Parquet written to a cache outside the run), and the run is left as it was."""
    import tempfile

    from pockit.analysis import run_stats

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the cache under this test's folder
    run = _run(tmp_path, status="aborted")
    compact = _written(run, 2)
    kept = {p.name: p.read_bytes() for p in run.samples_dir.iterdir()}
    _read_only(run.samples_dir)
    try:
        [opened] = open_runs([tmp_path / "runs"])
        assert run_stats([opened]).overall.n == 80
        files = RunDir.open(run.path).sample_files()
        assert len(files) == 2 and all(
            f.parent.parent == tmp_path / "pockit-readonly" for f in files
        )
        assert RunDir.open(run.path).read_samples().height == 80  # again, from the cache
        assert {p.name: p.read_bytes() for p in run.samples_dir.iterdir()} == kept
        assert [p.name for p in compact] == sorted(kept)
    finally:
        _writable(run.samples_dir)
