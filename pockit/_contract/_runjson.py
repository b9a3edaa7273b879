"""run.json: its fields, statuses and stop codes, and :class:`RunMeta`, the typed view readers use."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pockit._contract._layout import (
    RUN_JSON,
    SCHEMA_VERSION,
)
from pockit._errors import InputError


# ----------------------------------------------------------------------------------------------
# run.json
# ----------------------------------------------------------------------------------------------
class RunStatus(StrEnum):
    """``status``: ``running`` while a process writes the run, then one of the other three."""

    RUNNING = "running"
    COMPLETED = "completed"
    ABORTED = "aborted"
    FAILED = "failed"


class StopCode(StrEnum):
    """``stop_code``: why the run stopped, as a code a reader can test (``stop_reason`` says it in words)."""

    DURATION_REACHED = "duration_reached"
    STOPPED_EARLY = "stopped_early"
    DECIDED = "decided"
    CAPACITY_FOUND = "capacity_found"
    INTERRUPTED = "interrupted"
    TERMINATED = "terminated"
    ALL_WORKERS_LOST = "all_workers_lost"
    MAX_BUDGET_USD = "max_budget_usd"
    MAX_RPS = "max_rps"
    DEADLINE = "deadline"
    LOCUST_FAILED = "locust_failed"
    POCKIT_ERROR = "pockit_error"
    PARENT_DIED = "parent_died"
    IMPORTED = "imported"


#: Stop codes that mean a guardrail stopped the run.
class CapacityKey(StrEnum):
    """The keys of run.json's ``capacity`` record (``load.shape.kind: capacity``): written by the
    ramp's watcher (pockit/load/_capacity.py), read by the shape plugin, ``capacity_rps``, the
    decision's held-steps cut and the report's capacity curve."""

    RATES = "rates"
    STEP_DURATION_S = "step_duration_s"
    STEPS = "steps"
    LAST_PASS = "last_pass"
    FIRST_FAIL = "first_fail"
    #: UTC end of the last passing step's window (ISO-8601): requests offered before it were held
    HELD_UNTIL = "held_until"


class CapacityStepKey(StrEnum):
    """The keys of one step of run.json's ``capacity`` record (``capacity.steps[i]``): written by
    pockit/load/_capacity.py, read by the report's capacity curve."""

    STEP = "step"
    RATE = "rate"
    N = "n"
    OFFERED = "offered"
    MISSING = "missing"
    P50_MS = "p50_ms"
    P95_MS = "p95_ms"
    ERROR_RATE = "error_rate"
    OUTCOME = "outcome"
    CRITERIA = "criteria"


class StopWhenKey(StrEnum):
    """The keys of run.json's ``stop_when`` record (``load.stop_when: decided``) and of each look in
    its ``history``: written by pockit/load/_stop_when.py, read by the report's bounds chart. The
    record's ``criteria`` are :meth:`pockit.analysis.SequentialResult.to_dict` objects."""

    RULE = "rule"
    STOP = "stop"
    REASON = "reason"
    AT = "at"
    ELAPSED_S = "elapsed_s"
    CRITERIA = "criteria"
    UNWATCHED = "unwatched"
    METHOD = "method"
    REQUIRE = "require"
    MIN_DURATION_S = "min_duration_s"
    LABELS = "labels"
    HISTORY = "history"
    #: in a look's ``criteria``: the criterion's label, metric, requests so far, bounds, outcome
    LABEL = "label"
    METRIC = "metric"
    N = "n"
    LO = "lo"
    HI = "hi"
    OUTCOME = "outcome"


GUARDRAIL_STOPS = frozenset({StopCode.MAX_BUDGET_USD, StopCode.MAX_RPS})
#: Stop codes of a run that ran as planned (``decided``: the spec's ``load.stop_when`` stopped it).
#: (``capacity_found``: a ``capacity`` ramp stopped after its first failing step).
PLANNED_STOPS = frozenset(
    {StopCode.DURATION_REACHED, StopCode.IMPORTED, StopCode.DECIDED, StopCode.CAPACITY_FOUND}
)


