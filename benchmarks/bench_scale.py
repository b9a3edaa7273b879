"""``pockit stats``, ``decide`` (and ``report``) on 10M, 100M (and on request 1B) samples: time and
peak RSS, in memory vs streaming.

Generates run directories outside the repository (``--data``, default ``$TMPDIR/pockit-scale``;
kept between invocations, reused when present): four runs of one candidate, four endpoints with
lognormal latencies rounded to 1 us (ties), 1% failures, a 30 s fault (events) in each run, and a
spec with the common criteria (P95/P99 overall and per endpoint, error and success rate,
throughput, error-budget burn, request classes, cost per 1k from a price book, time to detect and
recovery). Each command is measured in a separate process (peak RSS from ``os.wait4``: the largest
of the child and the children it waited for):

- ``stats``: ``pockit stats --json`` (streams from ``STREAM_ROWS`` samples up);
- ``stats-mem``: ``run_stats(..., stream=False)``, the frame path (every sample in memory);
- ``decide``: ``pockit decide --json`` (streams from ``STREAM_ROWS`` up);
- ``decide-mem``: ``decide(..., stream=False)``;
- ``duckdb``: DuckDB's ``quantile_disc`` over the same Parquet files (overall and per endpoint
  P50/P95/P99 of successful requests), the reference; skipped when duckdb is not importable by
  ``--duckdb-python`` (default: this interpreter; DuckDB is not a pockit dependency);
- ``report`` (with ``--report``): ``pockit report`` to HTML, its process tree killed past
  ``--report-max-mb`` (6 GB) together.

The streaming stats are checked equal to the in-memory ones (estimates and interval bounds), the
streamed decision to the in-memory decision (its whole ``--json``), the point estimates to
DuckDB's. Targets: peak RSS <= 2 GB for stats, decide and report at any size; marked MISSED
otherwise. ``--sizes 10M,100M,1B``; the in-memory paths are skipped above ``--memory-max`` rows.
Run: ``.venv/bin/python benchmarks/bench_scale.py [--report]``.

Figures (2026-12-01, 2-core VM with nothing else running; seconds, peak RSS; commands:
``--sizes 10M,100M --report``, ``--sizes 1B --report``, then ``--sizes 1B --only report``):

======  ===============  ===============  ================  ===============  ===============
size    stats            decide           decide in memory  duckdb           report
======  ===============  ===============  ================  ===============  ===============
10M     3.1 s, 456 MB    6.5 s, 498 MB    21.6 s, 1600 MB   0.9 s, 312 MB    22.6 s, 588 MB
100M    21.3 s, 699 MB   33.7 s, 669 MB   (not run)         7.1 s, 1678 MB   91.9 s, 826 MB
1B      182.5 s, 998 MB  351.1 s, 833 MB  (not run)         101.1 s, 16121 MB 781.1 s, 1059 MB
======  ===============  ===============  ================  ===============  ===============

The streamed decision equals the in-memory one at 10M (its whole ``--json``: every outcome,
estimate, bound, reason); the streamed estimates equal DuckDB's ``quantile_disc`` at every size.
Every figure is under the 2 GB target. The report's latency distribution is
``pockit.analysis.latency_curve`` (a streaming group-by per bin); before it held every latency
(3.8 GB at 100M). At 1B the report's first cell runs ~13 min, past the old fixed 300 s cell
timeout; the default now grows by 1 s per million samples. Stats run at about 1/1.8 of DuckDB's
speed at 1B, in 1/16 of its memory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
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


SPEC = """name: scale
hypothesis: the generated service holds its targets at 5,000 req/s per run
candidates:
  - {name: async, host: "http://127.0.0.1:1"}
