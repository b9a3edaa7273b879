"""The demo's HTTP server: one variant, run in its own child process by :class:`DemoService`.

Endpoints: ``GET /health``, ``GET /api/items``, ``GET /api/items/{id}``, ``POST /api/checkout``,
``GET /api/account`` (401 without ``Authorization: Bearer demo``), ``GET /metrics``,
``GET|POST /admin/fault``, ``GET /admin/info``, ``POST /admin/kill``.

With ``--slots N`` the server serves at most N requests at a time (the rest queue), so its capacity
is N ÷ the mean service time: the knee a capacity ramp finds. ``demo_slots_busy`` / ``demo_slots``
give its utilisation to Prometheus.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from pockit.demo._variants import COST_PER_REQUEST_USD, VARIANTS, Variant

#: The bearer token ``GET /api/account`` accepts; any other (or none) is a 401.
DEMO_TOKEN = "Bearer demo"
_LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_PARENT_POLL_S = 0.5
_ITEMS = [
    {"id": i, "name": f"item-{i}", "price_cents": 100 + (i * 37) % 900} for i in range(1, 1001)
]


# ----------------------------------------------------------------------------------------------
# the server (runs in the child process)
# ----------------------------------------------------------------------------------------------
class _Metrics:
    """Request counter, latency histogram and in-flight gauge, rendered in Prometheus text format."""

    def __init__(self, variant: str, slots: int = 0) -> None:
        self.variant = variant
        self.slots = slots
        self.busy = 0
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
                "# HELP demo_slots Requests the server serves at once (0: no limit).",
                "# TYPE demo_slots gauge",
                f'demo_slots{{variant="{v}"}} {self.slots}',
                "# HELP demo_slots_busy Slots serving a request right now.",
                "# TYPE demo_slots_busy gauge",
                f'demo_slots_busy{{variant="{v}"}} {self.busy}',
                "# HELP demo_cost_usd_total Modelled spend of the requests served so far.",
                "# TYPE demo_cost_usd_total counter",
                f'demo_cost_usd_total{{variant="{v}"}} {self.cost_usd}',
            ]
        return "\n".join(out) + "\n"


class _State:
    """Live knobs of one server process; changed by ``POST /admin/fault``."""

    def __init__(
        self,
        variant: Variant,
        latency_ms: float,
        error_rate: float,
        state_dir: Path | None,
        slots: int = 0,
    ) -> None:
        self.variant = variant
        #: at most ``slots`` requests in service at once (0: no limit); the rest wait in line
        self.slots = slots
        self.gate = threading.BoundedSemaphore(slots) if slots > 0 else None
        self.latency_ms = latency_ms
        self.error_rate = error_rate
        self.state_dir = state_dir
        self.metrics = _Metrics(variant.name, slots)
        self.rng = random.Random()
        self.started = time.time()
        self.cost = COST_PER_REQUEST_USD.get(variant.name, 0.0)

    def service_time_s(self, factor: float) -> float:
        base = self.variant.median_ms * math.exp(self.variant.sigma * self.rng.gauss(0.0, 1.0))
        return max(0.0, base * factor + self.latency_ms) / 1000.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: load generators reuse connections
    server_version = "pockit-demo"
    state: _State  # set on the subclass built by serve

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
        elif path == "/api/account":
            authorised = self.headers.get("Authorization") == DEMO_TOKEN
            self._api(
                "/api/account",
                "GET",
                lambda: (
                    (200, {"account": "demo"})
                    if authorised
                    else (401, {"error": "missing or wrong bearer token"})
                ),
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
            if st.gate is not None:
                with st.gate:
                    with st.metrics.lock:
                        st.metrics.busy += 1
                    try:
                        time.sleep(st.service_time_s(factor))
                    finally:
                        with st.metrics.lock:
                            st.metrics.busy -= 1
            else:
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


def serve(argv: list[str] | None = None) -> None:
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
    p.add_argument("--slots", type=int, default=0, help="requests served at once (0: no limit)")
    args = p.parse_args(argv)

    handler = type(
        "Handler",
        (_Handler,),
        {
            "state": _State(
                VARIANTS[args.variant],
                args.latency_ms,
                args.error_rate,
                args.state_dir,
                slots=max(0, args.slots),
            )
        },
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