class RunField(StrEnum):
    """The keys of run.json (see RUN_FIELDS for what each holds)."""

    SCHEMA = "schema"
    ID = "id"
    CANDIDATE = "candidate"
    START = "start"
    END = "end"
    STATUS = "status"
    STOP_REASON = "stop_reason"
    STOP_CODE = "stop_code"
    STOP_WHEN = "stop_when"
    CAPACITY = "capacity"
    SPEC = "spec"
    HOST = "host"
    LOAD = "load"
    LOCUSTFILE = "locustfile"
    TAGS = "tags"
    RESOURCE_IDS = "resource_ids"
    REPEAT = "repeat"
    REPEATS = "repeats"
    WORKERS = "workers"
    REMOTE_WORKERS = "remote_workers"
    DISTRIBUTED = "distributed"
    VERSIONS = "versions"
    OWNER_PID = "owner_pid"
    LOAD_WINDOW = "load_window"
    TARGET_UNREACHABLE = "target_unreachable"
    GUARDRAIL_REFUSED = "guardrail_refused"
    LOAD_GENERATOR_SATURATED = "load_generator_saturated"
    LOCUST_EXIT_CODE = "locust_exit_code"
    WORKERS_LOST = "workers_lost"
    COUNTS = "counts"
    CAPTURE = "capture"
    WARNINGS = "warnings"
    IMPORTED_FROM = "imported_from"
    IMPORT_FORMAT = "import_format"
    IMPORT_COMPRESSION = "import_compression"
    IMPORT_SKIPPED_ROWS = "import_skipped_rows"
    IMPORT_TRANSACTIONS = "import_transactions"
    IMPORT_TIMEZONE = "import_timezone"
    REQUESTS = "requests"
    BILLING = "billing"
    METRICS = "metrics"
    METRICS_ERRORS = "metrics_errors"


#: Every run.json key, as plain strings.
RUN_KEYS = frozenset(f.value for f in RunField)

#: The fields a run directory must have, whoever wrote it.
REQUIRED_FIELDS = (RunField.ID, RunField.CANDIDATE, RunField.START, RunField.END, RunField.STATUS)

