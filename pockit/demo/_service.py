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

import argparse
import atexit
import json
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from pockit._util import stop_processes

__all__ = ["COST_PER_REQUEST_USD", "VARIANTS", "DemoService", "Variant"]


@dataclass(frozen=True)
class Variant:
    """A candidate's behaviour: lognormal latency around ``median_ms`` with shape ``sigma``."""

    name: str
    median_ms: float
    sigma: float
    checkout_factor: float = 1.5


#: The two demo candidates. baseline ~20-40 ms, async ~8-15 ms (central 95%).
VARIANTS: dict[str, Variant] = {
    "baseline": Variant("baseline", median_ms=28.0, sigma=0.18),
    "async": Variant("async", median_ms=11.0, sigma=0.15),
}

#: What one request costs on each variant, used to generate the demo's billing export.
#: async runs on fewer, busier instances, so it is cheaper per request as well as faster.
COST_PER_REQUEST_USD: dict[str, float] = {"baseline": 0.000042, "async": 0.000025}

_LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_READY_TIMEOUT_S = 15.0
_PARENT_POLL_S = 0.5
_ITEMS = [
    {"id": i, "name": f"item-{i}", "price_cents": 100 + (i * 37) % 900} for i in range(1, 1001)
]


# ----------------------------------------------------------------------------------------------
# the server (runs in the child process)
# ----------------------------------------------------------------------------------------------
class _Metrics:
    """Request counter, latency histogram and in-flight gauge, rendered in Prometheus text format."""

    def __init__(self, variant: str) -> None:
        self.variant = variant
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = {}
        self.buckets: dict[str, list[int]] = {}
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.in_flight = 0
        self.cost_usd = 0.0

    def observe(self, endpoint: str, method: str, status: int, seconds: float, cost: float) -> None:
        with self.lock:
            key = (endpoint, method, status)
            self.requests[key] = self.requests.get(key, 0) + 1
            buckets = self.buckets.setdefault(endpoint, [0] * len(_LATENCY_BUCKETS_S))
            for i, bound in enumerate(_LATENCY_BUCKETS_S):
                if seconds <= bound:
                    buckets[i] += 1
            self.sums[endpoint] = self.sums.get(endpoint, 0.0) + seconds
            self.counts[endpoint] = self.counts.get(endpoint, 0) + 1
            self.cost_usd += cost

    def render(self) -> str:
        v = self.variant
        out = [
            "# HELP demo_requests_total Requests served, by endpoint, method and status.",
            "# TYPE demo_requests_total counter",
        ]
        with self.lock:
            for (endpoint, method, status), n in sorted(self.requests.items()):
                out.append(
                    f'demo_requests_total{{variant="{v}",endpoint="{endpoint}",method="{method}",status="{status}"}} {n}'
                )
            out += [
                "# HELP demo_request_duration_seconds Time to serve a request.",
                "# TYPE demo_request_duration_seconds histogram",
            ]
            for endpoint, buckets in sorted(self.buckets.items()):
                labels = f'variant="{v}",endpoint="{endpoint}"'
                for bound, n in zip(_LATENCY_BUCKETS_S, buckets, strict=True):
                    out.append(f'demo_request_duration_seconds_bucket{{{labels},le="{bound}"}} {n}')
                out.append(
                    f'demo_request_duration_seconds_bucket{{{labels},le="+Inf"}} {self.counts[endpoint]}'
                )
                out.append(f"demo_request_duration_seconds_sum{{{labels}}} {self.sums[endpoint]}")
                out.append(
                    f"demo_request_duration_seconds_count{{{labels}}} {self.counts[endpoint]}"
                )
            out += [
                "# HELP demo_in_flight_requests Requests being served right now.",
                "# TYPE demo_in_flight_requests gauge",
                f'demo_in_flight_requests{{variant="{v}"}} {self.in_flight}',
                "# HELP demo_cost_usd_total Modelled spend of the requests served so far.",
                "# TYPE demo_cost_usd_total counter",
                f'demo_cost_usd_total{{variant="{v}"}} {self.cost_usd}',
            ]
        return "\n".join(out) + "\n"


