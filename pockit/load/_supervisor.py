"""The supervisor: starts the Locust processes, polls the watchers until the load ends or one says
stop, and stops every process, whatever happened (Ctrl-C and SIGTERM included).

Locust never runs in this process: its gevent monkey-patching would hang a notebook kernel.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import IO

from pockit.load._progress import Progress
from pockit.load._watch import Stop, Tick, Watcher

#: After SIGTERM, how long Locust gets to flush and exit before it is killed.
STOP_GRACE_S = 5.0
_POLL_S = 0.2


class Terminated(Exception):
    """SIGTERM arrived in the parent; unwinds the supervisor's loop like KeyboardInterrupt does."""


class Supervisor:
    """The Locust processes of one run: the master (or the only one) first, then local workers."""

    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.logs: list[IO[bytes]] = []

    def start(self, name: str, cmd: list[str], env: dict[str, str], log_stem: Path) -> None:
        """Start ``cmd`` in its own session, stdout to ``LOG_STEM.out``, stderr to ``LOG_STEM.log``."""
        out = open(f"{log_stem}.out", "wb")  # noqa: SIM115 - closed by close() after the run
        err = open(f"{log_stem}.log", "wb")  # noqa: SIM115
        self.logs += [out, err]
        proc = subprocess.Popen(
            cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
        )
        self.procs.append((name, proc))

    def watch(self, watchers: Sequence[Watcher], bar: Progress) -> Stop | None:
        """Poll the progress display and every watcher until the master exits (then each watcher's
        ``finish``, and the first :class:`Stop` one returns, or None) or a watcher says stop (its
        :class:`Stop`)."""
        main = self.procs[0][1]
        while main.poll() is None:
            now = time.monotonic()
            snapshot = bar.update()
            tick = Tick(now, snapshot, bar.rps)
            for watcher in watchers:
                stop = watcher.poll(tick)
                if stop is not None:
                    return stop
            time.sleep(_POLL_S)
        ended = [watcher.finish() for watcher in watchers]
        return next((stop for stop in ended if stop is not None), None)

    @property
    def returncode(self) -> int | None:
        """The master's exit code (None before it exits, or when nothing started)."""
        return self.procs[0][1].returncode if self.procs else None

    def stop(self) -> None:
        """SIGTERM the master first (it tells workers to quit), then the rest; SIGKILL what lingers."""
        procs = self.procs
        for _, proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=0.5)
        deadline = time.monotonic() + STOP_GRACE_S
        for _, proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.05, deadline - time.monotonic()))
        for _, proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)

    def close(self) -> None:
        for fh in self.logs:
            fh.close()


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host if host not in ("", "*") else "0.0.0.0", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """In the main thread, SIGTERM raises Terminated so the run stops cleanly, as Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated()

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def signals_held() -> Iterator[list[int]]:
    """Hold Ctrl-C and SIGTERM for the block (stopping children, closing run.json), so none is
    left half done; the signals that arrived meanwhile are in the yielded list, for the caller."""
    pending: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return

    def hold(signum: int, frame: FrameType | None) -> None:
        pending.append(signum)

    old_int = signal.signal(signal.SIGINT, hold)
    old_term = signal.signal(signal.SIGTERM, hold)
    try:
        yield pending
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)


def raise_held(pending: list[int]) -> None:
    """What a held signal would have done: KeyboardInterrupt, or exit 143 for SIGTERM."""
    if signal.SIGINT in pending:
        raise KeyboardInterrupt
    if signal.SIGTERM in pending:
        raise SystemExit(128 + signal.SIGTERM)
