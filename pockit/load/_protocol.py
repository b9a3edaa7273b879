"""How pockit talks to a Locust process: its command line and the ``POCKIT_*`` environment.

One module for both sides. The parent (:mod:`pockit.load._run`) and ``pockit worker`` build the
argv and environment here; the plugins that run inside Locust (``_capture.py``, ``_shape.py``) read
them back here. It imports the standard library only: it loads in every Locust process.

=========================  =======================================================================
variable                   meaning (who sets it)
=========================  =======================================================================
``POCKIT_RUN_DIR``         run directory; samples go to ``samples/``, status to ``locust/`` (parent,
                           ``pockit worker``: its ``--out`` sub-folder)
``POCKIT_CANDIDATE``       the candidate loaded, for a locustfile that adapts to it (parent)
``POCKIT_PARENT_PID``      the plugin quits when this process is gone: no orphan load generators
``POCKIT_PROGRESS``        file the master (or the only process) rewrites every second (parent)
``POCKIT_ALLOWED_HOSTS``   JSON list of ``guardrails.allowed_hosts``; unset (a remote worker): only
                           the host the master gave, or the list the master sends (parent)
``POCKIT_SHAPE``           JSON load shape for ``_shape.py`` (parent, when the run needs one)
``POCKIT_ARRIVAL``         JSON pacing of an open-model run: ``{"segments": [[end_s, rate]],
                           "gaps": [[at_s, pause_s]], "share": f}`` (parent)
``POCKIT_WORKER``          force the samples' worker index (``pockit worker --index``; the parent
                           removes it)
``POCKIT_LOCAL_WORKER``    set on the parent's own workers: they never close run.json (parent)
``POCKIT_EVENTS``          ``0``: write no events (``pockit worker``: the run directory is not there)
``POCKIT_BATCH_ROWS`` /    batch bounds of the capture (user or test; defaults in pockit._constants)
``POCKIT_BATCH_SECONDS``
``POCKIT_PURE_CAPTURE``    ``1``: the capture's pure-Python recorder and host guard even when its C
                           extension was built (user; a comparison, or a suspected fault in C)
``POCKIT_WORKER_WAIT_S``   how long the master waits for its workers (user; read by the parent)
``POCKIT_LIVE``            ``1``: the master asks remote workers to send each batch as they write it,
                           into ``locust/live/`` (parent, for ``stop_when`` or a ``capacity`` ramp
                           with remote workers)
=========================  =======================================================================
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pockit.load._plan import Plan

_HERE = Path(__file__).resolve().parent
CAPTURE_PLUGIN = _HERE / "_capture.py"
SHAPE_PLUGIN = _HERE / "_shape.py"

RUN_DIR = "POCKIT_RUN_DIR"
CANDIDATE = "POCKIT_CANDIDATE"
PARENT_PID = "POCKIT_PARENT_PID"
PROGRESS = "POCKIT_PROGRESS"
ALLOWED_HOSTS = "POCKIT_ALLOWED_HOSTS"
SHAPE = "POCKIT_SHAPE"
ARRIVAL = "POCKIT_ARRIVAL"
WORKER = "POCKIT_WORKER"
LOCAL_WORKER = "POCKIT_LOCAL_WORKER"
EVENTS = "POCKIT_EVENTS"
BATCH_ROWS = "POCKIT_BATCH_ROWS"
BATCH_SECONDS = "POCKIT_BATCH_SECONDS"
WORKER_WAIT_S = "POCKIT_WORKER_WAIT_S"
LIVE = "POCKIT_LIVE"
PURE_CAPTURE = "POCKIT_PURE_CAPTURE"

#: The file in the run directory the plugin rewrites every second and the parent's bar reads.
PROGRESS_FILE = ".progress.json"
#: ``locust/`` files: each process's capture status, and the run id a master told a worker.
CAPTURE_STATUS_GLOB = "capture-*.json"
MASTER_RUN_FILE = "master-run.json"
#: Messages between the master's plugin and a worker's: the worker says hello, the master answers
#: with the run it serves (``{"run_id", "allowed_hosts"}``).
MSG_HELLO = "pockit_hello"
MSG_RUN = "pockit_run"
#: A remote worker's batch while the run goes (``{"name", "data": compact batch bytes}``), when the
#: master asked for it (``"live": true`` in ``pockit_run``): the master keeps it in ``locust/live/``
#: for the ``stop_when`` and ``capacity`` watchers, which cannot see the worker's own folder until
#: ``pockit gather``. Its name is the capture's (``pockit._contract.COMPACT_NAME``); its size at most:
MSG_BATCH = "pockit_batch"
LIVE_DIR = "live"
LIVE_MAX_BYTES = 64 * 1024 * 1024
#: How the capture plugin's refusal of a host outside ``guardrails.allowed_hosts`` starts (the
#: sample's ``error``); the post-run checks count refusals by it.
REFUSED_PREFIX = "refused by pockit guardrails"

#: How long the master waits for its workers to connect before the run fails
#: (``POCKIT_WORKER_WAIT_S`` overrides it, e.g. for remote workers that start by hand).
WORKER_CONNECT_WAIT_S = 30


def capture_status_name(worker: int, pid: int) -> str:
    """``locust/capture-wNNN-PID.json``: one load process's written, dropped and errors."""
    return f"capture-w{worker:03d}-{pid}.json"


# ----------------------------------------------------------------------------------------------
# the parent's side: argv and environment
# ----------------------------------------------------------------------------------------------
def worker_wait_s() -> int:
    raw = os.environ.get(WORKER_WAIT_S)
    return int(raw) if raw and raw.isdigit() else WORKER_CONNECT_WAIT_S


