"""The watchers the supervisor polls while a run goes, each answering "should we stop, and why?".

In the order :func:`watchers_for` polls them (the first :class:`~pockit.load._watch.Stop` wins):

============================  ==================  =========  ===================================
watcher                       ``stop_code``       status     event it records
============================  ==================  =========  ===================================
:class:`ConvertBatches`       (never stops)       —          (run.json ``warnings``: a damaged batch)
:class:`CpuSaturation`        (never stops)       —          ``load_generator_saturated``
:class:`FaultClock`           (never stops)       —          ``fault_start`` / ``fault_end`` ...
:class:`WorkerLoss`           ``all_workers_lost``  aborted  ``worker_lost``
:class:`BudgetCap`            ``max_budget_usd``  aborted    ``guardrail`` (rule max_budget_usd)
:class:`RateCap`              ``max_rps``         aborted    ``guardrail`` (rule max_rps)
:class:`StopWhen`             ``decided``         completed  (run.json ``stop_when``)
:class:`CapacityKnee`         ``capacity_found``  completed  (run.json ``capacity``)
:class:`Deadline`             ``deadline``        failed     —
============================  ==================  =========  ===================================

A new guardrail is one new :class:`~pockit.load._watch.Watcher` here, added to :func:`watchers_for`.
"""

from __future__ import annotations

import subprocess
from typing import Any

from pockit._contract import EventKind, GuardrailRule, RunStatus, StopCode, events_of
from pockit._rundir import RunDir, iso, utcnow
from pockit.load._batches import ConvertBatches
from pockit.load._capacity import CapacityRamp, StepResult
from pockit.load._faults import FaultPlan
from pockit.load._guardrails import Budget
from pockit.load._plan import Plan
from pockit.load._protocol import worker_wait_s
from pockit.load._saturation import CpuSaturation
from pockit.load._stop_when import StopWhenDecided
from pockit.load._watch import Stop, Tick, Watcher

#: A run measured above guardrails.max_rps times this is stopped (rates are noisy second to second).
RATE_CAP_SLACK = 1.2
#: Seconds the capacity ramp waits for Locust to end by itself after the knee before stopping it.
KNEE_GRACE_S = 10.0
#: Slack on top of the planned duration before a run that does not stop by itself is stopped.
DEADLINE_SLACK_S = 30.0

Procs = list[tuple[str, "subprocess.Popen[bytes]"]]


def watchers_for(
    run: RunDir,
    plan: Plan,
    procs: Procs,
    *,
    started: float,
    faults: FaultPlan,
    max_rps: float,
    budget: Budget | None,
    workers_lost: list[dict[str, Any]],
) -> list[Watcher]:
    """Every watcher of one run, in the order they are polled."""
    watchers: list[Watcher] = [
        ConvertBatches(run),  # first: the watchers after it read the batches it converts
        CpuSaturation(procs, run),
        FaultClock(faults, run),
        WorkerLoss(procs[1:], run, plan, workers_lost),
    ]
    if budget is not None:
        watchers.append(BudgetCap(budget, run))
    watchers.append(RateCap(max_rps, run))
    if plan.stop_when is not None:
        watchers.append(StopWhen(plan.stop_when.watch(run)))
    if plan.capacity is not None:
        watchers.append(CapacityKnee(plan.capacity.watch(run)))
    wait = worker_wait_s() if len(procs) > 1 or plan.remote_workers else 10
    watchers.append(Deadline(started + plan.duration_s + DEADLINE_SLACK_S + wait, plan.duration_s))
    return watchers


class FaultClock(Watcher):
    """Drives the spec's faults; their offsets count from the plugin's ``load_start`` (workers
    connected, users spawning), not from when Locust started."""

    def __init__(self, faults: FaultPlan, run: RunDir) -> None:
        self.faults = faults
        self.run = run
        self.load_started: float | None = None

    def poll(self, tick: Tick) -> Stop | None:
        if (
            self.load_started is None
            and tick.snapshot is not None
            and events_of(self.run.events(), EventKind.LOAD_START)
        ):
            self.load_started = tick.now
        if self.load_started is not None:
            self.faults.poll(tick.now - self.load_started)
        return None


class WorkerLoss(Watcher):
    """Records each local worker process that exits before its time; stops when all are gone.

    Remote workers are not processes of this one: the master's plugin records their loss, and the
    post-run checks add those to run.json's ``workers_lost``.
    """

    def __init__(self, workers: Procs, run: RunDir, plan: Plan, lost: list[dict[str, Any]]) -> None:
        self.workers = workers
        self.alive = {name for name, _ in workers}
        self.run = run
        self.plan = plan
        self.lost = lost

    def poll(self, tick: Tick) -> Stop | None:
        for name, proc in self.workers:
            if name in self.alive and proc.poll() is not None:
                self.alive.discard(name)
                # a worker told to quit by its master exits 0 after load_stop: not a loss
                if proc.returncode == 0 and events_of(self.run.events(), EventKind.LOAD_STOP):
                    continue
                self.lost.append(
                    {"worker": name, "pid": proc.pid, "returncode": proc.returncode,
                     "at": iso(utcnow())}
                )  # fmt: skip
                self.run.add_event(
                    EventKind.WORKER_LOST, worker=name, pid=proc.pid, returncode=proc.returncode
                )
        plan = self.plan
        if plan.workers and len(self.lost) == plan.workers and not plan.remote_workers:
            return Stop(StopCode.ALL_WORKERS_LOST, "all workers lost")
        return None


