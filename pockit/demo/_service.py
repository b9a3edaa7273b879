"""The demo service: one real HTTP server per candidate variant, each in its own child process.

Variants differ in latency and per-request cost, so the demo has a real decision to make. Every
server has knobs for added latency and error rate (at start and live through ``POST /admin/fault``),
Prometheus text-format metrics at ``/metrics``, and can be killed and restarted for fault injection.

>>> with DemoService(variants=("baseline", "async")) as svc:      # doctest: +SKIP
...     svc.url("async")
'http://127.0.0.1:41873'

Children never outlive the parent: they are stopped on context exit, at interpreter exit and on
SIGTERM, and each child polls its parent pid and exits when the parent is gone.

Endpoints: ``GET /health``, ``GET /api/items``, ``GET /api/items/{id}``, ``POST /api/checkout``,
``GET /metrics``, ``GET|POST /admin/fault``, ``GET /admin/info``, ``POST /admin/kill``.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from pockit._util import stop_processes
from pockit.demo._variants import COST_PER_REQUEST_USD, VARIANTS, Variant

__all__ = ["COST_PER_REQUEST_USD", "VARIANTS", "DemoService", "Variant"]

_READY_TIMEOUT_S = 15.0


# ----------------------------------------------------------------------------------------------
# the parent side
# ----------------------------------------------------------------------------------------------
_LIVE: set[DemoService] = set()


def _stop_all_at_exit() -> None:
    for svc in list(_LIVE):
        svc.stop()


atexit.register(_stop_all_at_exit)


class DemoService:
    """Start one demo HTTP server per variant, each in a child process on 127.0.0.1.

    >>> with DemoService(variants=("baseline", "async"), latency_ms=5) as svc:   # doctest: +SKIP
    ...     svc.urls
    {'baseline': 'http://127.0.0.1:40111', 'async': 'http://127.0.0.1:40112'}

    ``kill(name)`` SIGKILLs a variant's process (it stays down), ``restart(name)`` brings it back on
    the same port. ``POST /admin/kill {"restart_after_s": 2}`` to a server kills it the same way,
    and the supervisor here restarts it after the delay: that is how a spec's ``kill`` fault works
    without holding this object.
    """

    def __init__(
        self,
        variants: Iterable[str] = ("baseline", "async"),
        *,
        host: str = "127.0.0.1",
        latency_ms: float = 0.0,
        error_rate: float = 0.0,
        ports: dict[str, int] | None = None,
        slots: int = 0,
    ) -> None:
        self.variants = tuple(variants)
        #: requests each server serves at once (0: no limit): capacity = slots ÷ mean service time
        self.slots = slots
        unknown = [v for v in self.variants if v not in VARIANTS]
        if unknown:
            raise ValueError(
                f"unknown demo variant(s) {unknown}; known: {', '.join(sorted(VARIANTS))}"
            )
        self.host = host
        self.latency_ms = latency_ms
        self.error_rate = error_rate
        self._ports: dict[str, int] = dict(ports or {})
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.RLock()
        self._state_dir: Path | None = None
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._old_sigterm: Any = None
        #: (variant, pid, returncode, time) of every child that died while the service was up.
        self.exits: list[tuple[str, int, int | None, float]] = []

    def __repr__(self) -> str:
        state = "running" if self._procs else "stopped"
        return f"DemoService(variants={self.variants!r}, {state}, urls={self.urls!r})"

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> DemoService:
        """Start every variant and wait until each accepts connections."""
        if self._procs:
            return self
        self._state_dir = Path(tempfile.mkdtemp(prefix="pockit-demo-"))
        self._stopping.clear()
        _LIVE.add(self)
        self._install_sigterm()
        try:
            for name in self.variants:
                self._spawn(name)
        except BaseException:
            self.stop()
            raise
        self._supervisor = threading.Thread(
            target=self._supervise, name="pockit-demo-supervisor", daemon=True
        )
        self._supervisor.start()
        return self

    def stop(self) -> None:
        """Stop every child (SIGTERM, then SIGKILL after a moment) and remove the state folder."""
        self._stopping.set()
        with self._lock:
            procs = list(self._procs.values())
            self._procs.clear()
        stop_processes(procs, grace_s=3, kill_wait_s=3)
        if self._supervisor is not None and self._supervisor is not threading.current_thread():
            self._supervisor.join(timeout=2)
        self._supervisor = None
        if self._state_dir is not None:
            shutil.rmtree(self._state_dir, ignore_errors=True)
            self._state_dir = None
        self._restore_sigterm()
        _LIVE.discard(self)

    def __enter__(self) -> DemoService:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------
    def url(self, variant: str) -> str:
        """Base URL of ``variant``, e.g. ``http://127.0.0.1:40111``."""
        if variant not in self._ports:
            raise KeyError(
                f"variant {variant!r} is not running; running: {', '.join(self._ports) or 'none'}"
            )
        return f"http://{self.host}:{self._ports[variant]}"

    @property
    def urls(self) -> dict[str, str]:
        return {name: self.url(name) for name in self.variants if name in self._ports}

    def pid(self, variant: str) -> int | None:
        proc = self._procs.get(variant)
        return proc.pid if proc is not None and proc.poll() is None else None

    # -- fault injection ---------------------------------------------------------------------
    def kill(self, variant: str) -> None:
        """SIGKILL ``variant``'s process; it stays down until :meth:`restart`."""
        with self._lock:
            proc = self._procs.get(variant)
            if proc is None:
                raise KeyError(f"variant {variant!r} is not running")
            proc.kill()
            proc.wait(timeout=5)
            self.exits.append((variant, proc.pid, proc.returncode, time.time()))
            del self._procs[variant]

    def restart(self, variant: str) -> None:
        """Stop ``variant`` if it runs, then start it again on the same port."""
        if variant not in self.variants:
            raise KeyError(f"unknown variant {variant!r}")
        with self._lock:
            proc = self._procs.pop(variant, None)
            if proc is not None:
                stop_processes([proc], grace_s=3, kill_wait_s=3)
            self._spawn(variant)

    def set_fault(
        self, variant: str, *, latency_ms: float | None = None, error_rate: float | None = None
    ) -> dict[str, Any]:
        """Change ``variant``'s live knobs (what ``POST /admin/fault`` does)."""
        import urllib.request

        body = {
            k: v
            for k, v in (("latency_ms", latency_ms), ("error_rate", error_rate))
            if v is not None
        }
        req = urllib.request.Request(
            f"{self.url(variant)}/admin/fault",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            data: dict[str, Any] = json.loads(resp.read())
        return data

    # -- internals ---------------------------------------------------------------------------
    def _spawn(self, name: str) -> None:
        assert self._state_dir is not None
        ready = self._state_dir / f"{name}.ready"
        ready.unlink(missing_ok=True)
        cmd = [
            sys.executable, "-m", "pockit.demo._service",
            "--variant", name,
            "--host", self.host,
            "--port", str(self._ports.get(name, 0)),
            "--latency-ms", str(self.latency_ms),
            "--error-rate", str(self.error_rate),
            "--parent-pid", str(os.getpid()),
            "--ready-file", str(ready),
            "--state-dir", str(self._state_dir),
            "--slots", str(self.slots),
        ]  # fmt: skip
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while not ready.exists():
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise RuntimeError(
                    f"demo variant {name!r} exited with {proc.returncode} before it was ready:\n{err[-2000:]}"
                )
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise RuntimeError(f"demo variant {name!r} not ready after {_READY_TIMEOUT_S:g}s")
            time.sleep(0.02)
        if proc.stderr is not None:  # nothing more is read: do not let a full pipe block the child
            proc.stderr.close()
        info = json.loads(ready.read_text())
        self._ports[name] = int(info["port"])
        self._procs[name] = proc
        _wait_port(self.host, self._ports[name])

    def _supervise(self) -> None:
        """Record children that die; restart those that asked to be restarted (``/admin/kill``)."""
        while not self._stopping.wait(0.1):
            with self._lock:
                dead = [(n, p) for n, p in self._procs.items() if p.poll() is not None]
                for name, proc in dead:
                    self.exits.append((name, proc.pid, proc.returncode, time.time()))
                    del self._procs[name]
            for name, _proc in dead:
                marker = self._state_dir / f"{name}.restart" if self._state_dir else None
                if marker is None or not marker.exists():
                    continue
                info = json.loads(marker.read_text())
                marker.unlink(missing_ok=True)
                wake = float(info["killed_at"]) + float(info["restart_after_s"])
                if self._stopping.wait(max(0.0, wake - time.time())):
                    return
                with self._lock:
                    if not self._stopping.is_set() and name not in self._procs:
                        self._spawn(name)

    def _install_sigterm(self) -> None:
        """Turn SIGTERM into SystemExit so ``with`` blocks and atexit stop the children."""
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return

        def _on_term(signum: int, frame: FrameType | None) -> None:
            raise SystemExit(128 + signum)

        self._old_sigterm = signal.signal(signal.SIGTERM, _on_term)

    def _restore_sigterm(self) -> None:
        if self._old_sigterm is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._old_sigterm)
        self._old_sigterm = None


def _wait_port(host: str, port: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


if __name__ == "__main__":  # `python -m pockit.demo._service` (restart commands use it)
    from pockit.demo._server import serve

    serve()
