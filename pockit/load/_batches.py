"""The sample batches a watcher reads while a run goes: the run's own ``samples/``, and the batches
remote workers send the master as they write them (``locust/live/``, see :mod:`._protocol`)."""

from __future__ import annotations

from pathlib import Path

from pockit._rundir import RunDir
from pockit.load._protocol import LIVE_DIR


def run_batches(run: RunDir) -> list[Path]:
    """Finished batches of ``run`` (dot-named partial files never): ``samples/`` first, then the
    live copies of remote workers' batches whose name ``samples/`` does not hold yet (so a batch
    gathered early is not counted twice)."""
    own = run.sample_files()
    names = {f.name for f in own}
    live = sorted((run.locust_dir / LIVE_DIR).glob("w*.parquet"))
    return [*own, *(f for f in live if f.name not in names)]
