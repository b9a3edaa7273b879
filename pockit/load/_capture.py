"""The capture plugin: Locust loads this file beside the user's locustfile (``-f theirs.py,this.py``).

It records every request from ``events.request`` as one row of SAMPLE_SCHEMA and streams the rows
to Parquet in batches bounded by count and by time, one file series per load process. A batch is
written to a dot-name and renamed, so a reader never sees half a file; a crash loses at most the
batch in memory; a clean stop (end of run, SIGTERM, quit from the master) flushes everything.

It is configured only through the ``POCKIT_*`` environment that the parent or ``pockit worker``
sets, read through :mod:`pockit.load._protocol` (the table of variables is there), and defines no
User class, so the user's locustfile is used unchanged. ``POCKIT_ALLOWED_HOSTS``: a request to any
other host (an absolute URL in the locustfile) is refused before it is sent; unset (a remote
``pockit worker``), only the host the master gave (``--host``, already checked against the spec)
is allowed, until the master sends the spec's list.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import logging
import os
import signal
import time
from array import array
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.exception import RescheduleTask

from pockit._constants import CAPTURE_BATCH_ROWS, CAPTURE_BATCH_SECONDS
from pockit._contract import (
    LOCUST_DIR,
    RUN_JSON,
    SAMPLES_DIR,
    WORKER_LOST_BY_MASTER,
    EventKind,
    GuardrailRule,
    RunField,
    RunStatus,
    StopCode,
)
from pockit.load import _protocol as protocol

log = logging.getLogger("pockit.capture")
_NAN = float("nan")

#: Rows kept in memory when batches cannot be written (full disk), beyond which rows are dropped.
_MAX_PENDING_BATCHES = 5


_FIELDS = ("start", "latency", "status", "nbytes", "intended", "retry", "name", "method", "error")
#: ``retry`` buffer value for "the request context gave no retry count" (written as null).
_NO_RETRY = -1


class _Columns:
    """The batch being filled, column by column: numbers in typed arrays (no per-row objects kept;
    Arrow wraps them without a copy), strings in lists of the objects Locust already holds."""

    def __init__(self) -> None:
        self.start = array("d")
        self.latency = array("d")
        self.status = array("h")
        self.nbytes = array("q")
        self.intended = array("d")  # filled in open-model runs only
        self.retry = array("h")  # context={"retry": n}; _NO_RETRY when not given
        self.name: list[str] = []
        self.method: list[str] = []
        self.error: list[str | None] = []

    def __len__(self) -> int:
        return len(self.start)

    def take(self) -> _Columns:
        """Move the rows out into a new batch and empty these buffers in place (the hot path keeps
        its bound ``append`` methods, so they are looked up once per run, not once per request)."""
        out = _Columns()
        for f in _FIELDS:
            buf = getattr(self, f)
            getattr(out, f).extend(buf)
            del buf[:]
        return out

    def put_back(self, batch: _Columns, keep: int) -> None:
        """Put the last ``keep`` rows of an unwritten ``batch`` in front of the rows since taken."""
        lo = max(0, len(batch) - keep)
        for f in _FIELDS:
            getattr(self, f)[0:0] = getattr(batch, f)[lo:]


class Capture:
    """Buffer request rows and write them as Parquet batches, bounded by count and by time."""

    def __init__(self, run_dir: Path, *, batch_rows: int, batch_seconds: float) -> None:
        self.samples_dir = run_dir / SAMPLES_DIR
        self.status_dir = run_dir / LOCUST_DIR
        self.samples_dir.mkdir(parents=True, exist_ok=True)
        self.status_dir.mkdir(parents=True, exist_ok=True)
        self.batch_rows = batch_rows
        self.batch_seconds = batch_seconds
        self.worker: int | None = None
        self.seq = 0
        self.written = 0
        self.dropped = 0
        self.errors: list[str] = []
        self.last_flush = time.monotonic()
        self.retry_at = 0.0
        self.runner: Any = None
        self.pacer: Pacer | None = None
        self.cols = _Columns()

    @property
    def pending(self) -> int:
        return len(self.cols)

    def listener(self) -> Any:
        """The ``events.request`` listener: the hot path, a few appends per request and nothing else.

        Everything it touches is bound in the closure once, so a request costs no attribute lookups
        (see benchmarks/bench_capture.py for what this buys against bare Locust).
        """
        c, pacer, limit, flush, now = self.cols, self.pacer, self.batch_rows, self.flush, time.time
        start, latency, status, nbytes = (
            c.start.append,
            c.latency.append,
            c.status.append,
            c.nbytes.append,
        )
        intended, name_, method, error = (
            c.intended.append,
            c.name.append,
            c.method.append,
            c.error.append,
        )
        starts, retry = c.start, c.retry.append

        def on_request(
            request_type: str,
            name: str,
            response_time: float | None,
            response_length: int | None,
            exception: BaseException | None = None,
            response: Any = None,
            start_time: float | None = None,
            context: Any = None,
            **_: Any,
        ) -> None:
            if start_time is None:
                start_time = now() - (0.0 if response_time is None else response_time / 1000.0)
            start(start_time)
            latency(_NAN if response_time is None else response_time)
            status(getattr(response, "status_code", 0) or 0)
            nbytes(response_length or 0)
            if pacer is not None:
                intended(pacer.intended(start_time))
            retry(_retry_of(context))
            name_(name)
            method(request_type)
            error(None if exception is None else (str(exception) or type(exception).__name__))
            if len(starts) >= limit:
                flush()

        return on_request

    def worker_index(self) -> int:
        if self.worker is None:
            index = getattr(self.runner, "worker_index", -1)
            forced = protocol.forced_worker()
            self.worker = (
                forced
                if forced is not None
                else (index if isinstance(index, int) and index >= 0 else 0)
            )
        return self.worker

    def flush(self, *, force: bool = False) -> None:
        """Write the buffered rows as one Parquet batch (dot-name, then rename).

        After a failed write (full disk) the next try waits ``batch_seconds`` unless ``force``d
        (the final flush); meanwhile the backlog is capped at a few batches, oldest rows dropped.
        """
        now = time.monotonic()
        self.last_flush = now
        if not len(self.cols):
            return
        cap = self.batch_rows * _MAX_PENDING_BATCHES
        if not force and now < self.retry_at:
            if len(self.cols) >= cap + self.batch_rows:  # trim once per batch, not per request
                backlog = self.cols.take()
                self.dropped += len(backlog) - cap
                self.cols.put_back(backlog, cap)
            return
        cols = self.cols.take()
        try:
            table = _to_table(cols, self.worker_index(), open_model=self.pacer is not None)
            import pyarrow.parquet as pq

            name = f"w{self.worker_index():03d}-{os.getpid()}-{self.seq:06d}.parquet"
            tmp = self.samples_dir / f".{name}.tmp"
            pq.write_table(table, tmp, compression="snappy")
            os.replace(tmp, self.samples_dir / name)
            self.seq += 1
            self.written += len(cols)
        except Exception as exc:  # full disk, permissions: keep the rows for a later try, bounded
            message = f"cannot write samples batch to {self.samples_dir}: {exc}"
            if message not in self.errors:
                self.errors.append(message)
                log.error("pockit capture: %s", message)
            room = max(0, cap - len(self.cols))
            self.dropped += max(0, len(cols) - room)
            self.cols.put_back(cols, room)
            self.retry_at = now + self.batch_seconds
        self.write_status()

    def write_status(self) -> None:
        """``locust/capture-wNNN-PID.json``: what this process wrote, dropped, and why."""
        status = {
            "worker": self.worker_index(),
            "pid": os.getpid(),
            "written": self.written,
            "pending": self.pending,
            "dropped": self.dropped,
            "batches": self.seq,
            "errors": self.errors,
        }
        path = self.status_dir / protocol.capture_status_name(self.worker_index(), os.getpid())
        try:
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(json.dumps(status))
            os.replace(tmp, path)
        except OSError:
            pass

    def timer(self) -> None:
        """Flush on time even when requests stop (idle gaps, a dead target)."""
        while True:
            gevent.sleep(min(0.5, self.batch_seconds))
            if self.pending and time.monotonic() - self.last_flush >= self.batch_seconds:
                self.flush()


def _retry_of(context: Any) -> int:
    """The retry count a locustfile gave in the request's ``context={"retry": n}`` (README
    "Retries"), clamped to int16; ``_NO_RETRY`` when there is none or it is not a number."""
    try:
        value = context.get("retry") if context else None
    except AttributeError:  # a context that is not a mapping
        return _NO_RETRY
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _NO_RETRY
    if isinstance(value, float) and not value < 32768.0:  # NaN and inf too
        return 32767 if value == value else _NO_RETRY
    return min(32767, int(value)) if value >= 0 else _NO_RETRY


def _to_table(cols: _Columns, worker: int, *, open_model: bool) -> Any:
    """The batch as an Arrow table in SAMPLE_SCHEMA; numeric columns are wrapped, not copied."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from pockit._rundir import SAMPLE_SCHEMA

    n = len(cols)
    ts_type = pa.timestamp("ns", tz="UTC")

    def wrap(values: array[Any], type_: Any) -> Any:
        return pa.Array.from_buffers(type_, n, [None, pa.py_buffer(values)])

    def stamps(values: array[float]) -> Any:
        seconds = wrap(values, pa.float64())
        seconds = pc.if_else(pc.is_nan(seconds), pa.scalar(None, pa.float64()), seconds)
        return pc.cast(pc.multiply(seconds, 1e9), pa.int64(), safe=False).cast(ts_type)

    errors = pa.array(cols.error, pa.string())
    retries = wrap(cols.retry, pa.int16())
    retries = pc.if_else(pc.equal(retries, _NO_RETRY), pa.scalar(None, pa.int16()), retries)
    intended = stamps(cols.intended) if open_model else pa.nulls(n, ts_type)
    arrays = [
        stamps(cols.start),
        wrap(cols.latency, pa.float64()),
        pa.array(cols.name, pa.string()).dictionary_encode(),
        pa.array(cols.method, pa.string()).dictionary_encode(),
        wrap(cols.status, pa.int16()),
        pc.is_null(errors),
        wrap(cols.nbytes, pa.int64()),
        errors.dictionary_encode(),
        pa.repeat(pa.scalar(worker, pa.int16()), n),
        intended,
        retries,
    ]
    return pa.Table.from_arrays(arrays, schema=SAMPLE_SCHEMA)


