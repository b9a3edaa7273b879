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
