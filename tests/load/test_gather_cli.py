"""`pockit gather`: a remote worker's --out folder is copied into the master's run directory."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pockit._rundir import SAMPLE_SCHEMA, RunDir, iso


def _batch(path: Path, n: int, worker: int) -> None:
    now = datetime.now(UTC)
    table = pa.table(
        {
            "t_start": pa.array([now] * n, pa.timestamp("ns", tz="UTC")),
            "latency_ms": pa.array([12.5 + i for i in range(n)], pa.float64()),
            "name": pa.array(["/api/items"] * n).dictionary_encode(),
            "method": pa.array(["GET"] * n).dictionary_encode(),
            "status": pa.array([200] * n, pa.int16()),
            "ok": pa.array([True] * n),
            "bytes": pa.array([100] * n, pa.int64()),
            "error": pa.array([None] * n, pa.string()).dictionary_encode(),
            "worker": pa.array([worker] * n, pa.int16()),
            "t_intended": pa.array([None] * n, pa.timestamp("ns", tz="UTC")),
            "retry": pa.nulls(n, pa.int16()),
        }
    ).cast(SAMPLE_SCHEMA)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def test_gather_copies_worker_samples_and_keeps_existing(tmp_path: Path) -> None:
    now = iso(datetime.now(UTC))
    run = RunDir.create(
        tmp_path / "runs", {"candidate": "async", "start": now, "end": now, "status": "completed"}
    )
    _batch(run.samples_dir / "w0-000000.parquet", 5, 0)
    remote = tmp_path / "worker-out"
    _batch(remote / "samples" / "w1-000000.parquet", 7, 1)
    _batch(remote / "samples" / "w1-000001.parquet", 3, 1)
    (remote / "samples" / ".w1-000002.parquet.tmp").write_text("half-written")

    cmd = [sys.executable, "-m", "pockit", "gather", str(run.path), str(remote), "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["copied"][str(remote)] == 2
    assert data["sample_files"] == 3
    assert run.read_samples().height == 15
    # gathering again copies nothing twice
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert json.loads(again.stdout)["copied"][str(remote)] == 0


def test_gather_from_a_folder_that_is_not_a_worker_output(tmp_path: Path) -> None:
    now = iso(datetime.now(UTC))
    run = RunDir.create(
        tmp_path / "runs", {"candidate": "async", "start": now, "end": now, "status": "completed"}
    )
    out = subprocess.run(
        [sys.executable, "-m", "pockit", "gather", str(run.path), str(tmp_path / "nothing")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 65
    assert "no samples/ folder" in out.stderr


def test_gather_skips_other_runs_batches_and_warns_on_a_count_mismatch(tmp_path: Path) -> None:
    """Synthetic batches (no Locust needed for the time-window rule): an hour-old batch is skipped;
    a count that still differs from Locust's is a warning on stderr and in run.json."""
    now = datetime.now(UTC)
    run = RunDir.create(
        tmp_path / "runs",
        {
            "candidate": "async",
            "start": iso(now),
            "end": iso(now),
            "status": "completed",
            "counts": {"samples": 0, "locust_requests": 9},
        },
    )
    remote = tmp_path / "worker-out"
    _batch(remote / "20260101T000000Z-1" / "samples" / "w1-1-000000.parquet", 4, 1)
    old = remote / "20250101T000000Z-2" / "samples" / "w1-2-000000.parquet"
    _batch(old, 6, 1)
    table = pq.read_table(old)
    hour_ago = pa.array([now - timedelta(hours=1)] * 6, pa.timestamp("ns", tz="UTC"))
    pq.write_table(table.set_column(0, "t_start", hour_ago), old)
    out = subprocess.run(
        [sys.executable, "-m", "pockit", "gather", str(run.path), str(remote), "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["copied"][str(remote)] == 1 and data["skipped"][str(remote)] == 1
    assert "w1-2-000000.parquet" in data["skipped_reasons"][str(remote)][0]
    assert run.read_samples().height == 4
    assert "4 samples but Locust counted 9" in out.stderr
    assert run.meta["warnings"] == data["warnings"] and len(data["warnings"]) == 1
