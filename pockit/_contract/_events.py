"""events.jsonl: the event kinds, each kind's fields (a TypedDict), and the checks writers run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, TypedDict

from pockit._contract._layout import (
    EVENT_KIND,
    EVENT_TS,
)


# ----------------------------------------------------------------------------------------------
# events.jsonl
# ----------------------------------------------------------------------------------------------
class EventKind(StrEnum):
    """Kinds of event in events.jsonl, with the part of pockit that writes each."""

    LOAD_START = "load_start"
    LOAD_STOP = "load_stop"
    PHASE = "phase"
    IDLE_GAP_START = "idle_gap_start"
    IDLE_GAP_END = "idle_gap_end"
    FAULT_START = "fault_start"
    FAULT_END = "fault_end"
    FAULT_ERROR = "fault_error"
    WORKER_LOST = "worker_lost"
    GUARDRAIL = "guardrail"
    LOAD_GENERATOR_SATURATED = "load_generator_saturated"
    TARGET_UNREACHABLE = "target_unreachable"
    ABORTED = "aborted"


class NoFields(TypedDict):
    """Locust's test_start / test_stop, from the capture plugin on the master (or only) process."""


class PhaseFields(TypedDict):
    """The load shape entered a stage, the spike, or steady load (load/_shape.py)."""

    phase: str
    users: int
    offset_s: float


#: Requests after an idle gap that count as cold starts when an idle-gap event has no ``probe``.
DEFAULT_COLD_PROBE = 20


class IdleGapFields(TypedDict):
    """An idle gap began / ended (load/_shape.py); the first ``probe`` requests after its end are cold starts."""

    gap: int
    pause_s: float
    probe: int


class FaultFields(TypedDict):
    """Fields every fault event carries (load/_faults.py): ``fault`` is its index in the spec's ``faults``."""

    fault: int
    fault_kind: str
    value: float | None
    target: str


class FaultStartFields(FaultFields):
    """A fault was injected (load/_faults.py)."""

    duration_s: float
    command: list[str] | None


class FaultEndFields(FaultFields, total=False):
    """A fault ended (load/_faults.py); recovery is timed from here. What happened: ``recovered``
    (kill), ``restored`` (latency / error_rate knob), ``returncode`` and ``stderr`` (command), ``error``."""

    recovered: bool
    restored: dict[str, Any]
    returncode: int
    stderr: str | None
    error: str


class FaultErrorFields(FaultFields):
    """A fault could not be injected (load/_faults.py); the run goes on without it."""

    error: str


class WorkerLostFields(TypedDict, total=False):
    """A load worker went away: from the parent (a local worker process exited: ``worker``, ``pid``,
    ``returncode``) or from the master (``source: master``, any worker: ``client_id``, ``index``, ``reason``)."""

    worker: str
    pid: int
    returncode: int | None
    source: str
    client_id: str
    index: int | None
    reason: str


class _Rule(TypedDict):
    rule: str


class GuardrailFields(_Rule, total=False):
    """A guardrail acted (``rule``: a GuardrailRule): a refused host (``host``, ``url``) or a run
    stopped at its cap (``limit`` with ``spent_usd`` or ``rps``)."""

    host: str
    url: str
    limit: float
    spent_usd: float
    rps: float


class _Cpu(TypedDict):
    cpu_percent: float


class SaturatedFields(_Cpu, total=False):
    """A load process was CPU-bound: from the parent's watch (``process``, ``cpu_demand_percent``,
    ``cpu_percent``) or from Locust's own cpu_warning in the process (``worker``, ``cpu_percent``)."""

    process: str
    cpu_demand_percent: float
    worker: int


# ``from`` is a Python keyword, hence the functional form.
TargetUnreachableFields = TypedDict("TargetUnreachableFields", {"from": str, "requests": int})
TargetUnreachableFields.__doc__ = (
    "The run ended in requests without any response: the target stopped answering at ``from`` "
    "(load/_checks.py)."
)


class AbortedFields(TypedDict):
    """The capture plugin closed a run whose pockit process died (load/_capture.py)."""

    reason: str
    parent_pid: int


#: Each event kind's fields (beyond ``ts`` and ``kind``).
EVENT_FIELDS: dict[EventKind, type] = {
    EventKind.LOAD_START: NoFields,
    EventKind.LOAD_STOP: NoFields,
    EventKind.PHASE: PhaseFields,
    EventKind.IDLE_GAP_START: IdleGapFields,
    EventKind.IDLE_GAP_END: IdleGapFields,
    EventKind.FAULT_START: FaultStartFields,
    EventKind.FAULT_END: FaultEndFields,
    EventKind.FAULT_ERROR: FaultErrorFields,
    EventKind.WORKER_LOST: WorkerLostFields,
    EventKind.GUARDRAIL: GuardrailFields,
    EventKind.LOAD_GENERATOR_SATURATED: SaturatedFields,
    EventKind.TARGET_UNREACHABLE: TargetUnreachableFields,
    EventKind.ABORTED: AbortedFields,
}

#: ``source`` of a worker_lost event the Locust master wrote (it sees remote workers too).
WORKER_LOST_BY_MASTER = "master"


class GuardrailRule(StrEnum):
    """The ``rule`` of a guardrail event: the spec's ``guardrails`` field that acted."""

    ALLOWED_HOSTS = "allowed_hosts"
    MAX_BUDGET_USD = "max_budget_usd"
    MAX_RPS = "max_rps"


def event_fields(kind: EventKind) -> dict[str, bool]:
    """Field name -> required, for one event kind."""
    td = EVENT_FIELDS[kind]
    required: frozenset[str] = td.__required_keys__  # type: ignore[attr-defined]
    return {name: name in required for name in td.__annotations__}


def check_event(kind: str, fields: Mapping[str, Any], *, complete: bool = False) -> EventKind:
    """The kind as an EventKind; ValueError when the kind or a field name is not in the contract
    (a writer bug). ``complete`` also requires every required field (the contract tests check the
    real writers' events this way; a hand-made event in a test may leave some out)."""
    try:
        member = EventKind(kind)
    except ValueError:
        raise ValueError(f"event kind {kind!r} is not in pockit._contract.EventKind") from None
    declared = event_fields(member)
    unknown = sorted(set(fields) - set(declared))
    missing = (
        sorted(k for k, req in declared.items() if req and k not in fields) if complete else []
    )
    if unknown or missing:
        raise ValueError(
            f"event {member.value}: fields {unknown} are not declared, {missing} are missing; "
            f"declared: {sorted(declared)}"
        )
    return member


def events_of(events: Iterable[Mapping[str, Any]], *kinds: EventKind) -> list[dict[str, Any]]:
    """The events of these kinds that carry a timestamp, in order."""
    wanted = {k.value for k in kinds}
    return [  # a hand-edited line may hold a list as its kind: not one of ours, not a crash
        dict(e)
        for e in events
        if isinstance(e, Mapping) and isinstance(e.get(EVENT_KIND), str)
        and e[EVENT_KIND] in wanted and EVENT_TS in e
    ]  # fmt: skip


def unknown_kinds(events: Iterable[Mapping[str, Any]]) -> list[str]:
    """Kinds in events.jsonl that this contract does not define (another tool, a newer pockit)."""
    known = {k.value for k in EventKind}
    return sorted({str(e.get(EVENT_KIND)) for e in events} - known)
