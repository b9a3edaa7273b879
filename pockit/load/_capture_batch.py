"""The capture's buffer and its batches: one row per request, written bounded by count and time.

Numbers go into typed arrays and strings into lists (no per-row objects); a batch is written in
the compact form of :mod:`pockit._contract` (the arrays' bytes, the strings dictionary-encoded),
under a dot-name and renamed, so a reader never sees half a file. No pyarrow here: the ``pockit
run`` process turns each compact batch into Parquet (``pockit._rundir``), which keeps every Locust
process as light as bare Locust. A failed write (full disk) keeps a bounded backlog and says so
in ``locust/capture-wNNN-PID.json``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gevent

from pockit._contract import LOCUST_DIR, NO_RETRY, SAMPLES_DIR, compact_name, encode_batch
from pockit.load import _protocol as protocol

if TYPE_CHECKING:
    from pockit.load._capture_pacer import Pacer

log = logging.getLogger("pockit.capture")
_NAN = float("nan")

#: Rows kept in memory when batches cannot be written (full disk), beyond which rows are dropped.
_MAX_PENDING_BATCHES = 5


_FIELDS = ("start", "latency", "status", "nbytes", "intended", "retry", "name", "method", "error")
#: ``retry`` buffer value for "the request context gave no retry count" (written as null).
_NO_RETRY = NO_RETRY


class Columns:
    """The batch being filled, column by column: numbers in typed arrays (no per-row objects kept;
    their bytes are the compact batch's columns), strings in lists of the objects Locust holds."""

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

    def take(self) -> Columns:
        """Move the rows out into a new batch and empty these buffers in place (the hot path keeps
        its bound ``append`` methods, so they are looked up once per run, not once per request)."""
        out = Columns()
        for f in _FIELDS:
            buf = getattr(self, f)
            getattr(out, f).extend(buf)
            del buf[:]
        return out

    def encode(self, worker: int, *, open_model: bool) -> bytes:
        """The rows as one compact batch (pockit._contract's layout)."""
        numbers: dict[str, array[float] | array[int]] = {
            "t_start": self.start, "latency_ms": self.latency, "status": self.status,
            "bytes": self.nbytes, "retry": self.retry,
        }  # fmt: skip
        if open_model:
            numbers["t_intended"] = self.intended
        strings: dict[str, Sequence[str | None]] = {
            "name": self.name, "method": self.method, "error": self.error,
        }  # fmt: skip
        return encode_batch(worker=worker, numbers=numbers, strings=strings)

    def put_back(self, batch: Columns, keep: int) -> None:
        """Put the last ``keep`` rows of an unwritten ``batch`` in front of the rows since taken."""
        lo = max(0, len(batch) - keep)
        for f in _FIELDS:
            getattr(self, f)[0:0] = getattr(batch, f)[lo:]


class Capture:
    """Buffer request rows and write them as compact batches, bounded by count and by time."""

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
        #: a remote worker of a ``stop_when`` run: sends each written batch to the master
        self.live_send: Callable[[str, bytes], None] | None = None
        self.cols = Columns()

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
        """Write the buffered rows as one compact batch (dot-name, then rename).

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
            blob = cols.encode(self.worker_index(), open_model=self.pacer is not None)
            name = compact_name(self.worker_index(), os.getpid(), self.seq)
            tmp = self.samples_dir / f".{name}.tmp"
            tmp.write_bytes(blob)
            os.replace(tmp, self.samples_dir / name)
            self.seq += 1
            self.written += len(cols)
            if self.live_send is not None:
                self._send_live(name, blob)
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

    def _send_live(self, name: str, blob: bytes) -> None:
        """The batch just written, to the master (the file stays the worker's own record: a batch
        the master does not get only delays an early stop, ``pockit gather`` brings it anyway)."""
        assert self.live_send is not None
        try:
            self.live_send(name, blob)
        except Exception as exc:
            message = f"cannot send batch {name} to the master: {exc}"
            if message not in self.errors:
                self.errors.append(message)
                log.error("pockit capture: %s", message)

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
