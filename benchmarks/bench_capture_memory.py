"""What pockit's capture plugin costs in memory: peak RSS of a Locust process with it vs without it.

One Locust process with ``FastHttpUser`` and no wait loads a loopback target (the demo service's
``async`` variant, started here, or ``--host URL``, e.g. an nginx) for ``--duration`` seconds:

- ``bare``     the locustfile alone
- ``pockit``   the same locustfile plus ``pockit/load/_capture.py`` (every request to a compact batch)

Trials alternate, one pair per round. Each process's peak RSS is the kernel's high-water mark
(``VmHWM`` in ``/proc/PID/status``), read until it exits; "growth" is its RSS at the end of the load
minus its RSS a quarter of the way in (flat: the capture keeps no per-request state beyond one
batch). The target: pockit's peak within +40 MB of bare in every round, and no growth beyond 10 MB.
The captured rows are read back through ``RunDir`` (which converts the compact batches, as the
``pockit run`` process does) and checked against Locust's own request count.

Run: ``.venv/bin/python benchmarks/bench_capture_memory.py [--duration 20] [--rounds 3] [--users 20]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _loadbench as lb  # noqa: E402 - the load benchmarks' shared parts

CAPTURE = lb.CAPTURE
TARGET_MB = 40.0
GROWTH_MB = 10.0


def _status_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def trial(
    variant: str, host: str, tmp: Path, duration: int, users: int, n: int
) -> dict[str, float]:
    """One Locust run: its peak RSS, its RSS growth over the load, requests and captured rows."""
    work = tmp / f"{variant}-{n}"
    work.mkdir()
    files = [str(tmp / "locustfile.py")]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if variant == "pockit":
        from pockit._rundir import RunDir

        run = RunDir.create(work / "runs", {"candidate": "bench"})
        files.append(str(CAPTURE))
        env["POCKIT_RUN_DIR"] = str(run.path)
    cmd = lb.locust_command(files, host, users, duration, work / "stats")
    log = open(work / "locust.log", "wb")  # noqa: SIM115 - closed once Locust exits
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
    started = time.monotonic()
    peak = 0
    early: int | None = None
    late = 0
    while proc.poll() is None:
        hwm, rss = _status_kb(proc.pid, "VmHWM"), _status_kb(proc.pid, "VmRSS")
        elapsed = time.monotonic() - started
        if hwm is not None:
            peak = max(peak, hwm)
        if rss is not None and elapsed <= duration:  # during the load, not Locust's shutdown
            if early is None and elapsed >= duration / 4:
                early = rss
            late = rss
        time.sleep(0.1)
    log.close()
    lb.check_exit(variant, proc, work / "locust.log")
    entries = json.loads((work / "stats.json").read_text())
    out = {
        "peak_mb": peak / 1024,
        "growth_mb": (late - (early or late)) / 1024,
        "requests": float(sum(e["num_requests"] for e in entries)),
        "captured": float("nan"),
    }
    if variant == "pockit":
        out["captured"] = float(run.read_samples().height)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=20, help="seconds per trial (default 20)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    ap.add_argument("--users", type=int, default=20, help="Locust users (default 20)")
    ap.add_argument(
        "--host", default=None, help="target URL (default: the demo service, started here)"
    )
    ap.add_argument("--path", default="/health", help="path each request gets (default /health)")
    args = ap.parse_args()
    if not Path("/proc/self/status").exists():
        print("needs Linux's /proc to read a process's peak RSS", file=sys.stderr)
        return 1
    results: dict[str, list[dict[str, float]]] = {"bare": [], "pockit": []}
    with (
        tempfile.TemporaryDirectory(prefix="pockit-bench-mem-") as raw,
        contextlib.ExitStack() as stack,
    ):
        tmp = Path(raw)
        (tmp / "locustfile.py").write_text(lb.locustfile(args.path))
        host = args.host
        if host is None:
            from pockit.demo._service import DemoService

            host = stack.enter_context(DemoService(variants=("async",))).url("async")
        print(
            f"target {host}{args.path}; {args.rounds} rounds x 2 variants x {args.duration}s, {args.users} users"
        )
        for r in range(args.rounds):
            order = ["bare", "pockit"] if r % 2 == 0 else ["pockit", "bare"]
            for v in order:
                results[v].append(trial(v, host, tmp, args.duration, args.users, r))
            bare, pockit = results["bare"][-1], results["pockit"][-1]
            extra = pockit["peak_mb"] - bare["peak_mb"]
            missed = extra > TARGET_MB or pockit["growth_mb"] > GROWTH_MB
            print(
                f"  round {r + 1}: bare {bare['peak_mb']:6.1f} MB  pockit {pockit['peak_mb']:6.1f} MB  "
                f"(+{extra:5.1f} MB)  growth over the load: bare {bare['growth_mb']:+.1f} MB, "
                f"pockit {pockit['growth_mb']:+.1f} MB  captured {pockit['captured']:.0f}/"
                f"{pockit['requests']:.0f}{'  MISSED' if missed else ''}",
                flush=True,
            )
    extras = [
        p["peak_mb"] - b["peak_mb"] for p, b in zip(results["pockit"], results["bare"], strict=True)
    ]
    worst = max(extras)
    growth = max(p["growth_mb"] for p in results["pockit"])
    lost = [p for p in results["pockit"] if p["captured"] != p["requests"]]
    ok = worst <= TARGET_MB and growth <= GROWTH_MB and not lost
    print(
        f"pockit - bare peak RSS per round: {', '.join(f'{e:+.1f}' for e in extras)} MB; median "
        f"{statistics.median(extras):+.1f} MB, worst {worst:+.1f} MB (target <= +{TARGET_MB:.0f} MB); "
        f"largest growth {growth:+.1f} MB (target <= {GROWTH_MB:.0f} MB) "
        f"{'OK' if ok else 'MISSED'}"
    )
    print(f"every request captured: {'yes' if not lost else f'NO, {len(lost)} trial(s) differ'}")
    return 0 if ok else 1


if __name__ == "__main__":
    lb.run(main)