class Pacer:
    """Open-model pacing (as wrk2 does): arrivals at fixed intended times, whatever the latency.

    Each task execution claims the next slot of a per-process schedule and sleeps until it; a user
    that is late claims a slot in the past and goes at once, so queueing delay shows up as
    ``t_start - t_intended`` instead of vanishing (coordinated omission). Follow-up requests of the
    same arrival keep its lag: their intended time is their send time minus that lag.
    """

    def __init__(
        self, segments: list[tuple[float, float]], gaps: list[tuple[float, float]], share: float
    ) -> None:
        self.segments = segments  # (end offset s, total rate req/s), in order
        self.gaps = gaps
        self.share = share
        self.t0: float | None = None
        self.next_slot: float | None = None
        self.current: dict[Any, list[float]] = {}

    def rate_at(self, offset: float) -> float:
        for end, rate in self.segments:
            if offset < end:
                return rate * self.share
        return self.segments[-1][1] * self.share if self.segments else 0.0

    def delay(self) -> float:
        now = time.time()
        if self.t0 is None or self.next_slot is None:
            self.t0 = self.next_slot = now
        slot = self.next_slot
        for at, pause in self.gaps:  # no arrivals are owed for a planned pause
            if self.t0 + at <= slot < self.t0 + at + pause:
                slot = self.t0 + at + pause
        rate = self.rate_at(slot - self.t0)
        self.next_slot = slot + (1.0 / rate if rate > 0 else 1.0)
        self.current[gevent.getcurrent()] = [slot, _NAN]
        return max(0.0, slot - now)

    def intended(self, start: float) -> float:
        state = self.current.get(gevent.getcurrent())
        if state is None:  # before the first paced arrival (on_start requests): on time
            return start
        slot, lag = state
        if lag != lag:  # NaN: the arrival's first request
            state[1] = start - slot
            return slot
        return start - lag


