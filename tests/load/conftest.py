"""Fixtures for the load tests: a real demo service and specs that point at it.

Every run here is real Locust in a child process, against 127.0.0.1 only, a few seconds long.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pockit.demo._service import DemoService

REPO = Path(__file__).resolve().parents[2]
DEMO_LOCUSTFILE = REPO / "pockit" / "demo" / "locustfile.py"


@pytest.fixture(scope="module")
def service() -> Iterator[DemoService]:
    with DemoService(variants=("baseline", "async")) as svc:
        yield svc


@pytest.fixture
def make_spec(tmp_path: Path) -> Callable[..., Path]:
    """Write a spec for ``hosts`` (name -> URL); ``load`` and ``extra`` merge into the defaults."""

    def make(hosts: dict[str, str], *, load: dict[str, Any] | None = None, **extra: Any) -> Path:
        spec: dict[str, Any] = {
            "name": "load-test",
            "hypothesis": "the demo holds",
            "candidates": [{"name": n, "host": h, "tags": {"poc": n}} for n, h in hosts.items()],
            "load": {
                "locustfile": str(DEMO_LOCUSTFILE),
                "users": 3,
                "spawn_rate": 10,
                "duration": "3s",
                **(load or {}),
            },
            "criteria": [{"metric": "latency_p95_ms", "op": "<", "threshold": 300}],
            **extra,
        }
        path = tmp_path / "poc.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        return path

    return make


def served(url: str) -> int:
    """Requests the demo server has answered on its API endpoints, from its /metrics."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    return sum(
        int(float(line.rsplit(" ", 1)[1]))
        for line in text.splitlines()
        if line.startswith("demo_requests_total{") and 'endpoint="/api' in line
    )


def set_fault(url: str, **knobs: float) -> None:
    req = urllib.request.Request(
        f"{url}/admin/fault",
        data=json.dumps(knobs).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(req, timeout=5).read()
