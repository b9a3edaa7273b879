"""The demo service: real HTTP servers in child processes, fault knobs, metrics, no orphans."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import pytest

from pockit.demo._service import COST_PER_REQUEST_USD, VARIANTS, DemoService

from .conftest import served, set_fault


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _post(url: str, body: object) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_endpoints_and_variants_differ(service: DemoService) -> None:
    assert set(service.urls) == {"baseline", "async"} and len(set(service.urls.values())) == 2
    assert (
        set(COST_PER_REQUEST_USD) == set(VARIANTS)
        and COST_PER_REQUEST_USD["async"] < COST_PER_REQUEST_USD["baseline"]
    )
    for variant in ("baseline", "async"):
        url = service.url(variant)
        assert _get(f"{url}/health") == (200, {"status": "ok", "variant": variant})
        status, items = _get(f"{url}/api/items")
        assert status == 200 and len(items) == 20
        assert _get(f"{url}/api/items/7")[1]["id"] == 7
        assert _get(f"{url}/api/items/999999")[0] == 404
        assert _post(f"{url}/api/checkout", {"items": [{"id": 1}]})[0] == 201
    timings = {}
    for variant in ("baseline", "async"):
        t0 = time.perf_counter()
        for _ in range(10):
            _get(f"{service.url(variant)}/api/items")
        timings[variant] = (time.perf_counter() - t0) / 10 * 1000
    assert timings["async"] < timings["baseline"]
    assert 15 < timings["baseline"] < 80 and 5 < timings["async"] < 40


def test_metrics_in_prometheus_text_format(service: DemoService) -> None:
    url = service.url("async")
    before = served(url)
    _get(f"{url}/api/items")
    assert served(url) == before + 1
    text = urllib.request.urlopen(f"{url}/metrics", timeout=5).read().decode()
    assert "# TYPE demo_requests_total counter" in text
    assert "# TYPE demo_request_duration_seconds histogram" in text
    assert (
        'demo_request_duration_seconds_bucket{variant="async",endpoint="/api/items",le="+Inf"}'
        in text
    )
    assert "demo_in_flight_requests" in text and "demo_cost_usd_total" in text


def test_fault_knobs_live(service: DemoService) -> None:
    url = service.url("baseline")
    try:
        set_fault(url, error_rate=1.0)
        assert _get(f"{url}/api/items")[0] == 500
        set_fault(url, error_rate=0.0, latency_ms=120)
        t0 = time.perf_counter()
        assert _get(f"{url}/api/items")[0] == 200
        assert time.perf_counter() - t0 > 0.12
        assert _post(f"{url}/admin/fault", {"error_rate": 3})[0] == 400
    finally:
        set_fault(url, error_rate=0.0, latency_ms=0)


def test_start_time_knobs_kill_and_restart() -> None:
    with DemoService(variants=("async",), error_rate=1.0) as svc:
        url = svc.url("async")
        assert _get(f"{url}/api/items")[0] == 500
        pid = svc.pid("async")
        svc.kill("async")
        assert pid is not None and svc.pid("async") is None and not psutil.pid_exists(pid)
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(f"{url}/health", timeout=2)
        svc.restart("async")
        assert svc.url("async") == url and _get(f"{url}/health")[0] == 200


def test_no_child_outlives_its_parent(tmp_path: Path) -> None:
    """A parent killed by SIGKILL (no cleanup at all): its servers notice and exit on their own."""
    code = (
        "import sys, time\n"
        "from pockit.demo._service import DemoService\n"
        "svc = DemoService(variants=('baseline', 'async')).start()\n"
        "print(svc.pid('baseline'), svc.pid('async'), flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    pids = [int(p) for p in parent.stdout.readline().split()]
    assert all(psutil.pid_exists(p) for p in pids)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(psutil.pid_exists(p) for p in pids):
        time.sleep(0.1)
    assert not any(psutil.pid_exists(p) for p in pids)


def test_sigterm_to_the_parent_stops_children() -> None:
    code = (
        "import time\n"
        "from pockit.demo._service import DemoService\n"
        "with DemoService(variants=('async',)) as svc:\n"
        "    print(svc.pid('async'), flush=True)\n"
        "    time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    [pid] = [int(p) for p in parent.stdout.readline().split()]
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=10) == 128 + signal.SIGTERM
    assert not psutil.pid_exists(pid)
