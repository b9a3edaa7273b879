"""The master's handler for a remote worker's live batch: the message is untrusted input.

The message object is built here (a real hostile worker would need a patched Locust); the handler
is the real one the capture plugin registers on the master.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from pockit.load._capture_links import keep_live_batch
from pockit.load._protocol import LIVE_DIR, LIVE_MAX_BYTES


def _msg(**data: object) -> SimpleNamespace:
    return SimpleNamespace(data=data, node_id="worker-x")


def _batch(rows: int = 3) -> bytes:
    """A real compact batch, as the capture's buffer encodes it."""
    from pockit.load._capture_batch import Columns

    cols = Columns()
    for i in range(rows):
        cols.start.append(1_700_000_000.0 + i)
        cols.latency.append(1.5)
        cols.status.append(200)
        cols.nbytes.append(10)
        cols.retry.append(-1)
        cols.name.append("/")
        cols.method.append("GET")
        cols.error.append(None)
    return cols.encode(1, open_model=False)


def _flip(blob: bytes, at: int) -> bytes:
    return blob[:at] + bytes([blob[at] ^ 0xFF]) + blob[at + 1 :]


NAME = "w001-4242-000003.pkbatch"


def test_a_capture_batch_is_kept_atomically(tmp_path: Path) -> None:
    blob = _batch()
    kept = keep_live_batch(str(tmp_path), _msg(name=NAME, data=blob))
    assert kept == tmp_path / "locust" / LIVE_DIR / NAME
    assert kept.read_bytes() == blob
    assert [p.name for p in kept.parent.iterdir()] == [kept.name]  # no temp file left


@pytest.mark.parametrize(
    "data",
    [
        {"name": "../../run.json", "data": b"x"},
        {"name": "/etc/passwd", "data": b"x"},
        {"name": f"{NAME}/../x", "data": b"x"},
        {"name": "w001-1-000001.parquet", "data": b"PAR1..."},  # the old name: not a compact batch
        {"name": 7, "data": b"x"},
        {"name": NAME, "data": "not bytes"},
        {"name": NAME, "data": b""},
        {"name": NAME, "data": b"x" * (LIVE_MAX_BYTES + 1)},
        {"name": NAME, "data": b"PAR1 not a compact batch at all"},
        {"name": NAME, "data": _batch()[:-9]},  # truncated
        {"name": NAME, "data": _flip(_batch(), 30)},  # one byte damaged: the checksum says so
        {},
    ],
)
def test_anything_else_is_refused_and_nothing_written(
    tmp_path: Path, data: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    assert keep_live_batch(str(tmp_path), _msg(**data)) is None
    assert not any(tmp_path.rglob("*")) or not any(p.is_file() for p in tmp_path.rglob("*"))
    assert "refused" in caplog.text
    if data.get("name") == NAME and isinstance(data.get("data"), bytes) and data["data"]:
        assert NAME in caplog.text and "worker-x" in caplog.text  # which batch, from whom


def test_the_parent_asks_for_live_batches_only_when_a_watcher_reads_them(tmp_path: Path) -> None:
    """POCKIT_LIVE goes to the master when remote workers load a run that a watcher reads while
    it goes (stop_when, or a capacity ramp), and never otherwise."""
    from pockit.load._capacity import CapacityRule
    from pockit.load._plan import Plan
    from pockit.load._protocol import LIVE, child_env
    from pockit.load._stop_when import StopWhenRule

    base = Plan(users=1, spawn_rate=1, duration_s=5, repeats=1, cooldown_s=0, workers=0)
    ramp = CapacityRule(rates=(10.0, 20.0), step_s=5.0, criteria=())
    watch = StopWhenRule(criteria=())

    def live(plan: Plan) -> str | None:
        return child_env(tmp_path, "a", plan, ["127.0.0.1"]).get(LIVE)

    assert live(replace(base, remote_workers=1, capacity=ramp)) == "1"
    assert live(replace(base, remote_workers=1, stop_when=watch)) == "1"
    assert live(replace(base, remote_workers=1)) is None  # nobody reads them while the run goes
    assert live(replace(base, capacity=ramp, stop_when=watch)) is None  # local workers only