load: {locustfile: l.py}
slo: {target: 0.98}
cost: {source: model, price_book: prices.yaml}
criteria:
  - {metric: latency_p95_ms, op: "<", threshold: 250, key: true}
  - {metric: latency_p99_ms, op: "<", threshold: 400}
  - {metric: latency_p95_ms, op: "<", threshold: 80, endpoint: "GET /items"}
  - {metric: latency_p95_ms, op: "<", threshold: 60, endpoint: "GET /item"}
  - {metric: latency_p95_ms, op: "<", threshold: 200, endpoint: "POST /cart"}
  - {metric: latency_p95_ms, op: "<", threshold: 300, endpoint: "GET /search"}
  - {metric: error_rate, op: "<=", threshold: 0.02}
  - {metric: success_rate, op: ">=", threshold: 0.98}
  - {metric: throughput_rps, op: ">=", threshold: 4000}
  - {metric: error_budget_burn, op: "<=", threshold: 1}
  - {metric: http_error_rate, op: "<=", threshold: 0.02}
  - {metric: denied_rate, op: "<=", threshold: 0.01}
  - {metric: cost_per_1k_usd, op: "<=", threshold: 0.01}
  - {metric: detect_s, op: "<=", threshold: 5}
  - {metric: recovery_s, op: "<=", threshold: 10}
"""
PRICES = """currency: USD
candidates:
  async: {per_request: 0.0000002, per_gb_second: 0.0000166667, memory_gb: 0.5, duration_ms: 110}
"""


def write_spec(root: Path, dirs: list[Path]) -> Path:
    """The spec ``decide`` and ``report`` judge (common criteria), and a 30 s fault in each run
    (``fault_start``/``fault_end`` events, added once) for time to detect and recovery."""
    from datetime import timedelta

    from pockit._contract import EventKind
    from pockit._rundir import RunDir

    for d in dirs:
        run = RunDir.open(d)
        if not any(e.get("kind") == EventKind.FAULT_START for e in run.events()):
            at = run.start + (run.end - run.start) * 0.4 if run.end else run.start
            run.add_event(EventKind.FAULT_START, ts=at, fault="error_rate")
            run.add_event(EventKind.FAULT_END, ts=at + timedelta(seconds=30), fault="error_rate")
    (root / "l.py").write_text("# not run: the runs are generated\n")
    (root / "prices.yaml").write_text(PRICES)
    spec = root / "poc.yaml"
    spec.write_text(SPEC)
    return spec


def measure(
    cmd: list[str],
    env: dict[str, str] | None = None,
    *,
    ok: tuple[int, ...] = (0,),
    cap_mb: float = 0,
) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB: the largest of the child and the children it waited for), and
    its stdout. With ``cap_mb`` the process tree is killed when its RSS together passes it."""
    import psutil

    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, env=env, start_new_session=bool(cap_mb))
        killed = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG if cap_mb else 0)
            if pid:
                break
            try:
                tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(True)]
                total = sum(p.memory_info().rss for p in tree) / 2**20
            except psutil.Error:
                total = 0.0
            if total > cap_mb and not killed:
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
            time.sleep(0.5)
        wall = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if killed:
        raise SystemExit(f"killed: its processes passed {cap_mb:.0f} MB together")
    if code not in ok:
        raise SystemExit(f"{cmd[:3]} failed with exit code {code}")
    return wall, usage.ru_maxrss / 1024.0, text


