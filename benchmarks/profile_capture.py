"""Where the capture plugin's CPU goes: Locust with and without it, sampled by py-spy.

Against the same throw-away nginx as ``bench_capture.py`` (``_loadbench.py``) (FastHttpUser, no wait), one Locust
process runs bare and one with ``pockit/load/_capture.py``, each under ``py-spy record`` (a
sampling profiler in its own process: it adds no code to the profiled one). The output is the share
of samples each pockit frame holds (self time: the frame's own lines), and the frames whose share
grew most against the bare run. A sampling profile is coarse (about 200 samples a second): read
shares of a few percent as an order of magnitude, and measure speed with ``bench_capture.py``.

Run: ``.venv/bin/python benchmarks/profile_capture.py [--duration 12] [--users 20]``
(needs ``py-spy``, in the dev extras).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _loadbench as lb  # noqa: E402 - the load benchmarks' nginx and locustfile
import bench_capture as bc  # noqa: E402 - the capture plugin's path


def profile(variant: str, host: str, tmp: Path, duration: int, users: int) -> Counter[str]:
    """Self samples by frame for one Locust run (``bare`` or ``pockit``)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    files = [str(tmp / "locustfile.py")] + ([str(bc.CAPTURE)] if variant == "pockit" else [])
    env = {**os.environ, "POCKIT_RUN_DIR": str(tmp / f"run-{variant}"), "POCKIT_EVENTS": "0"}
    out = tmp / f"{variant}.txt"
    cmd = [
        spy, "record", "--rate", "200", "--format", "raw", "--output", str(out), "--",
        sys.executable, "-m", "locust", "-f", ",".join(files), "--headless", "--only-summary",
        "--host", host, "-u", str(users), "-r", str(users), "-t", f"{duration}s",
        "--skip-log-setup", "--loglevel", "WARNING",
    ]  # fmt: skip
    subprocess.run(cmd, env=env, capture_output=True, check=True, timeout=duration + 120)
    counts: Counter[str] = Counter()
    for line in out.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        counts[stack.split(";")[-1]] += int(n)
    return counts


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=int, default=12)
    p.add_argument("--users", type=int, default=20)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="pockit-prof-") as name:
        tmp = Path(name)
        (tmp / "locustfile.py").write_text(lb.locustfile())
        with lb.running_nginx(tmp) as host:
            bare = profile("bare", host, tmp, args.duration, args.users)
            pockit = profile("pockit", host, tmp, args.duration, args.users)
    tb, tp = sum(bare.values()), sum(pockit.values())
    print(f"samples: bare {tb}, with capture {tp}")
    own = {k: v for k, v in pockit.items() if "pockit/" in k}
    print(f"pockit's own frames (self): {100 * sum(own.values()) / tp:.1f}% of samples")
    for frame, n in Counter(own).most_common(12):
        print(f"  {100 * n / tp:5.2f}%  {frame}")
    print("frames whose share grew most against the bare run:")
    grew = sorted(pockit, key=lambda k: pockit[k] / tp - bare[k] / tb, reverse=True)
    for frame in grew[:12]:
        print(f"  {100 * pockit[frame] / tp:5.2f}% vs {100 * bare[frame] / tb:5.2f}%  {frame}")
    return 0


if __name__ == "__main__":
    lb.run(main)