#: (JSON type, meaning) of each run.json field.
RUN_FIELDS: dict[RunField, tuple[str, str]] = {
    RunField.SCHEMA: ("int", f"contract version ({SCHEMA_VERSION}); absent = 1"),
    RunField.ID: ("string", "run id, also the folder name (**required**)"),
    RunField.CANDIDATE: ("string", "candidate name from the spec (**required**)"),
    RunField.START: ("ISO-8601 UTC", "when the run began (**required**)"),
    RunField.END: ("ISO-8601 UTC or null", "when it ended; null while running (**required**)"),
    RunField.STATUS: (
        "string",
        "`" + "` \\| `".join(RunStatus) + "` (**required**)",
    ),
    RunField.STOP_REASON: ("string", "why it stopped, in words, with what was noticed"),
    RunField.STOP_CODE: ("string", "why it stopped, as a code: `" + "`, `".join(StopCode) + "`"),
    RunField.STOP_WHEN: (
        "object",
        "`load.stop_when: decided`: the last look (`stop`, `reason`, `at`, `elapsed_s`, `criteria` "
        "with their anytime bounds, `unwatched`, `method`, `require`, `min_duration_s`) and "
        "`history`, the bounds at every look; `stop_code` `decided` when it stopped the run",
    ),
    RunField.CAPACITY: (
        "object",
        "`load.shape.kind: capacity`: the ramp (`rates`, `step_duration_s`, `criteria` judged), "
        "`steps` (each step's `rate`, `n`, `p50_ms`, `p95_ms`, `error_rate`, `outcome`, and each "
        "criterion's share with its bounds), `last_pass` and `first_fail` rates, `held_until` "
        "(UTC end of the last passing step: the decision judges the knee criteria on requests "
        "offered before it; keys: `CapacityKey`); `stop_code` `capacity_found` when a failing "
        "step stopped the run",
    ),
    RunField.SPEC: ("object", "`name`, `sha256`, `path` of the spec"),
    RunField.HOST: ("string", "the target host"),
    RunField.LOAD: ("object", "the load profile (users, spawn rate, duration, shape, ...)"),
    RunField.LOCUSTFILE: ("string", "the user's locustfile"),
    RunField.TAGS: ("object", "the candidate's cost-allocation tags"),
    RunField.RESOURCE_IDS: ("list", "the candidate's billing resource ids"),
    RunField.REPEAT: ("int", "repeat index (0-based)"),
    RunField.REPEATS: ("int", "repeats planned"),
    RunField.WORKERS: ("int", "load processes"),
    RunField.REMOTE_WORKERS: ("int", "of which on other machines"),
    RunField.DISTRIBUTED: ("bool", "master and workers"),
    RunField.VERSIONS: ("object", "pockit, locust, python"),
    RunField.OWNER_PID: ("int", "the pockit process writing the run while it is running"),
    RunField.LOAD_WINDOW: ("object or null", "`start`, `end`, `seconds` of load_start..load_stop"),
    RunField.TARGET_UNREACHABLE: (
        "object or null",
        "`from`, `requests`: the target stopped answering",
    ),
    RunField.GUARDRAIL_REFUSED: ("object", "host -> requests refused by allowed_hosts"),
    RunField.LOAD_GENERATOR_SATURATED: ("bool", "a load process was CPU-bound"),
    RunField.LOCUST_EXIT_CODE: ("int or null", "Locust's exit code"),
    RunField.WORKERS_LOST: ("list", "one object per lost worker (`worker`, `at`, ...)"),
    RunField.COUNTS: ("object", "`samples`, `locust_requests`, `locust_failures`"),
    RunField.CAPTURE: (
        "object",
        "capture plugin: `processes`, `written`, `dropped`, `errors`, `recorder` (`c`: pockit's C extension did the per-request work, `python`: the pure-Python fallback, `c+python`: both, by process)",
    ),
    RunField.WARNINGS: (
        "list of strings",
        "problems found after the run (e.g. by gather or import); the report lists them as risks",
    ),
    RunField.IMPORTED_FROM: ("string", "`pockit import`: the source file"),
    RunField.IMPORT_FORMAT: ("string", "`pockit import`: its format"),
    RunField.IMPORT_COMPRESSION: ("string", "`pockit import`: `gzip` when the file was compressed"),
    RunField.IMPORT_SKIPPED_ROWS: (
        "object",
        "`pockit import --skip-bad-rows`: `count`, `reasons` (problem -> rows), first `examples`",
    ),
    RunField.IMPORT_TRANSACTIONS: (
        "object",
        "JMeter import: `decided_on` (requests or transactions), `requests`, `transactions`",
    ),
    RunField.IMPORT_TIMEZONE: (
        "string",
        "`pockit import`: the zone local-time stamps were read in (only when the file had them)",
    ),
    RunField.REQUESTS: ("int", "`pockit import`: requests imported"),
    RunField.BILLING: ("object", "attached billing: file, column, covers_window, ..."),
    RunField.METRICS: ("object", "attached server-side metrics"),
    RunField.METRICS_ERRORS: (
        "object",
        "metric sources that could not be fetched: source name (or `observability`) -> the error",
    ),
}


