"""The demo service's knobs for the PoC metrics: a 401 endpoint, a capacity limit, an alert rule.

Real parts: the demo's HTTP server processes on 127.0.0.1 and Debian's Prometheus scraping them.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from pockit.demo._prometheus import (
    DEMO_ALERT,
    DEMO_ALERT_RULES,
    PrometheusServer,
)
from pockit.demo._server import DEMO_TOKEN
from pockit.demo._service import DemoService


def test_account_is_401_without_the_token_and_200_with_it() -> None:
    with DemoService(variants=("async",)) as svc:
        url = svc.url("async") + "/api/account"
        assert requests.get(url, timeout=5).status_code == 401
        assert (
            requests.get(url, headers={"Authorization": "Bearer x"}, timeout=5).status_code == 401
        )
        ok = requests.get(url, headers={"Authorization": DEMO_TOKEN}, timeout=5)
        assert ok.status_code == 200 and ok.json() == {"account": "demo"}
        metrics = requests.get(svc.url("async") + "/metrics", timeout=5).text
        assert 'endpoint="/api/account",method="GET",status="401"} 2' in metrics


def test_slots_cap_how_many_requests_are_served_at_once() -> None:
    """8 requests at once, 2 slots, each service ≥ 100 ms: they take at least 4 rounds (≥ 400 ms),
    and the busy gauge never reads above 2 (a lower bound on time, never an upper one)."""
    with DemoService(variants=("async",), latency_ms=100, slots=2) as svc:
        base = svc.url("async")
        busy: list[int] = []

        def _one(_: int) -> int:
            return requests.get(base + "/api/items", timeout=10).status_code

        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=9) as pool:
            futures = [pool.submit(_one, i) for i in range(8)]
            while not all(f.done() for f in futures):
                text = requests.get(base + "/metrics", timeout=5).text
                busy.append(int(re.search(r"demo_slots_busy\{[^}]*\} (\d+)", text).group(1)))  # type: ignore[union-attr]
                time.sleep(0.02)
            codes = [f.result() for f in futures]
        elapsed = time.monotonic() - t0
        assert codes == [200] * 8
        assert elapsed >= 0.4, elapsed
        assert max(busy) <= 2 and 2 in busy, busy
        assert 'demo_slots{variant="async"} 2' in requests.get(base + "/metrics", timeout=5).text


@pytest.mark.slow
def test_the_demo_alert_fires_when_errors_are_injected() -> None:
    """Prometheus loads the demo's rule; turning the error knob to 50% makes ALERTS fire.
    (``make test`` installs Debian's prometheus; without it PrometheusServer raises LoadError.)"""
    with DemoService(variants=("async",)) as svc:
        base = svc.url("async")
        with PrometheusServer([base], rules=DEMO_ALERT_RULES) as prom:
            rules = requests.get(f"{prom.url}/api/v1/rules", timeout=5).json()
            names = [r["name"] for g in rules["data"]["groups"] for r in g["rules"]]
            assert names == [DEMO_ALERT]
            svc.set_fault("async", error_rate=0.5)
            query = f'ALERTS{{alertname="{DEMO_ALERT}",alertstate="firing"}}'
            firing: list[object] = []
            deadline = time.monotonic() + 30  # bounded: at most ~30 s of 20 req/s to loopback
            while not firing and time.monotonic() < deadline:
                for _ in range(20):
                    requests.get(base + "/api/items", timeout=5)
                time.sleep(0.05)
                res = requests.get(f"{prom.url}/api/v1/query", params={"query": query}, timeout=5)
                firing = res.json()["data"]["result"]
            assert firing, "the alert never fired"
            assert firing[0]["metric"]["variant"] == "async"  # type: ignore[index]