def _install_pacer(environment: Any, pacer: Pacer) -> None:
    """Replace each user class's wait_time with the schedule, and pace the first task too."""
    for cls in environment.user_classes:

        def paced(self: Any) -> float:
            return pacer.delay()

        cls.wait_time = paced
        original = cls.on_start

        def on_start(self: Any, _original: Any = original) -> None:
            _original(self)
            gevent.sleep(pacer.delay())

        cls.on_start = on_start


def _write_progress(path: Path, runner: Any) -> None:
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


def _progress_loop(path: Path, runner: Any) -> None:
    while True:
        with contextlib.suppress(OSError, AttributeError, TypeError):
            _write_progress(path, runner)
        gevent.sleep(1.0)


def _watch_parent(parent_pid: int) -> None:
    """The parent went away (crash, SIGKILL): stop like a SIGTERM would, so samples are flushed."""
    while True:
        gevent.sleep(0.5)
        if os.getppid() != parent_pid:
            log.warning("pockit capture: parent %s is gone; stopping", parent_pid)
            _close_orphaned_run(parent_pid)
            os.kill(os.getpid(), signal.SIGTERM)
            return


def _close_orphaned_run(parent_pid: int) -> None:
    """The pockit process that owned the run died without closing run.json: close it as aborted,
    so no reader takes a dead run for one still going. Only the master (or single) process does."""
    run_dir = protocol.run_dir()
    runner = getattr(_capture, "runner", None)
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


