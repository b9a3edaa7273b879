"""The capture plugin's links beyond the requests: the progress file the parent's bar reads, the
watch on the parent process, and the master↔worker messages (which run a worker serves, which
workers were lost). Events go to the run directory's events.jsonl through :func:`record_event`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent

from pockit._contract import (
    COMPACT_NAME,
    LOCUST_DIR,
    RUN_JSON,
    WORKER_LOST_BY_MASTER,
    EventKind,
    RunField,
    RunStatus,
    StopCode,
    decode_batch,
)
from pockit._errors import InputError
from pockit.load import _protocol as protocol

log = logging.getLogger("pockit.capture")


def record_event(kind: EventKind, **fields: Any) -> None:
    """Append an event to the run's events.jsonl (not on a remote ``pockit worker``: POCKIT_EVENTS=0)."""
    run_dir = protocol.run_dir()
    if run_dir and protocol.events_on():
        from pockit._rundir import RunDir

        try:
            RunDir(Path(run_dir)).add_event(kind, **fields)
        except OSError as exc:
            log.error("pockit capture: cannot record event %s: %s", kind, exc)


def write_progress(path: Path, runner: Any) -> None:
    total = runner.stats.total
    data = {
        "t": time.time(),
        "state": str(getattr(runner, "state", "")),
        "users": int(getattr(runner, "user_count", 0) or 0),
        "requests": int(total.num_requests),
        "failures": int(total.num_failures),
        "rps": float(total.current_rps or 0.0),
        "fail_rps": float(total.current_fail_per_sec or 0.0),
        "workers": len(getattr(runner, "clients", {}) or {}),
    }
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def progress_loop(path: Path, runner: Any) -> None:
    while True:
        with contextlib.suppress(OSError, AttributeError, TypeError):
            write_progress(path, runner)
        gevent.sleep(1.0)


def watch_parent(parent_pid: int, runner: Callable[[], Any]) -> None:
    """The parent went away (crash, SIGKILL): stop like a SIGTERM would, so samples are flushed."""
    while True:
        gevent.sleep(0.5)
        if os.getppid() != parent_pid:
            log.warning("pockit capture: parent %s is gone; stopping", parent_pid)
            _close_orphaned_run(parent_pid, runner())
            os.kill(os.getpid(), signal.SIGTERM)
            return


def _close_orphaned_run(parent_pid: int, runner: Any) -> None:
    """The pockit process that owned the run died without closing run.json: close it as aborted,
    so no reader takes a dead run for one still going. Only the master (or single) process does."""
    run_dir = protocol.run_dir()
    if not run_dir or type(runner).__name__ == "WorkerRunner" or protocol.is_local_worker():
        return
    from pockit._rundir import RunDir, iso, utcnow

    try:
        run = RunDir(Path(run_dir))
        if run.meta.get(RunField.STATUS) == RunStatus.RUNNING:
            run.update_meta(
                status=RunStatus.ABORTED,
                end=iso(utcnow()),
                stop_reason=f"the pockit process that ran it (PID {parent_pid}) died; samples up to then kept",
                stop_code=StopCode.PARENT_DIED,
            )
            run.add_event(EventKind.ABORTED, reason="parent process died", parent_pid=parent_pid)
    except (OSError, ValueError) as exc:
        log.error("pockit capture: cannot close run.json of an orphaned run: %s", exc)


def master_announce(runner: Any, run_dir: str) -> None:
    """On the master: tell each worker that connects which run it serves and the allowed hosts.

    A remote ``pockit worker`` knows neither; with it, ``pockit gather`` takes only this run's
    batches and the worker's host guard enforces the spec's ``guardrails.allowed_hosts``.
    """
    try:
        run_id = json.loads((Path(run_dir) / RUN_JSON).read_text()).get(RunField.ID)
    except (OSError, json.JSONDecodeError):
        run_id = Path(run_dir).name
    allowed = protocol.allowed_hosts()

    live = protocol.live()

    def tell(client_id: str) -> None:
        runner.send_message(
            protocol.MSG_RUN,
            {"run_id": run_id, "allowed_hosts": allowed, "live": live},
            client_id=client_id,
        )

    # Only when the worker asks: Locust connects a worker before its init event, so a message
    # sent on connect arrives before the worker's handler exists ("Unknown message type").
    runner.register_message(protocol.MSG_HELLO, lambda msg, **_: tell(msg.node_id))
    if live:
        runner.register_message(protocol.MSG_BATCH, lambda msg, **_: keep_live_batch(run_dir, msg))
    gevent.spawn(_watch_workers, runner)


