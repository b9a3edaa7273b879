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
from typing import TYPE_CHECKING, Any, cast

import gevent

from pockit._contract import LOCUST_DIR, NO_RETRY, SAMPLES_DIR, compact_name, encode_batch
from pockit.load import _protocol as protocol
from pockit.load._capture_fire import _as_listener
from pockit.load._native import C_RECORDER, PY_RECORDER
from pockit.load._native import native as _native

if TYPE_CHECKING:
    from pockit.load._capture_pacer import Pacer

log = logging.getLogger("pockit.capture")
_NAN = float("nan")

#: Rows kept in memory when batches cannot be written (full disk), beyond which rows are dropped.
_MAX_PENDING_BATCHES = 5


#: ``retry`` buffer value for "the request context gave no retry count" (written as null).
_NO_RETRY = NO_RETRY

#: A buffered request is ROW values in one flat list: ``start, latency, status, nbytes, retry,
#: name, method, error``, plus ``intended`` in an open-model run. One ``extend`` per request instead
#: of nine appends, and no object per row kept alive (live tuples would feed the garbage
#: collector); the typed arrays are made once per batch (``Columns.from_values``).
ROW = 8


class Columns:
    """One batch, column by column: numbers in typed arrays (their bytes are the compact batch's
    columns), strings in lists of the objects Locust held."""

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

    @classmethod
    def from_values(cls, values: list[Any], *, open_model: bool) -> Columns:
        """The buffered rows (``values``, flat: see ROW) as columns. A value that is not of its
        column's type (a locustfile firing its own request events) is written as unknown, never
        fails the batch: NaN for a time or latency, 0 for a status or size."""
        out = cls()
        w = ROW + open_model
        out.start = _typed("d", values[0::w])
        out.latency = _typed("d", values[1::w])
        out.status = _typed("h", values[2::w])
        out.nbytes = _typed("q", values[3::w])
        out.retry = array("h", values[4::w])  # made in the hook, always an int16
        out.name, out.method, out.error = values[5::w], values[6::w], values[7::w]
        if open_model:
            out.intended = _typed("d", values[8::w])
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


_LIMITS = {"h": (-32768, 32767), "q": (-(2**63), 2**63 - 1)}


def _typed(code: str, values: Sequence[Any]) -> array[Any]:
    """``values`` as an array of ``code``; the rare batch holding None or a value of another type
    takes the slow path, value by value (None and anything unusable: NaN, or 0 for integers)."""
    try:
        return array(code, values)
    except (TypeError, OverflowError, ValueError):
        pass
    if code == "d":
        return array(code, map(_float_or_nan, values))
    lo, hi = _LIMITS[code]
    return array(code, (_int_or_zero(v, lo, hi) for v in values))


def _float_or_nan(value: Any) -> float:
    """As the fast path reads it (a bool is a number there too), else NaN (an int too large for a
    float too: it made the whole batch unwritable, every retry failing again)."""
    if not isinstance(value, int | float):
        return _NAN
    try:
        return float(value)
    except OverflowError:
        return _NAN


