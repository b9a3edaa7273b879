"""``pockit stats`` on 10M, 100M (and on request 1B) samples: time and peak RSS, in memory vs streaming.

Generates run directories outside the repository (``--data``, default ``$TMPDIR/pockit-scale``;
kept between invocations, reused when present): four runs of one candidate, four endpoints with
lognormal latencies rounded to 1 us (ties), 1% failures. Each size is measured in separate
processes (peak RSS of that child from ``os.wait4``):

- ``memory``: ``run_stats(..., stream=False)``, the frame path (every sample in memory);
- ``stream``: ``pockit stats --json`` (streams from ``STREAM_ROWS`` samples up);
- ``duckdb``: DuckDB's ``quantile_disc`` over the same Parquet files (overall and per endpoint
  P50/P95/P99 of successful requests), the reference; skipped when duckdb is not importable by
  ``--duckdb-python`` (default: this interpreter; DuckDB is not a pockit dependency).

The streaming figures are checked equal to the in-memory ones (estimates and interval bounds) and
the point estimates to DuckDB's. Targets: streaming peak RSS <= 2 GB at any size; marked MISSED
otherwise. ``--sizes 10M,100M,1B``; the in-memory path is skipped above ``--memory-max`` rows.
Run: ``.venv/bin/python benchmarks/bench_scale.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ENDPOINTS = {"GET /items": 30.0, "GET /item": 20.0, "POST /cart": 80.0, "GET /search": 120.0}
RUNS = 4
FILE_ROWS = 5_000_000
RSS_TARGET_MB = 2048.0


def parse_size(text: str) -> int:
    mult = {"K": 10**3, "M": 10**6, "B": 10**9}
    text = text.strip().upper()
    return int(float(text[:-1]) * mult[text[-1]]) if text[-1] in mult else int(text)


def make_runs(root: Path, n: int) -> list[Path]:
    """``RUNS`` run directories holding ``n`` samples together (written file by file)."""
    from datetime import UTC, datetime, timedelta

    from pockit._rundir import SAMPLE_SCHEMA, RunDir, iso

    done = root / "DONE"
    if done.exists():
        return sorted(p for p in root.iterdir() if p.is_dir())
    if root.exists():  # a generation that did not finish: start again
        shutil.rmtree(root)
    root.mkdir(parents=True)
    rng = np.random.default_rng(7)
    names = list(ENDPOINTS)
    medians = np.array([ENDPOINTS[k] for k in names])
    out = []
    per_run = n // RUNS
    for r in range(RUNS):
        start = datetime(2026, 11, 26, 6, 0, tzinfo=UTC) + timedelta(hours=r)
        dur = max(per_run / 5000.0, 1.0)
        run = RunDir.create(
            root,
            {
                "candidate": "async",
                "start": iso(start),
                "end": iso(start + timedelta(seconds=dur)),
                "status": "completed",
            },
        )
        t0 = np.datetime64(start.replace(tzinfo=None), "ns").astype(np.int64)
        for f, lo in enumerate(range(0, per_run, FILE_ROWS)):
            m = min(FILE_ROWS, per_run - lo)
            idx = rng.integers(0, len(names), m).astype(np.int32)
            lat = np.round(medians[idx] * rng.lognormal(0.0, 0.5, m), 3)
            ok = rng.random(m) > 0.01
            t = t0 + ((lo + np.arange(m)) * (dur * 1e9 / per_run)).astype(np.int64)
            table = pa.table(
                {
                    "t_start": pa.array(t, pa.int64()).cast(pa.timestamp("ns", tz="UTC")),
                    "latency_ms": pa.array(lat),
                    "name": pa.DictionaryArray.from_arrays(pa.array(idx), pa.array(names)),
                    "method": pa.DictionaryArray.from_arrays(
                        pa.array(np.zeros(m, np.int32)), pa.array(["GET"])
                    ),
                    "status": pa.array(np.where(ok, 200, 503).astype(np.int16)),
                    "ok": pa.array(ok),
                    "bytes": pa.array(np.full(m, 512, np.int64)),
                    "error": pa.DictionaryArray.from_arrays(
                        pa.array(np.zeros(m, np.int32), mask=ok), pa.array(["HTTP 503"])
                    ),
                    "worker": pa.array(np.zeros(m, np.int16)),
                    "t_intended": pa.nulls(m, pa.timestamp("ns", tz="UTC")),
                    "retry": pa.nulls(m, pa.int16()),
                }
            ).cast(SAMPLE_SCHEMA)
            pq.write_table(table, run.samples_dir / f"batch-{f:05d}.parquet")
        out.append(run.path)
    done.write_text("ok\n")
    return out


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) of this one child, and its stdout."""
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed with exit code {proc.returncode}")
    return wall, usage.ru_maxrss / 1024.0, text


