"""How far one machine goes: ``pockit run --workers N`` for N = 1 and 2, requests/s and captures.

Against Debian's nginx on 127.0.0.1 (the throw-away config of ``_loadbench.py``), the same
``FastHttpUser`` locustfile with no wait is run by ``pockit run --workers N`` (a Locust master and
N worker processes on this host, each worker capturing its own samples into the run directory),
for each N in turn, the order rotating every round. Nothing is pinned: pockit's parent, the master,
the workers and nginx share the machine's cores, as they do in a real run on one host.

Per round and N: requests/s (captured samples over run.json's load window), captured samples
against Locust's request count (the master's total), and whether the run said a load generator was
CPU-bound. Then the median requests/s per N, requests/s per worker process (the per-worker
ceiling: a worker with no wait runs until its core is full) and the ratio to the first N, round by
round. The CPU count is printed: on C cores shared with nginx and the master, N workers cannot go
C times one worker's rate, and past C they only share the same cores.

Target: every request captured (captured == Locust's count in every run, the difference named when
not): MISSED otherwise, exit status 1 as the other benchmarks. The rates have no target; they say
where one machine's ceiling lies.

Run: ``.venv/bin/python benchmarks/bench_workers.py [--workers 1,2] [--duration 10] [--rounds 3]
[--users 20]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _loadbench as lb  # noqa: E402 - the load benchmarks' nginx and pockit run


def _counts(text: str) -> list[int]:
    try:
        ns = [int(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected worker counts like 1,2, got {text!r}") from None
    if not ns or any(n < 1 for n in ns):
        raise argparse.ArgumentTypeError(f"worker counts must be >= 1, got {text!r}")
    return ns


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--workers", type=_counts, default=[1, 2], metavar="N,N", help="worker counts (1,2)"
    )
    ap.add_argument("--duration", type=int, default=10, help="seconds per run (default 10)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    ap.add_argument("--users", type=int, default=20, help="Locust users in all (default 20)")
    args = ap.parse_args()
    if not lb.require_nginx():
        return 1
    ns: list[int] = args.workers
    cpus = os.cpu_count() or 1
    results: dict[int, list[dict[str, float]]] = {n: [] for n in ns}
    lost: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pockit-bench-workers-") as raw:
        tmp = Path(raw)
        (tmp / "locustfile.py").write_text(lb.locustfile())
        with lb.running_nginx(tmp, cpu=None) as host:
            print(
                f"nginx at {host}; {cpus} CPUs, load average {os.getloadavg()[0]:.2f} at the start; "
                f"pockit run --workers N for N in {ns}, {args.rounds} rounds x {args.duration}s, "
                f"{args.users} users in all, nothing pinned"
            )
            for r in range(args.rounds):
                k = r % len(ns)
                for n in ns[k:] + ns[:k]:
                    res = lb.pockit_run(
                        tmp, host, tag=f"w{n}-{r}", users=args.users, duration=args.duration,
                        workers=n,
                    )  # fmt: skip
                    results[n].append(res)
                    diff = res["samples"] - res["requests"]
                    if diff:
                        lost.append(
                            f"N={n} round {r + 1}: captured {res['samples']:.0f}, Locust counted "
                            f"{res['requests']:.0f} ({diff:+.0f}; the capture says "
                            f"{res['dropped']:.0f} dropped, {res['workers_lost']:.0f} worker(s) lost)"
                        )
                    print(
                        f"  round {r + 1} N={n}: {res['rps']:7.0f} req/s, "
                        f"{res['rps'] / n:7.0f} per worker; captured {res['samples']:.0f} of "
                        f"{res['requests']:.0f} ({'equal' if not diff else f'{diff:+.0f}'}) in "
                        f"{res['window_s']:.2f} s; CPU-bound: {'yes' if res['saturated'] else 'no'}",
                        flush=True,
                    )
    print(f"\nmedian over {args.rounds} round(s), {cpus} CPUs:")
    med = {n: statistics.median(x["rps"] for x in results[n]) for n in ns}
    for n in ns:
        print(f"  N={n}: {med[n]:7.0f} req/s, {med[n] / n:7.0f} per worker process")
    base = ns[0]
    for n in ns[1:]:
        per_round = [x["rps"] / b["rps"] for x, b in zip(results[n], results[base], strict=True)]
        print(
            f"  N={n} / N={base} per round: {', '.join(f'{q:.2f}' for q in per_round)}; median "
            f"{statistics.median(per_round):.2f} (ideal {n / base:g} only with a free core per "
            f"worker: {cpus} CPUs here, shared with nginx and the master)"
        )
    print(
        f"per-worker ceiling: one worker process with FastHttpUser and no wait reached "
        f"{med[base] / base:.0f} req/s against nginx here (median at N={base}); beyond "
        f"{cpus} workers on {cpus} CPUs they only share cores: add machines (pockit worker)"
    )
    if lost:
        print("captured == Locust's count: MISSED\n  " + "\n  ".join(lost))
        return 1
    print("captured == Locust's count in every run: MET")
    return 0


if __name__ == "__main__":
    lb.run(main)