_capture: Capture | None = None


class GuardrailRefused(RescheduleTask):
    """A request to a host outside ``guardrails.allowed_hosts``: raised before anything is sent.

    A RescheduleTask, so Locust ends the task quietly (no traceback per request) and moves on; the
    refusal is reported as a failed request, so it shows in the samples and in Locust's statistics.
    """


_refused_hosts: set[str] = set()
#: The hosts the guard allows; None: only the session's base URL host (until the master says).
_allowed_hosts: set[str] | None = None


def _set_allowed(hosts: Any) -> None:
    global _allowed_hosts
    _allowed_hosts = {str(h).lower().strip("[]") for h in hosts}


def _master_announce(runner: Any, run_dir: str) -> None:
    """On the master: tell each worker that connects which run it serves and the allowed hosts.

    A remote ``pockit worker`` knows neither; with it, ``pockit gather`` takes only this run's
    batches and the worker's host guard enforces the spec's ``guardrails.allowed_hosts``.
    """
    try:
        run_id = json.loads((Path(run_dir) / RUN_JSON).read_text()).get(RunField.ID)
    except (OSError, json.JSONDecodeError):
        run_id = Path(run_dir).name
    allowed = protocol.allowed_hosts()

    def tell(client_id: str) -> None:
        runner.send_message(
            protocol.MSG_RUN, {"run_id": run_id, "allowed_hosts": allowed}, client_id=client_id
        )

    # Only when the worker asks: Locust connects a worker before its init event, so a message
    # sent on connect arrives before the worker's handler exists ("Unknown message type").
    runner.register_message(protocol.MSG_HELLO, lambda msg, **_: tell(msg.node_id))
    gevent.spawn(_watch_workers, runner)


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
                    _event(EventKind.WORKER_LOST, source=WORKER_LOST_BY_MASTER, client_id=cid,
                           index=seen[cid], reason="stopped sending heartbeats")  # fmt: skip
            for cid in set(seen) - set(clients) - reported:
                reported.add(cid)
                if running:
                    _event(EventKind.WORKER_LOST, source=WORKER_LOST_BY_MASTER, client_id=cid,
                           index=seen[cid], reason="left while the load ran")  # fmt: skip


def _worker_listen(runner: Any, run_dir: str) -> None:
    """On a worker: record the master's run id beside the samples (``locust/master-run.json``)."""

    def on_run(msg: Any, **_: Any) -> None:
        data = msg.data or {}
        if data.get("allowed_hosts") and protocol.allowed_hosts() is None:
            _set_allowed(data["allowed_hosts"])
        path = Path(run_dir) / LOCUST_DIR / protocol.MASTER_RUN_FILE
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"run_id": data.get("run_id")}))

    runner.register_message(protocol.MSG_RUN, on_run)
    with contextlib.suppress(Exception):  # the master answers this hello with pockit_run
        runner.send_message(protocol.MSG_HELLO, {})


