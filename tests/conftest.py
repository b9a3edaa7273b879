"""Shared fixtures. Real-component tests start their own servers on 127.0.0.1 only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def locustfile(tmp_path: Path) -> Path:
    """A minimal user locustfile (never imported here: Locust only runs as a subprocess)."""
    path = tmp_path / "locustfile.py"
    path.write_text(
        "from locust import HttpUser, task, constant\n\n"
        "class Shopper(HttpUser):\n"
        "    wait_time = constant(0.01)\n\n"
        "    @task\n"
        "    def items(self):\n"
        "        self.client.get('/api/items')\n"
    )
    return path