MEMORY_CODE = (
    "import json,sys; from pockit.analysis import run_stats; "
    "print(json.dumps(run_stats(sys.argv[1:], stream=False).to_dict()))"
)
MEMORY_DECIDE = (
    "import sys; from pockit.decision import decide; from pockit.spec import load_spec; "
    "from pockit.commands._output import to_json; "
    "print(to_json(decide(load_spec(sys.argv[1]), sys.argv[2:], stream=False).to_dict()))"
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
#: ``pockit decide`` exits 0 GO, 1 NO-GO, 2 INCONCLUSIVE: each is a decision made.
VERDICTS = (0, 1, 2)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10M,100M")
    ap.add_argument("--data", default=str(Path(tempfile.gettempdir()) / "pockit-scale"))
    ap.add_argument("--memory-max", type=parse_size, default=parse_size("20M"))
    ap.add_argument("--duckdb-python", default=sys.executable)
    ap.add_argument("--report", action="store_true", help="measure pockit report too")
    ap.add_argument("--report-max-mb", type=float, default=6144.0)
    ap.add_argument(
        "--only",
        default="",
        help="measure only these, comma-separated (stats, stats-mem, decide, decide-mem, duckdb, "
        "report); default: all that apply",
    )
    args = ap.parse_args()
    only = {x.strip() for x in args.only.split(",") if x.strip()}

    def chosen(name: str) -> bool:
        return not only or name in only

    env = dict(os.environ)
    env["PYTHONPATH"] = (
        str(Path(__file__).resolve().parents[1]) + os.pathsep + env.get("PYTHONPATH", "")
    )
    py = sys.executable
    missed = False
    for label in args.sizes.split(","):
        n = parse_size(label)
        t0 = time.perf_counter()
        root = Path(args.data) / label.strip()
        dirs = make_runs(root, n)
        spec = write_spec(root, dirs)
        print(
            f"== {label}: {n:,} samples in {len(dirs)} runs ({time.perf_counter() - t0:.0f} s to prepare)"
        )
        paths = [str(d) for d in dirs]
        results: dict[str, tuple[float, float, Any]] = {}
        jobs: list[tuple[str, list[str], tuple[int, ...], bool]] = [
            ("stats", [py, "-m", "pockit.cli", "stats", "--json", *paths], (0,), True),
            ("stats-mem", [py, "-c", MEMORY_CODE, *paths], (0,), n <= args.memory_max),
            (
                "decide",
                [py, "-m", "pockit.cli", "decide", "--json", str(spec), *paths],
                VERDICTS,
                True,
            ),
            (
                "decide-mem",
                [py, "-c", MEMORY_DECIDE, str(spec), *paths],
                VERDICTS,
                n <= args.memory_max,
            ),
        ]
        for name, cmd, codes, wanted in jobs:
            if wanted and chosen(name):
                wall, rss, text = measure(cmd, env, ok=codes)
                results[name] = (wall, rss, json.loads(text))
        try:
            if chosen("duckdb"):
                wall, rss, text = measure([args.duckdb_python, "-c", DUCKDB_CODE, *paths])
                results["duckdb"] = (wall, rss, json.loads(text))
        except SystemExit as exc:
            print(f"   duckdb: skipped ({exc})")
        if args.report or "report" in only:
            out = root / "report.html"
            cmd = [py, "-m", "pockit.cli", "report", str(spec), *paths, "--out", str(out)]
            try:
                wall, rss, _ = measure(cmd, env, ok=VERDICTS, cap_mb=args.report_max_mb)
                results["report"] = (wall, rss, None)
            except SystemExit as exc:
                print(f"   report: MISSED ({exc})")
                missed = True
        for name, (wall, rss, _) in results.items():
            flag = ""
            if name in ("stats", "decide", "report") and rss > RSS_TARGET_MB:
                flag, missed = f"  MISSED (target <= {RSS_TARGET_MB:.0f} MB)", True
            print(f"   {name:10s} {wall:8.1f} s  {rss:8.0f} MB peak RSS{flag}")
        for a, b in (("stats", "stats-mem"), ("stats", "duckdb"), ("decide", "decide-mem")):
            if a in results and b in results:
                x, y = results[a], results[b]
                print(f"   {a}/{b}: time {x[0] / y[0]:.2f}x, peak RSS {x[1] / y[1]:.2f}x")
        s = results.get("stats")
        if s is not None and "stats-mem" in results:
            same = {k: v for k, v in s[2].items() if k != "method"} == {
                k: v for k, v in results["stats-mem"][2].items() if k != "method"
            }
            print(f"   stats stream == memory (every figure and bound): {same}")
            missed |= not same
        if "decide-mem" in results:
            same = results["decide"][2] == results["decide-mem"][2]
            print(f"   decide stream == memory (outcomes, estimates, bounds, reasons): {same}")
            missed |= not same
        if "decide" in results:
            verdict = results["decide"][2]
            print(
                f"   decide: {verdict['verdict']}; "
                + ", ".join(f"{c['label']}: {c['outcome']}" for c in verdict["criteria"])
            )
        if s is not None and "duckdb" in results:
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
