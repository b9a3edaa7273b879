"""The risks section names what pockit detected in the runs, from run.json and events."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pockit._contract import EventKind
from pockit._rundir import RunDir
from pockit.report.facts import risks
from pockit.report.run_facts import run_facts


class _Spec:
    notes = ("a known caveat",)


def test_detected_risks(run_factory: Callable[..., RunDir]) -> None:
    healthy = run_factory("baseline", n=5000)
    dying = run_factory("async", seed=1, n=40)
    dying.update_meta(
        target_unreachable={"from": "2026-01-05T10:00:07.000000Z", "requests": 123},
        load_generator_saturated=True,
    )
    dying.add_event(EventKind.WORKER_LOST, worker="w1")
    items: Sequence[tuple[str, Any]] = risks(_Spec(), [run_facts(healthy), run_facts(dying)])
    kinds = {k for k, _ in items}
    text = " ".join(t for _, t in items)
    assert ("spec note", "a known caveat") in items
    assert {"target", "load generator", "samples", "workers"} <= kinds
    assert "stopped answering at 2026-01-05T10:00:07" in text and "123 requests" in text
    assert healthy.id not in text, "a healthy run raises nothing"