class _State:
    """Live knobs of one server process; changed by ``POST /admin/fault``."""

    def __init__(
        self, variant: Variant, latency_ms: float, error_rate: float, state_dir: Path | None
    ) -> None:
        self.variant = variant
        self.latency_ms = latency_ms
        self.error_rate = error_rate
        self.state_dir = state_dir
        self.metrics = _Metrics(variant.name)
        self.rng = random.Random()
        self.started = time.time()
        self.cost = COST_PER_REQUEST_USD.get(variant.name, 0.0)

    def service_time_s(self, factor: float) -> float:
        base = self.variant.median_ms * math.exp(self.variant.sigma * self.rng.gauss(0.0, 1.0))
        return max(0.0, base * factor + self.latency_ms) / 1000.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: load generators reuse connections
    server_version = "pockit-demo"
    state: _State  # set on the subclass built by _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet: a load test would otherwise flood stderr."""

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data).encode())

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return None

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._send(200, self.state.metrics.render().encode(), "text/plain; version=0.0.4")
        elif path == "/health":
            self._json(200, {"status": "ok", "variant": self.state.variant.name})
        elif path == "/admin/fault":
            self._json(
                200, {"latency_ms": self.state.latency_ms, "error_rate": self.state.error_rate}
            )
        elif path == "/admin/info":
            self._json(
                200,
                {
                    "pid": os.getpid(),
                    "variant": self.state.variant.name,
                    "started": self.state.started,
                },
            )
        elif path == "/api/items":
            self._api("/api/items", "GET", lambda: (200, _ITEMS[:20]))
        elif path.startswith("/api/items/"):
            self._api("/api/items/{id}", "GET", lambda: _item(path.rsplit("/", 1)[1]))
        else:
            self._json(404, {"error": f"no route {path}"})

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        path = self.path.split("?", 1)[0]
        body = self._body()
        if path == "/api/checkout":
            self._api(
                "/api/checkout",
                "POST",
                lambda: (
                    (400, {"error": "body must be JSON"}) if body is None else (201, _order(body))
                ),
                factor=self.state.variant.checkout_factor,
            )
        elif path == "/admin/fault":
            self._set_fault(body)
        elif path == "/admin/kill":
            self._kill(body)
        else:
            self._json(404, {"error": f"no route {path}"})

    def _api(self, endpoint: str, method: str, make: Any, factor: float = 1.0) -> None:
        st = self.state
        t0 = time.perf_counter()
        with st.metrics.lock:
            st.metrics.in_flight += 1
        try:
            time.sleep(st.service_time_s(factor))
            if st.error_rate > 0 and st.rng.random() < st.error_rate:
                status, data = 500, {"error": "injected fault"}
            else:
                status, data = make()
            self._json(status, data)
        finally:
            with st.metrics.lock:
                st.metrics.in_flight -= 1
            st.metrics.observe(endpoint, method, status, time.perf_counter() - t0, st.cost)

    def _set_fault(self, body: Any) -> None:
        if not isinstance(body, dict):
            self._json(400, {"error": 'expected JSON like {"latency_ms": 100, "error_rate": 0.1}'})
            return
        try:
            if "latency_ms" in body:
                latency = float(body["latency_ms"])
                if latency < 0:
                    raise ValueError("latency_ms must be >= 0")
                self.state.latency_ms = latency
            if "error_rate" in body:
                rate = float(body["error_rate"])
                if not 0 <= rate <= 1:
                    raise ValueError("error_rate must be between 0 and 1")
                self.state.error_rate = rate
        except (TypeError, ValueError) as exc:
            self._json(400, {"error": str(exc)})
            return
        self._json(200, {"latency_ms": self.state.latency_ms, "error_rate": self.state.error_rate})

    def _kill(self, body: Any) -> None:
        """Die by SIGKILL; with ``restart_after_s`` the parent's supervisor starts a new process."""
        delay = body.get("restart_after_s") if isinstance(body, dict) else None
        if delay is not None and self.state.state_dir is not None:
            marker = self.state.state_dir / f"{self.state.variant.name}.restart"
            marker.write_text(
                json.dumps({"restart_after_s": float(delay), "killed_at": time.time()})
            )
        self._json(202, {"killed": os.getpid(), "restart_after_s": delay})
        self.wfile.flush()
        threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGKILL)).start()


def _item(raw: str) -> tuple[int, Any]:
    if not raw.isdigit() or not 1 <= int(raw) <= len(_ITEMS):
        return 404, {"error": f"no item {raw}"}
    return 200, _ITEMS[int(raw) - 1]


def _order(body: Any) -> dict[str, Any]:
    items = body.get("items", []) if isinstance(body, dict) else []
    return {
        "order_id": random.getrandbits(40),
        "items": len(items) if isinstance(items, list) else 0,
    }


class _Server(ThreadingHTTPServer):
    """The listen backlog must be set before ``listen()`` runs in the constructor: socketserver's
    default of 5 overflows when Locust spawns users at once, and each dropped SYN comes back as a
    1 s retransmit that would show up as a false 1,000 ms tail."""

    request_queue_size = 1024
    daemon_threads = True


def _watch_parent(parent_pid: int) -> None:
    """Exit when the parent is gone (re-parented), so a crashed parent leaves no server behind."""
    while True:
        time.sleep(_PARENT_POLL_S)
        if os.getppid() != parent_pid:
            os._exit(0)


def _serve(argv: list[str] | None = None) -> None:
    """Child entry point: serve one variant until SIGTERM or the parent goes away."""
    p = argparse.ArgumentParser(prog="python -m pockit.demo._service")
    p.add_argument("--variant", required=True, choices=sorted(VARIANTS))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--error-rate", type=float, default=0.0)
    p.add_argument("--parent-pid", type=int, default=0)
    p.add_argument("--ready-file", type=Path, default=None)
    p.add_argument("--state-dir", type=Path, default=None)
    args = p.parse_args(argv)

    handler = type(
        "Handler",
        (_Handler,),
        {"state": _State(VARIANTS[args.variant], args.latency_ms, args.error_rate, args.state_dir)},
    )
    server = _Server((args.host, args.port), handler)

    def _stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    if args.parent_pid:
        threading.Thread(target=_watch_parent, args=(args.parent_pid,), daemon=True).start()
    port = server.server_address[1]
    if args.ready_file is not None:
        tmp = args.ready_file.with_name(f".{args.ready_file.name}.tmp")
        tmp.write_text(json.dumps({"port": port, "pid": os.getpid()}))
        os.replace(tmp, args.ready_file)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


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
    ) -> None:
        self.variants = tuple(variants)
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


if __name__ == "__main__":
    _serve()