def child_env(
    run_path: Path, candidate: str, plan: Plan, allowed_hosts: list[str] | tuple[str, ...]
) -> dict[str, str]:
    """The environment of the parent's Locust processes (the master, or the only one)."""
    env = dict(os.environ)
    env.update(
        {
            ALLOWED_HOSTS: json.dumps(list(allowed_hosts)),
            CANDIDATE: candidate,
            RUN_DIR: str(run_path.resolve()),
            PARENT_PID: str(os.getpid()),
            PROGRESS: str((run_path / PROGRESS_FILE).resolve()),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop(WORKER, None)
    if plan.shape:
        env[SHAPE] = json.dumps(plan.shape)
    if plan.arrival:
        share = 1.0 / max(1, plan.workers + plan.remote_workers)
        env[ARRIVAL] = json.dumps({**plan.arrival, "share": share})
    env.pop(LIVE, None)
    if plan.remote_workers and (plan.stop_when is not None or plan.capacity is not None):
        env[LIVE] = "1"
    return env


def local_worker_env(env: dict[str, str], index: int) -> dict[str, str]:
    """The environment of the parent's local worker ``index``."""
    return {**env, LOCAL_WORKER: str(index)}


def _common(locustfile: str, shape: bool) -> list[str]:
    files = [locustfile, str(CAPTURE_PLUGIN)] + ([str(SHAPE_PLUGIN)] if shape else [])
    return ["-f", ",".join(files), "--skip-log-setup", "--exit-code-on-error", "0"]


def master_command(
    plan: Plan, *, locustfile: str, host: str, locust_stem: Path, port: int | None
) -> list[str]:
    """The headless Locust run (a master when ``port`` is given), its CSV and JSON beside
    ``locust_stem``."""
    cmd = [
        sys.executable, "-m", "locust", *_common(locustfile, bool(plan.shape)),
        "--headless", "--only-summary",
        "--host", host,
        "-u", str(plan.users), "-r", f"{plan.spawn_rate:g}",
        "-t", f"{max(1, math.ceil(plan.duration_s))}s",
        "--csv", str(locust_stem),
        "--json-file", str(locust_stem),  # Locust adds .json; final counts, unlike the CSV
        *plan.user_classes,
    ]  # fmt: skip
    if port is not None:
        cmd += [
            "--master", "--master-bind-host", plan.master_bind, "--master-bind-port", str(port),
            "--expect-workers", str(plan.workers + plan.remote_workers),
            "--expect-workers-max-wait", str(worker_wait_s()),
        ]  # fmt: skip
    return cmd


def local_worker_command(plan: Plan, *, locustfile: str, port: int) -> list[str]:
    """One of the parent's local workers, connecting to its master."""
    connect = "127.0.0.1" if plan.master_bind in ("0.0.0.0", "", "*") else plan.master_bind
    return [
        sys.executable, "-m", "locust", *_common(locustfile, bool(plan.shape)), "--worker",
        "--master-host", connect, "--master-port", str(port), *plan.user_classes,
    ]  # fmt: skip


def remote_worker_command(locustfile: str, host: str, port: str) -> list[str]:
    """``pockit worker``'s Locust: a worker with the capture plugin, joining ``host:port``."""
    return [
        sys.executable, "-m", "locust", "-f", f"{locustfile},{CAPTURE_PLUGIN}",
        "--worker", "--master-host", host, "--master-port", port, "--skip-log-setup",
    ]  # fmt: skip


def remote_worker_env(out: Path, index: int | None) -> dict[str, str]:
    """``pockit worker``'s environment: samples into ``out``, no events (the run is elsewhere)."""
    env = {
        **os.environ,
        RUN_DIR: str(out.resolve()),
        PARENT_PID: str(os.getpid()),
        EVENTS: "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop(PROGRESS, None)
    if index is not None:
        env[WORKER] = str(index)
    return env


# ----------------------------------------------------------------------------------------------
# the plugins' side: read back what the parent set (at the moment of use, never cached)
# ----------------------------------------------------------------------------------------------
def run_dir() -> str | None:
    return os.environ.get(RUN_DIR) or None


def parent_pid() -> int:
    return int(os.environ.get(PARENT_PID) or 0)


def progress_file() -> Path | None:
    path = os.environ.get(PROGRESS)
    return Path(path) if path else None


def allowed_hosts() -> list[Any] | None:
    """``guardrails.allowed_hosts`` as the parent passed it; None when it did not."""
    raw = os.environ.get(ALLOWED_HOSTS)
    return list(json.loads(raw)) if raw else None


def forced_worker() -> int | None:
    raw = os.environ.get(WORKER)
    return int(raw) if raw not in (None, "") else None


def live() -> bool:
    """Whether the master should ask remote workers for their batches as they write them."""
    return os.environ.get(LIVE) == "1"


def is_local_worker() -> bool:
    return bool(os.environ.get(LOCAL_WORKER))


def events_on() -> bool:
    return os.environ.get(EVENTS, "1") == "1"


def batch_bounds(rows: int, seconds: float) -> tuple[int, float]:
    """The capture's batch bounds: the environment's, else these defaults."""
    return (
        int(os.environ.get(BATCH_ROWS) or rows),
        float(os.environ.get(BATCH_SECONDS) or seconds),
    )


def arrival() -> dict[str, Any] | None:
    raw = os.environ.get(ARRIVAL)
    return dict(json.loads(raw)) if raw else None


def shape() -> dict[str, Any]:
    return dict(json.loads(os.environ.get(SHAPE) or "{}"))
