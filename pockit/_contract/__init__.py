"""What the run directory holds, defined once: every writer and every reader imports these names.

- :class:`EventKind`: the kinds of event in ``events.jsonl``; each kind's fields are the TypedDict
  in :data:`EVENT_FIELDS` (every event also has ``ts`` and ``kind``).
- :class:`RunField`: the keys of ``run.json``, each described in :data:`RUN_FIELDS`;
  :class:`RunMeta` is the checked, typed view of the fields readers rely on.
- :class:`RunStatus` (``status``), :class:`StopCode` (``stop_code``: why the run stopped, beside the
  human ``stop_reason``), :class:`GuardrailRule` (the ``rule`` of a ``guardrail`` event).
- :data:`SCHEMA_VERSION`, written into run.json as ``schema``. A run.json without it was written
  before the field existed, by the same layout: it reads as schema 1.

``python -m pockit._contract`` prints the tables the README's "The run directory" section holds (a
test keeps the two equal). This package imports nothing heavy: the capture and shape plugins load it
inside Locust.

- The compact sample batch the capture writes (``*.pkbatch``, :func:`encode_batch` /
  :func:`decode_batch`), which the parent turns into Parquet.

Modules: :mod:`._layout` (file names, envelope, version), :mod:`._events` (events.jsonl),
:mod:`._runjson` (run.json), :mod:`._compact` (the compact batch), :mod:`._docs` (the README
tables).
"""

from __future__ import annotations

from pockit._contract._compact import (
    COMPACT_DERIVED,
    COMPACT_MAGIC,
    COMPACT_NAME,
    COMPACT_NUMBERS,
    COMPACT_STRINGS,
    COMPACT_SUFFIX,
    COMPACT_VERSION,
    NO_RETRY,
    PARQUET_SUFFIX,
    CompactBatch,
    compact_name,
    decode_batch,
    encode_batch,
)
from pockit._contract._docs import (
    contract_markdown,
)
from pockit._contract._events import (
    DEFAULT_COLD_PROBE,
    EVENT_FIELDS,
    WORKER_LOST_BY_MASTER,
    AbortedFields,
    EventKind,
    FaultEndFields,
    FaultErrorFields,
    FaultFields,
    FaultStartFields,
    GuardrailFields,
    GuardrailRule,
    IdleGapFields,
    NoFields,
    PhaseFields,
    SaturatedFields,
    TargetUnreachableFields,
    WorkerLostFields,
    check_event,
    event_fields,
    events_of,
    unknown_kinds,
)
from pockit._contract._layout import (
    EVENT_KIND,
    EVENT_TS,
    EVENTS_FILE,
    LOCUST_DIR,
    RUN_JSON,
    SAMPLES_DIR,
    SCHEMA_VERSION,
    SOURCES_DIR,
)
from pockit._contract._runjson import (
    GUARDRAIL_STOPS,
    PLANNED_STOPS,
    REQUIRED_FIELDS,
    RUN_FIELDS,
    RUN_KEYS,
    CapacityKey,
    CapacityStepKey,
    RunField,
    RunMeta,
    RunStatus,
    StopCode,
    StopWhenKey,
    iso,
    parse_iso,
)

__all__ = [
    "COMPACT_DERIVED",
    "COMPACT_MAGIC",
    "COMPACT_NAME",
    "COMPACT_NUMBERS",
    "COMPACT_STRINGS",
    "COMPACT_SUFFIX",
    "COMPACT_VERSION",
    "CapacityKey",
    "CapacityStepKey",
    "CompactBatch",
    "NO_RETRY",
    "PARQUET_SUFFIX",
    "compact_name",
    "decode_batch",
    "encode_batch",
    "AbortedFields",
    "DEFAULT_COLD_PROBE",
    "EVENTS_FILE",
    "EVENT_FIELDS",
    "EVENT_KIND",
    "EVENT_TS",
    "EventKind",
    "FaultEndFields",
    "FaultErrorFields",
    "FaultFields",
    "FaultStartFields",
    "GUARDRAIL_STOPS",
    "GuardrailFields",
    "GuardrailRule",
    "IdleGapFields",
    "LOCUST_DIR",
    "NoFields",
    "PLANNED_STOPS",
    "PhaseFields",
    "REQUIRED_FIELDS",
    "RUN_FIELDS",
    "RUN_JSON",
    "RUN_KEYS",
    "RunField",
    "RunMeta",
    "RunStatus",
    "SAMPLES_DIR",
    "SCHEMA_VERSION",
    "SOURCES_DIR",
    "SaturatedFields",
    "StopCode",
    "StopWhenKey",
    "TargetUnreachableFields",
    "WORKER_LOST_BY_MASTER",
    "WorkerLostFields",
    "check_event",
    "contract_markdown",
    "event_fields",
    "events_of",
    "iso",
    "parse_iso",
    "unknown_kinds",
]