_LIVE_NAME = re.compile(COMPACT_NAME)


def keep_live_batch(run_dir: str, msg: Any) -> Path | None:
    """On the master: a remote worker's batch into ``locust/live/`` (dot-name, then rename, as the
    capture writes its own). A worker's message is untrusted input: a name that is not a capture
    batch's, or data that is not bytes, too big, or not a whole compact batch (magic, version,
    lengths, checksum), is refused and logged (naming it and the worker), never written; the
    worker's own copy comes with ``pockit gather``, which checks it again."""
    data = msg.data if isinstance(getattr(msg, "data", None), dict) else {}
    name, blob = data.get("name"), data.get("data")
    node = getattr(msg, "node_id", "?")
    why = None
    if not isinstance(name, str) or not _LIVE_NAME.fullmatch(name):
        why = f"refused a live batch named {name!r} from {node}"
    elif not isinstance(blob, bytes) or not 0 < len(blob) <= protocol.LIVE_MAX_BYTES:
        why = f"refused live batch {name} from {node}: not compact batch bytes"
    else:
        try:
            decode_batch(blob, f"live batch {name} from {node}")
        except InputError as exc:
            why = f"refused {exc}"
    if why is not None:
        log.error("pockit capture: %s", why)
        return None
    assert isinstance(name, str) and isinstance(blob, bytes)
    folder = Path(run_dir) / LOCUST_DIR / protocol.LIVE_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{name}.tmp"
        tmp.write_bytes(blob)
        os.replace(tmp, folder / name)
    except OSError as exc:
        log.error("pockit capture: cannot keep live batch %s: %s", name, exc)
        return None
    return folder / name


def _watch_workers(runner: Any) -> None:
    """On the master: record a ``worker_lost`` event for each worker that stops heartbeating
    (Locust marks it ``missing``) or leaves while the load runs; remote workers included, which
    the parent cannot watch as processes."""
    seen: dict[str, int] = {}
    reported: set[str] = set()
    while True:
        gevent.sleep(1.0)
        with contextlib.suppress(Exception):
            running = str(runner.state) in ("spawning", "running")
            clients = dict(runner.clients)
            for cid, node in clients.items():
                seen.setdefault(cid, runner.get_worker_index(cid))
                if str(getattr(node, "state", "")) == "missing" and cid not in reported:
                    reported.add(cid)
                    record_event(EventKind.WORKER_LOST, source=WORKER_LOST_BY_MASTER, client_id=cid,
                           index=seen[cid], reason="stopped sending heartbeats")  # fmt: skip
            for cid in set(seen) - set(clients) - reported:
                reported.add(cid)
                if running:
                    record_event(EventKind.WORKER_LOST, source=WORKER_LOST_BY_MASTER, client_id=cid,
                           index=seen[cid], reason="left while the load ran")  # fmt: skip


def worker_listen(
    runner: Any,
    run_dir: str,
    allow: Callable[[Any], None],
    go_live: Callable[[Callable[[str, bytes], None]], None] = lambda _send: None,
) -> None:
    """On a worker: record the master's run id beside the samples (``locust/master-run.json``);
    ``allow`` the master's allowed hosts when the parent gave none; when the master asks for live
    batches (a remote worker of a ``stop_when`` run), ``go_live`` gets the function that sends one."""

    def send(name: str, blob: bytes) -> None:
        runner.send_message(protocol.MSG_BATCH, {"name": name, "data": blob})

    def on_run(msg: Any, **_: Any) -> None:
        data = msg.data or {}
        if data.get("allowed_hosts") and protocol.allowed_hosts() is None:
            allow(data["allowed_hosts"])
        if data.get("live") and not protocol.is_local_worker():  # a local one writes the run's own
            go_live(send)
        path = Path(run_dir) / LOCUST_DIR / protocol.MASTER_RUN_FILE
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"run_id": data.get("run_id")}))

    runner.register_message(protocol.MSG_RUN, on_run)
    with contextlib.suppress(Exception):  # the master answers this hello with pockit_run
        runner.send_message(protocol.MSG_HELLO, {})
