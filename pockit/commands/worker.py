"""``pockit worker --master HOST:PORT``: join a distributed run from another machine.

The worker runs the same locustfile as the master with pockit's capture plugin, and writes its
samples to ``--out/<UTC stamp>-<pid>/`` (a shared path, or a local folder gathered into the run
directory afterwards): one sub-folder per invocation, so reusing ``--out`` never mixes runs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pockit.commands._output import add_json_flag, emit


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "worker",
        help="join a distributed run as a Locust worker",
        description="Start a Locust worker that connects to the master of a `pockit run --workers N "
        "--remote-workers M --master-bind 0.0.0.0:5557` and records every request it sends into "
        "--out/<UTC stamp>-<pid>/samples/ (a new sub-folder each time). Bring them into the run "
        "directory with `pockit gather RUN_DIR OUT` when the run ends; it takes only the batches "
        "inside that run's time window.",
    )
    parser.add_argument("--master", required=True, metavar="HOST:PORT", help="the master's address")
    parser.add_argument("--locustfile", required=True, help="the same locustfile the master runs")
    parser.add_argument(
        "--out",
        default="pockit-worker",
        metavar="DIR|s3://BUCKET/PREFIX",
        help="where samples go: a folder (shared, or gathered later) or an s3:// prefix uploaded "
        "when the worker ends (default: pockit-worker); pockit.load.gather_samples(run_dir, it) "
        "copies them into the run directory",
    )
    parser.add_argument(
        "--index",
        type=int,
        default=None,
        help="worker index for the samples' worker column (default: the master's)",
    )
    add_json_flag(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pockit._errors import LoadError, UsageError
    from pockit.load import remote_worker_command, remote_worker_env

    host, _, port = args.master.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--master expects HOST:PORT such as 10.0.0.5:5557, got {args.master!r}")
    if not Path(args.locustfile).is_file():
        raise UsageError(f"locustfile not found: {args.locustfile}")
    import tempfile

    # one sub-folder per invocation, so a reused --out never mixes this run's samples with another's
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}"
    remote = f"{str(args.out).rstrip('/')}/{stamp}" if str(args.out).startswith("s3://") else None
    out = Path(tempfile.mkdtemp(prefix="pockit-worker-")) if remote else Path(args.out) / stamp
    (out / "samples").mkdir(parents=True, exist_ok=True)
    (out / "locust").mkdir(parents=True, exist_ok=True)
    env = remote_worker_env(out, args.index)
    proc = subprocess.Popen(remote_worker_command(args.locustfile, host, port), env=env)
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        code = proc.wait(timeout=10)
    if code not in (0, None):
        raise LoadError(f"locust worker exited with code {code} (master {args.master})")
    from pockit._rundir import settle_batches

    # the capture wrote compact batches (no pyarrow in Locust): Parquet from here on
    problems: list[str] = []
    files = [str(p) for p in settle_batches(out / "samples", problems)]
    for problem in problems:  # left as they are: pockit gather checks them again and names them
        print(f"warning: {problem}", file=sys.stderr)
    if remote:
        import shutil

        from pockit.load import upload_worker_output

        try:
            files = [k for k in upload_worker_output(out, remote) if k.endswith(".parquet")]
        except Exception as exc:  # keep the local copy: nothing recorded is lost
            raise LoadError(
                f"cannot upload samples to {remote}: {exc}; they are kept in {out}"
            ) from None
        shutil.rmtree(out, ignore_errors=True)
    where = remote or str(out / "samples")
    emit(
        args,
        {"samples": files, "out": str(remote or out)},
        f"{len(files)} sample batch(es) in {where}",
    )
    return 0