class BudgetCap(Watcher):
    """``guardrails.max_budget_usd``: spend projected by the price book at the measured rate."""

    def __init__(self, budget: Budget, run: RunDir) -> None:
        self.budget = budget
        self.run = run

    def poll(self, tick: Tick) -> Stop | None:
        budget = self.budget
        if not budget.accrue(tick.now, tick.rps):
            return None
        self.run.add_event(
            EventKind.GUARDRAIL,
            rule=GuardrailRule.MAX_BUDGET_USD,
            spent_usd=round(budget.spent_usd, 6),
            limit=budget.limit_usd,
        )
        return Stop(
            StopCode.MAX_BUDGET_USD,
            f"guardrails.max_budget_usd reached: ${budget.spent_usd:.4f} projected by the price "
            f"book > ${budget.limit_usd:g}",
        )


class RateCap(Watcher):
    """``guardrails.max_rps`` on the measured rate: a closed-model run cannot be capped up front."""

    def __init__(self, max_rps: float, run: RunDir) -> None:
        self.max_rps = max_rps
        self.run = run

    def poll(self, tick: Tick) -> Stop | None:
        if not tick.rps > self.max_rps * RATE_CAP_SLACK:
            return None
        self.run.add_event(
            EventKind.GUARDRAIL,
            rule=GuardrailRule.MAX_RPS,
            rps=round(tick.rps, 1),
            limit=self.max_rps,
        )
        return Stop(
            StopCode.MAX_RPS,
            f"guardrails.max_rps exceeded: {tick.rps:.0f} req/s > {self.max_rps:g}",
        )


class StopWhen(Watcher):
    """``load.stop_when: decided``: stop once every watched criterion is decided (see
    :mod:`pockit.load._stop_when`); each look is saved into run.json's ``stop_when``."""

    def __init__(self, decided: StopWhenDecided) -> None:
        self.decided = decided

    def poll(self, tick: Tick) -> Stop | None:
        check = self.decided.step(tick.now)
        if check is None:
            return None
        return Stop(StopCode.DECIDED, f"load.stop_when: {check.reason}", RunStatus.COMPLETED)

    def finish(self) -> Stop | None:
        self.decided.finish()  # the last batches, so the record ends where the run did
        return None


class CapacityKnee(Watcher):
    """``load.shape.kind: capacity``: judge each step once it has settled (see
    :mod:`pockit.load._capacity`). The first failing step is written into run.json, where the
    shape plugin reads it and ends the load, so Locust stops by itself with its last batches
    flushed (a shaped Locust dies on SIGTERM); should it not within :data:`KNEE_GRACE_S`, stop it."""

    def __init__(self, ramp: CapacityRamp) -> None:
        self.ramp = ramp
        self.failed: StepResult | None = None
        self.failed_at = 0.0

    def poll(self, tick: Tick) -> Stop | None:
        if self.failed is None:
            self.failed = self.ramp.poll(utcnow())
            self.failed_at = tick.now
            return None
        return self._stop() if tick.now - self.failed_at > KNEE_GRACE_S else None

    def finish(self) -> Stop | None:
        if self.failed is None:  # the last steps, after the load's last batches
            self.failed = self.ramp.poll(utcnow(), final=True)
        return self._stop()

    def _stop(self) -> Stop | None:
        failed = self.failed
        if failed is None:
            return None
        last_pass = self.ramp.record()["last_pass"]
        held = "no step passed" if last_pass is None else f"last passing step {last_pass:g} req/s"
        judged = ", ".join(f"{c['label']} {c['outcome']}" for c in failed.criteria)
        return Stop(
            StopCode.CAPACITY_FOUND,
            f"load.shape capacity: the step at {failed.rate:g} req/s failed ({judged}); {held}",
            RunStatus.COMPLETED,
        )


class Deadline(Watcher):
    """A Locust that does not stop by itself well after its planned duration is stopped."""

    def __init__(self, deadline: float, duration_s: float) -> None:
        self.deadline = deadline
        self.duration_s = duration_s

    def poll(self, tick: Tick) -> Stop | None:
        if tick.now <= self.deadline:
            return None
        return Stop(
            StopCode.DEADLINE,
            f"locust did not stop by itself within {self.duration_s + DEADLINE_SLACK_S:g}s",
            RunStatus.FAILED,
        )