def _int_or_zero(value: Any, lo: int, hi: int) -> int:
    """As the fast path reads it (a bool is an int there too), else 0."""
    return int(value) if isinstance(value, int) and lo <= value <= hi else 0


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
        #: the rows of the batch being filled, flat (see ROW; emptied in place: the hook holds
        #: its ``extend``)
        self.values: list[Any] = []
        #: what does the per-request work: "c" (pockit.load._crecord) or "python" (set by recorder)
        self.recorder_kind = PY_RECORDER

    @property
    def width(self) -> int:
        """Values per buffered row (ROW, one more in an open-model run)."""
        return ROW + (self.pacer is not None)

    @property
    def pending(self) -> int:
        return len(self.values) // self.width

    def columns(self) -> Columns:
        """The pending rows as columns (they stay pending)."""
        return Columns.from_values(self.values, open_model=self.pacer is not None)

    def recorder(self, *, pure: bool = False) -> Callable[[dict[str, Any]], None]:
        """The per-request hook: ``record(kwargs)`` with the ``events.request`` keyword arguments.

        The hot path: one ``extend`` per request. Everything it touches is bound in the
        closure once; it takes the event's dict as it is (no keyword binding), and the typed
        columns are made once per batch. :func:`attach` runs it inside Locust's ``fire``, before
        the listeners (see benchmarks/bench_capture.py for what this buys against bare Locust).
        A request it cannot record is counted as dropped and named in the capture status, never
        raised into the user's task. Returned in C (``_crecord.Recorder``, the same row) when
        pockit's extension was built, unless ``pure`` or ``POCKIT_PURE_CAPTURE`` ask for ``record``.
        """
        values, pacer, limit, flush, now = (
            self.values,
            self.pacer,
            self.batch_rows * self.width,
            self.flush,
            time.time,
        )
        extend = values.extend

        def record(kw: dict[str, Any]) -> None:
            try:
                get = kw.get
                start, latency, exc, ctx = (
                    get("start_time"), get("response_time"), get("exception"), get("context"),
                )  # fmt: skip
                if start is None:
                    start = now() - (0.0 if latency is None else latency / 1000.0)
                row = (
                    start,
                    latency,
                    getattr(get("response"), "status_code", 0) or 0,
                    get("response_length") or 0,
                    _retry_of(ctx) if ctx else _NO_RETRY,
                    get("name"),
                    get("request_type"),
                    None if exc is None else (str(exc) or type(exc).__name__),
                )
                extend(row if pacer is None else (*row, pacer.intended(start)))
            except Exception as err:  # a request event this cannot read: counted, not raised
                self._unrecorded(err)
                return
            if len(values) >= limit:
                flush()

        native = None if pure else _native()
        self.recorder_kind = PY_RECORDER if native is None else C_RECORDER
        if native is None:
            return record
        recorder = native.Recorder(
            values=values,
            limit=limit,
            flush=flush,
            now=now,
            intended=None if pacer is None else pacer.intended,
            retry_of=_retry_of,
            no_retry=_NO_RETRY,
            unrecorded=self._unrecorded,
            fallback=record,
        )
        return cast("Callable[[dict[str, Any]], None]", recorder.record)

    def listener(self) -> Callable[..., None]:
        """The hook as an ordinary ``events.request`` listener (keyword arguments)."""
        return _as_listener(self.recorder())

    def _unrecorded(self, err: Exception) -> None:
        self.dropped += 1
        message = f"cannot record a request event: {type(err).__name__}: {err}"
        if message not in self.errors:
            self.errors.append(message)
            log.error("pockit capture: %s", message)

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
        values, w = self.values, self.width
        if not values:
            return
        cap = self.batch_rows * _MAX_PENDING_BATCHES  # rows
        if not force and now < self.retry_at:
            rows = len(values) // w
            if rows >= cap + self.batch_rows:  # trim once per batch, not per request
                self.dropped += rows - cap
                del values[: (rows - cap) * w]
            return
        batch = values[:]
        del values[:]
        rows = len(batch) // w
        try:
            open_model = self.pacer is not None
            blob = Columns.from_values(batch, open_model=open_model).encode(
                self.worker_index(), open_model=open_model
            )
            name = compact_name(self.worker_index(), os.getpid(), self.seq)
            tmp = self.samples_dir / f".{name}.tmp"
            tmp.write_bytes(blob)
            os.replace(tmp, self.samples_dir / name)
            self.seq += 1
            self.written += rows
            if self.live_send is not None:
                self._send_live(name, blob)
        except Exception as exc:  # full disk, permissions: keep the rows for a later try, bounded
            message = f"cannot write samples batch to {self.samples_dir}: {exc}"
            if message not in self.errors:
                self.errors.append(message)
                log.error("pockit capture: %s", message)
            room = max(0, cap - len(values) // w)
            self.dropped += max(0, rows - room)
            values[0:0] = batch[max(0, rows - room) * w :]
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
            "recorder": self.recorder_kind,
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
