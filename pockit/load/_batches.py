"""The sample batches a watcher reads while a run goes: the run's own ``samples/``, and the batches
remote workers send the master as they write them (``locust/live/``, see :mod:`._protocol`).

Both hold the capture's compact batches; :class:`ConvertBatches` turns them into Parquet on every
poll of the supervisor (in this process: Locust's stay free of pyarrow), and :func:`run_batches`
converts whatever has arrived since, so a watcher always reads Parquet.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pockit._contract import RunField
from pockit._rundir import RunDir, convert_pending, settle_batches
from pockit.load._protocol import LIVE_DIR
from pockit.load._watch import Stop, Tick, Watcher

#: How often the parent converts the compact batches the capture wrote (seconds).
CONVERT_EVERY_S = 1.0


def run_batches(run: RunDir, problems: list[str] | None = None) -> list[Path]:
    """Finished batches of ``run`` as Parquet (dot-named partial files never): ``samples/`` first,
    then the live copies of remote workers' batches whose stem ``samples/`` does not hold yet (so a
    batch gathered early is not counted twice). A compact batch that cannot be converted raises
    InputError naming it, or, given ``problems``, is named there and left out."""
    own = run.sample_files(problems)
    stems = {f.stem for f in own}
    live = settle_batches(run.locust_dir / LIVE_DIR, problems)
    return [*own, *(f for f in live if f.stem not in stems)]


class ConvertBatches(Watcher):
    """Every second, the compact batches written since into Parquet: the load processes stay
    light, and a soak's end does not wait on a day of conversions. A batch that cannot be converted
    (damaged on disk) is named once in run.json ``warnings`` and on stderr, and left in place: the
    readers after the run name it too, rather than read the run without it."""

    def __init__(self, run: RunDir) -> None:
        self.run = run
        self.next_at = 0.0
        self.named: set[str] = set()

    def poll(self, tick: Tick) -> Stop | None:
        if tick.now < self.next_at:
            return None
        self.next_at = tick.now + CONVERT_EVERY_S
        self.convert()
        return None

    def finish(self) -> Stop | None:
        self.convert()
        return None

    def convert(self) -> None:
        problems: list[str] = []
        convert_pending(self.run.samples_dir, problems, deep=False)
        convert_pending(self.run.locust_dir / LIVE_DIR, problems, deep=False)
        new = [p for p in dict.fromkeys(problems) if p not in self.named]
        if not new:
            return
        self.named.update(new)
        for problem in new:
            print(f"pockit: {problem}", file=sys.stderr)
        warnings = list(self.run.meta.get(RunField.WARNINGS) or [])
        self.run.update_meta(warnings=[*warnings, *(w for w in new if w not in warnings)])