def _install_host_guard(allowed: tuple[str, ...] | None) -> None:
    """Wrap ``HttpSession.request`` and ``FastHttpSession.request``: refuse disallowed hosts.

    ``allowed`` None: only the session's own base URL host (the candidate's ``--host``) is allowed.
    """
    from urllib.parse import urlsplit

    from locust.clients import HttpSession
    from locust.contrib.fasthttp import FastHttpSession

    if allowed is not None:
        _set_allowed(allowed)

    def guard(original: Any) -> Any:
        if getattr(original, "_pockit_guarded", False):
            return original

        def request(self: Any, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
            text = url.decode() if isinstance(url, bytes) else str(url)
            full = self._build_url(text)
            host = (urlsplit(full).hostname or "").lower()
            allowed_set = _allowed_hosts
            if allowed_set is None:
                permitted = host == (urlsplit(self.base_url or "").hostname or "").lower()
            else:
                permitted = host in allowed_set
            if permitted:
                return original(self, method, url, *args, **kwargs)
            exc = GuardrailRefused(
                f"{protocol.REFUSED_PREFIX}: host {host or full!r} not in allowed_hosts"
            )
            name = kwargs.get("name") or (args[0] if args and isinstance(args[0], str) else None)
            self.request_event.fire(
                request_type=method.decode() if isinstance(method, bytes) else str(method),
                name=name or text,
                response_time=0.0,
                response_length=0,
                response=None,
                context={},
                exception=exc,
                start_time=time.time(),
                url=full,
            )
            if host not in _refused_hosts:
                _refused_hosts.add(host)
                log.error("pockit capture: %s (url %s)", exc, full)
                _event(EventKind.GUARDRAIL, rule=GuardrailRule.ALLOWED_HOSTS, host=host, url=full)
            raise exc

        request._pockit_guarded = True  # type: ignore[attr-defined]
        return request

    HttpSession.request = guard(HttpSession.request)  # type: ignore[method-assign]
    FastHttpSession.request = guard(FastHttpSession.request)  # type: ignore[method-assign]


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
        gevent.spawn(_watch_parent, parent)
    progress = protocol.progress_file()
    if progress is not None and type(runner).__name__ != "WorkerRunner":
        gevent.spawn(_progress_loop, progress, runner)
    if is_master:
        _master_announce(runner, run_dir)
        return  # the master sends no requests; its workers capture them
    if type(runner).__name__ == "WorkerRunner":
        _worker_listen(runner, run_dir)
    allowed = protocol.allowed_hosts()
    _install_host_guard(tuple(allowed) if allowed is not None else None)
    # import Arrow now, not at the first flush, where it would stall the load for a moment
    import pyarrow.compute  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import pockit._rundir  # noqa: F401

    _to_table(_Columns(), 0, open_model=True)  # Arrow's compute kernels warm up here, not mid-run
    # Arrow brought many long-lived objects; keep them out of every later full GC pass
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
        _install_pacer(environment, cap.pacer)
    environment.events.request.add_listener(cap.listener())
    # quitting fires before the users are stopped, quit after: flush at both, and at exit
    environment.events.test_stop.add_listener(lambda **_: cap.flush())
    environment.events.quitting.add_listener(lambda **_: cap.flush(force=True))
    environment.events.quit.add_listener(lambda **_: cap.flush(force=True))
    atexit.register(lambda: cap.flush(force=True))
    gevent.spawn(cap.timer)
    _capture = cap


def _event(kind: EventKind, **fields: Any) -> None:
    run_dir = protocol.run_dir()
    if run_dir and protocol.events_on():
        from pockit._rundir import RunDir

        try:
            RunDir(Path(run_dir)).add_event(kind, **fields)
        except OSError as exc:
            log.error("pockit capture: cannot record event %s: %s", kind, exc)


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
        _event(EventKind.LOAD_START)


def _on_test_stop(environment: Any, **_: Any) -> None:
    if type(environment.runner).__name__ != "WorkerRunner":
        _event(EventKind.LOAD_STOP)


events.init.add_listener(_on_init)  # type: ignore[no-untyped-call]
events.test_start.add_listener(_on_test_start)  # type: ignore[no-untyped-call]
events.test_stop.add_listener(_on_test_stop)  # type: ignore[no-untyped-call]
events.cpu_warning.add_listener(_on_cpu_warning)  # type: ignore[no-untyped-call]