MEMORY_CODE = (
    "import json,sys; from pockit.analysis import run_stats; "
    "print(json.dumps(run_stats(sys.argv[1:], stream=False).to_dict()))"
)
DUCKDB_CODE = """
import duckdb, json, sys
files = [f"{d}/samples/**/*.parquet" for d in sys.argv[1:]]
con = duckdb.connect()
con.execute("SET threads TO 2")
con.execute("SET enable_progress_bar = false")
q = "quantile_disc(latency_ms, [0.5, 0.95, 0.99])"
src = f"read_parquet({files!r})"
rows = con.execute(f"SELECT name, {q} FROM {src} WHERE ok GROUP BY ALL").fetchall()
out = {str(n): v for n, v in rows}
out["all"] = con.execute(f"SELECT {q} FROM {src} WHERE ok").fetchone()[0]
print(json.dumps(out))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10M,100M")
    ap.add_argument("--data", default=str(Path(tempfile.gettempdir()) / "pockit-scale"))
    ap.add_argument("--memory-max", type=parse_size, default=parse_size("20M"))
    ap.add_argument("--duckdb-python", default=sys.executable)
    args = ap.parse_args()
    env = dict(os.environ)
    env["PYTHONPATH"] = (
        str(Path(__file__).resolve().parents[1]) + os.pathsep + env.get("PYTHONPATH", "")
    )
    missed = False
    for label in args.sizes.split(","):
        n = parse_size(label)
        t0 = time.perf_counter()
        dirs = make_runs(Path(args.data) / label.strip(), n)
        print(
            f"== {label}: {n:,} samples in {len(dirs)} runs ({time.perf_counter() - t0:.0f} s to prepare)"
        )
        paths = [str(d) for d in dirs]
        results: dict[str, tuple[float, float, Any]] = {}
        cli = [sys.executable, "-m", "pockit.cli", "stats", "--json", *paths]
        wall, rss, text = measure(cli, env)
        results["stream"] = (wall, rss, json.loads(text))
        if n <= args.memory_max:
            wall, rss, text = measure([sys.executable, "-c", MEMORY_CODE, *paths], env)
            results["memory"] = (wall, rss, json.loads(text))
        try:
            wall, rss, text = measure([args.duckdb_python, "-c", DUCKDB_CODE, *paths])
            results["duckdb"] = (wall, rss, json.loads(text))
        except SystemExit as exc:
            print(f"   duckdb: skipped ({exc})")
        for name, (wall, rss, _) in results.items():
            flag = ""
            if name == "stream" and rss > RSS_TARGET_MB:
                flag, missed = f"  MISSED (target <= {RSS_TARGET_MB:.0f} MB)", True
            print(f"   {name:7s} {wall:8.1f} s  {rss:8.0f} MB peak RSS{flag}")
        s = results["stream"]
        for other in ("memory", "duckdb"):
            if other in results:
                o = results[other]
                print(f"   stream/{other}: time {s[0] / o[0]:.2f}x, peak RSS {s[1] / o[1]:.2f}x")
        if "memory" in results:
            same = {k: v for k, v in s[2].items() if k != "method"} == {
                k: v for k, v in results["memory"][2].items() if k != "method"
            }
            print(f"   stream == memory (every figure and bound): {same}")
            missed |= not same
        if "duckdb" in results:
            ref = results["duckdb"][2]
            ours = {
                "all": s[2]["latency_ms"],
                **{k: v["latency_ms"] for k, v in s[2]["endpoints"].items()},
            }
            agree = all([ours[g][p]["value"] for p in ("p50", "p95", "p99")] == ref[g] for g in ref)
            print(f"   stream estimates == duckdb quantile_disc: {agree}")
            missed |= not agree
    print("MISSED: see above" if missed else "all targets met")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
