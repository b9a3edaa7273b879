"""The master's handler for a remote worker's live batch: the message is untrusted input.

The message object is built here (a real hostile worker would need a patched Locust); the handler
is the real one the capture plugin registers on the master.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from pockit.load._capture_links import keep_live_batch
from pockit.load._protocol import LIVE_DIR, LIVE_MAX_BYTES


def _msg(**data: object) -> SimpleNamespace:
    return SimpleNamespace(data=data, node_id="worker-x")


def test_a_capture_batch_is_kept_atomically(tmp_path: Path) -> None:
    kept = keep_live_batch(str(tmp_path), _msg(name="w001-4242-000003.parquet", data=b"PAR1..."))
    assert kept == tmp_path / "locust" / LIVE_DIR / "w001-4242-000003.parquet"
    assert kept.read_bytes() == b"PAR1..."
    assert [p.name for p in kept.parent.iterdir()] == [kept.name]  # no temp file left


@pytest.mark.parametrize(
    "data",
    [
        {"name": "../../run.json", "data": b"x"},
        {"name": "/etc/passwd", "data": b"x"},
        {"name": "w001-1-000001.parquet/../x", "data": b"x"},
        {"name": 7, "data": b"x"},
        {"name": "w001-1-000001.parquet", "data": "not bytes"},
        {"name": "w001-1-000001.parquet", "data": b""},
        {"name": "w001-1-000001.parquet", "data": b"x" * (LIVE_MAX_BYTES + 1)},
        {},
    ],
)
def test_anything_else_is_refused_and_nothing_written(
    tmp_path: Path, data: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    assert keep_live_batch(str(tmp_path), _msg(**data)) is None
    assert not any(tmp_path.rglob("*")) or not any(p.is_file() for p in tmp_path.rglob("*"))
    assert "refused" in caplog.text
