"""The capture plugin: Locust loads this file beside the user's locustfile (``-f theirs.py,this.py``).

It records every request from ``events.request`` as one row of SAMPLE_SCHEMA and streams the rows
to compact batches (``samples/*.pkbatch``, :mod:`pockit._contract`) bounded by count and by time,
one file series per load process; the ``pockit run`` process turns them into Parquet. A batch is
written to a dot-name and renamed, so a reader never sees half a file; a crash loses at most the
batch in memory; a clean stop (end of run, SIGTERM, quit from the master) flushes everything.
Nothing here imports pyarrow, polars or numpy: a Locust process with the plugin stays within a
few MB of a bare one (``benchmarks/bench_capture_memory.py``).

Its parts, one job each: :mod:`~pockit.load._capture_batch` (the buffer and the compact batches,
the per-request hook), :mod:`~pockit.load._capture_fire` (the hook run inside Locust's ``fire``),
:mod:`~pockit.load._capture_pacer` (open-model pacing), :mod:`~pockit.load._capture_guard` (the
host guard), :mod:`~pockit.load._capture_links` (progress file, parent watch, master↔worker
messages, events). This file wires them into Locust's events.

It is configured only through the ``POCKIT_*`` environment that the parent or ``pockit worker``
sets, read through :mod:`pockit.load._protocol` (the table of variables is there), and defines no
User class, so the user's locustfile is used unchanged. ``POCKIT_ALLOWED_HOSTS``: a request to any
other host (an absolute URL in the locustfile) is refused before it is sent; unset (a remote
``pockit worker``), only the host the master gave (``--host``, already checked against the spec)
is allowed, until the master sends the spec's list.
"""

from __future__ import annotations

import atexit
import gc
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
from locust import events

from pockit._constants import CAPTURE_BATCH_ROWS, CAPTURE_BATCH_SECONDS
from pockit._contract import EventKind
from pockit.load import _protocol as protocol
from pockit.load._capture_batch import Capture
from pockit.load._capture_fire import attach
from pockit.load._capture_guard import GuardrailRefused, install_host_guard, set_allowed
from pockit.load._capture_links import (
    master_announce,
    progress_loop,
    record_event,
    watch_parent,
    worker_listen,
)
from pockit.load._capture_pacer import Pacer, install_pacer

__all__ = ["Capture", "GuardrailRefused", "Pacer"]

log = logging.getLogger("pockit.capture")

_capture: Capture | None = None


def _runner() -> Any:
    """This process's runner as the capture knows it (None on the master, which captures nothing)."""
    return getattr(_capture, "runner", None)


def _on_init(environment: Any, **_: Any) -> None:
    global _capture
    run_dir = protocol.run_dir()
    if not run_dir:
        log.warning("pockit capture: POCKIT_RUN_DIR not set; requests are not recorded")
        return
    runner = environment.runner
    is_master = type(runner).__name__ == "MasterRunner"
    parent = protocol.parent_pid()
    if parent:
        gevent.spawn(watch_parent, parent, _runner)
    progress = protocol.progress_file()
    if progress is not None and type(runner).__name__ != "WorkerRunner":
        gevent.spawn(progress_loop, progress, runner)
    if is_master:
        master_announce(runner, run_dir)
        return  # the master sends no requests; its workers capture them
    if type(runner).__name__ == "WorkerRunner":
        worker_listen(runner, run_dir, set_allowed, _go_live)
    allowed = protocol.allowed_hosts()
    install_host_guard(tuple(allowed) if allowed is not None else None)
    import pockit._rundir  # noqa: F401 - events go through it; now, not at the first event

    # Locust and its imports are long-lived objects: keep them out of every later full GC pass
    gc.freeze()

    rows, seconds = protocol.batch_bounds(CAPTURE_BATCH_ROWS, CAPTURE_BATCH_SECONDS)
    cap = Capture(Path(run_dir), batch_rows=rows, batch_seconds=seconds)
    cap.runner = runner
    conf = protocol.arrival()
    if conf is not None:
        cap.pacer = Pacer(
            [(float(e), float(r)) for e, r in conf["segments"]],
            [(float(a), float(p)) for a, p in conf.get("gaps", [])],
            float(conf.get("share", 1.0)),
        )
        install_pacer(environment, cap.pacer)
    attach(environment.events.request, cap.recorder())
    # quitting fires before the users are stopped, quit after: flush at both, and at exit
    environment.events.test_stop.add_listener(lambda **_: cap.flush())
    environment.events.quitting.add_listener(lambda **_: cap.flush(force=True))
    environment.events.quit.add_listener(lambda **_: cap.flush(force=True))
    atexit.register(lambda: cap.flush(force=True))
    gevent.spawn(cap.timer)
    cap.live_send = _live_send[0] if _live_send else None
    _capture = cap


#: The master's request for live batches may arrive before or after the capture exists.
_live_send: list[Callable[[str, bytes], None]] = []


def _go_live(send: Callable[[str, bytes], None]) -> None:
    _live_send[:] = [send]
    if _capture is not None:
        _capture.live_send = send


_saturated_once: list[bool] = []


def _on_cpu_warning(environment: Any, cpu_usage: float, **_: Any) -> None:
    """Locust measured this load process above 90% CPU: latencies now include client-side queueing.

    Recorded once per process (Locust fires it every few seconds while it lasts), by workers too.
    """
    if _saturated_once:
        return
    _saturated_once.append(True)
    run_dir = protocol.run_dir()
    if run_dir:
        from pockit._rundir import RunDir

        worker = _capture.worker_index() if _capture is not None else 0
        try:
            RunDir(Path(run_dir)).add_event(
                EventKind.LOAD_GENERATOR_SATURATED,
                cpu_percent=round(float(cpu_usage), 1),
                worker=worker,
            )
        except OSError as exc:
            log.error("pockit capture: cannot record the CPU warning: %s", exc)


def _on_test_start(environment: Any, **_: Any) -> None:
    if type(environment.runner).__name__ != "WorkerRunner":
        record_event(EventKind.LOAD_START)


def _on_test_stop(environment: Any, **_: Any) -> None:
    if type(environment.runner).__name__ != "WorkerRunner":
        record_event(EventKind.LOAD_STOP)


events.init.add_listener(_on_init)  # type: ignore[no-untyped-call]
events.test_start.add_listener(_on_test_start)  # type: ignore[no-untyped-call]
events.test_stop.add_listener(_on_test_stop)  # type: ignore[no-untyped-call]
events.cpu_warning.add_listener(_on_cpu_warning)  # type: ignore[no-untyped-call]