def iso(ts: datetime) -> str:
    """ISO-8601 in UTC with a trailing Z, microseconds kept: how every timestamp is written."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    """Parse ISO-8601; a naive timestamp is taken as UTC."""
    ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class RunMeta:
    """run.json, checked: the typed fields readers rely on, and every field as written (``raw``).

    >>> RunMeta.from_dict({"id": "r1", "candidate": "a", "start": "2026-01-05T10:00:00Z",
    ...                    "end": None, "status": "running"}).status
    <RunStatus.RUNNING: 'running'>
    """

    id: str
    candidate: str
    start: datetime
    end: datetime | None
    status: RunStatus
    schema: int = SCHEMA_VERSION
    repeat: int | None = None
    stop_reason: str | None = None
    stop_code: StopCode | None = None
    target_unreachable: dict[str, Any] | None = None
    load_generator_saturated: bool = False
    workers_lost: tuple[dict[str, Any], ...] = ()
    warnings: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str | Path = RUN_JSON) -> RunMeta:
        """Check ``data``; InputError names the file and the field that is missing or malformed."""

        def bad(key: RunField, expected: str) -> InputError:
            return InputError(f"{where}: field {key.value!r} must be {expected}, got {data[key]!r}")

        missing = [f.value for f in REQUIRED_FIELDS if f not in data]
        if missing:
            raise InputError(f"{where}: missing required field(s): {', '.join(missing)}")

        def text(key: RunField) -> str:
            value = data[key]
            if not isinstance(value, str) or not value:
                raise bad(key, "a non-empty string")
            return value

        def stamp(key: RunField) -> datetime:
            value = data[key]
            if not isinstance(value, str):
                raise bad(key, "an ISO-8601 timestamp string such as 2026-01-05T10:00:00Z")
            try:
                return parse_iso(value)
            except ValueError:
                raise bad(key, "an ISO-8601 timestamp such as 2026-01-05T10:00:00Z") from None

        def whole(key: RunField, *, minimum: int = 0) -> int | None:
            value = data.get(key)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise bad(key, f"an integer >= {minimum}")
            return value

        def choice(key: RunField, enum: type[StrEnum]) -> Any:
            value = data.get(key)
            if value is None:
                return None
            try:
                return enum(value)
            except ValueError:
                raise bad(key, "one of " + ", ".join(repr(m.value) for m in enum)) from None

        def typed(key: RunField, kind: type | tuple[type, ...], expected: str) -> Any:
            value = data.get(key)
            if value is not None and not isinstance(value, kind):
                raise bad(key, expected)
            return value

        schema = whole(RunField.SCHEMA, minimum=1) or 1
        if schema > SCHEMA_VERSION:
            raise InputError(
                f"{where}: schema {schema} is newer than this pockit reads ({SCHEMA_VERSION}); "
                "upgrade pockit"
            )
        status = choice(RunField.STATUS, RunStatus)
        if status is None:
            raise bad(RunField.STATUS, "one of " + ", ".join(repr(m.value) for m in RunStatus))
        end = None if data[RunField.END] is None else stamp(RunField.END)
        for key in (RunField.SPEC, RunField.LOAD, RunField.TAGS, RunField.COUNTS):
            typed(key, dict, "an object")
        for key in (RunField.REPEATS, RunField.WORKERS):
            whole(key)
        sat = typed(RunField.LOAD_GENERATOR_SATURATED, bool, "true or false")
        lost = typed(RunField.WORKERS_LOST, list, "a list")
        warnings = typed(RunField.WARNINGS, list, "a list of strings")
        if warnings and not all(isinstance(w, str) for w in warnings):
            raise bad(RunField.WARNINGS, "a list of strings")
        return cls(
            id=text(RunField.ID),
            candidate=text(RunField.CANDIDATE),
            start=stamp(RunField.START),
            end=end,
            status=status,
            schema=schema,
            repeat=whole(RunField.REPEAT),
            stop_reason=typed(RunField.STOP_REASON, str, "a string"),
            stop_code=choice(RunField.STOP_CODE, StopCode),
            target_unreachable=typed(RunField.TARGET_UNREACHABLE, dict, "an object or null"),
            load_generator_saturated=bool(sat),
            workers_lost=tuple(
                x if isinstance(x, dict) else {"worker": str(x)} for x in lost or ()
            ),
            warnings=tuple(warnings or ()),
            raw=dict(data),
        )

    def to_dict(self) -> dict[str, Any]:
        """run.json as written: ``raw`` with the typed fields put back in their JSON form."""
        out = dict(self.raw)
        out.update(
            {
                RunField.SCHEMA: self.schema,
                RunField.ID: self.id,
                RunField.CANDIDATE: self.candidate,
                RunField.START: iso(self.start),
                RunField.END: None if self.end is None else iso(self.end),
                RunField.STATUS: self.status.value,
            }
        )
        return {str(k): v for k, v in out.items()}

    @property
    def duration_s(self) -> float:
        """End minus start in seconds; NaN while running."""
        if self.end is None:
            return math.nan
        return (self.end - self.start).total_seconds()
