"""The post-run checks: close run.json from what the run left behind.

After the supervisor has stopped every process, :func:`finish_run` reads the samples, the events and
the files Locust and the capture plugin wrote, and writes run.json's end: ``status``,
``stop_reason``, ``stop_code``, ``counts``, ``capture``, ``load_window``, ``target_unreachable``,
``guardrail_refused``, ``load_generator_saturated``, ``workers_lost``, ``locust_exit_code``. What a
check finds is appended to ``stop_reason`` after the watcher's reason: samples dropped, a target
that died (a ``target_unreachable`` event), a run that stopped early (``stop_code:
stopped_early``), requests refused by ``guardrails.allowed_hosts``, a saturated load generator.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from typing import Any

from pockit._contract import (
    WORKER_LOST_BY_MASTER,
    EventKind,
    GuardrailRule,
    RunField,
    RunStatus,
    StopCode,
    events_of,
    parse_iso,
)
from pockit._errors import InputError
from pockit._rundir import RunDir, convert_pending, iso, utcnow
from pockit.load._native import PY_RECORDER
from pockit.load._protocol import CAPTURE_STATUS_GLOB, LIVE_DIR, REFUSED_PREFIX
from pockit.load._watch import Outcome

#: A run that ends in at least this many seconds of unanswered requests had its target die.
TARGET_DOWN_MIN_S = 1.0


def finish_run(run: RunDir, outcome: Outcome) -> dict[str, Any]:
    """Close run.json: end, status, why, counts from the samples and from Locust's own CSV."""
    capture = capture_status(run)
    unreadable: list[str] = []
    convert_pending(run.locust_dir / LIVE_DIR, unreadable)  # remote workers' live copies too
    n = count_samples(run, unreadable)
    locust_counts = _locust_counts(run)
    status, reason, code = outcome.status, outcome.reason, outcome.code
    if capture["dropped"]:
        reason += f"; {capture['dropped']} samples dropped ({'; '.join(capture['errors'])})"
    warnings = list(run.meta.get(RunField.WARNINGS) or [])
    if unreadable:  # readers raise on these until they are moved away: say so now
        reason += f"; {len(unreadable)} sample batch(es) cannot be read ({'; '.join(unreadable)})"
        warnings += [w for w in unreadable if w not in warnings]
    unreachable = _target_unreachable(run)
    if unreachable:
        reason += (
            f"; the target stopped answering at {unreachable['from']} "
            f"({unreachable['requests']} requests without a response until the end)"
        )
        run.add_event(EventKind.TARGET_UNREACHABLE, **unreachable)
    events = run.events()
    # the master reports every lost worker, remote ones too; the parent saw only its local ones
    by_master = [
        e
        for e in events_of(events, EventKind.WORKER_LOST)
        if e.get("source") == WORKER_LOST_BY_MASTER
    ]
    for e in by_master[len(outcome.workers_lost) :]:
        outcome.workers_lost.append(
            {"worker": f"remote:{e.get('client_id')}", "index": e.get("index"),
             "reason": e.get("reason"), "at": e.get("ts")}
        )  # fmt: skip
    window = _load_window(events)
    planned = (run.meta.get(RunField.LOAD) or {}).get("duration_s")
    if (
        status == RunStatus.COMPLETED
        and code not in (StopCode.DECIDED, StopCode.CAPACITY_FOUND)
        and window is not None
        and planned
        and window["seconds"] < float(planned) - EARLY_STOP_SLACK_S
    ):
        code = StopCode.STOPPED_EARLY
        reason = (
            f"stopped early (load ran {window['seconds']:.1f}s of {float(planned):g}s"
            + (f"; {len(outcome.workers_lost)} worker(s) lost" if outcome.workers_lost else "")
            + ")"
        )
    refused = _refused_hosts(run)
    if refused:
        reason += "; requests refused by guardrails.allowed_hosts: " + ", ".join(
            f"{n} to {host}" for host, n in refused.items()
        )
    saturated = events_of(run.events(), EventKind.LOAD_GENERATOR_SATURATED)
    if saturated:
        reason += "; the load generator ran above 90% CPU (latencies include client-side queueing)"
    return run.update_meta(
        end=iso(utcnow()),
        target_unreachable=unreachable,
        load_window=window,
        guardrail_refused=refused,
        load_generator_saturated=bool(saturated),
        status=status,
        stop_reason=reason,
        stop_code=code,
        locust_exit_code=outcome.exit_code,
        workers_lost=outcome.workers_lost,
        counts={"samples": n, **locust_counts},
        capture=capture,
        **({RunField.WARNINGS: warnings} if unreadable else {}),
    )


def capture_status(run: RunDir) -> dict[str, Any]:
    written = dropped = 0
    errors: list[str] = []
    processes = 0
    recorders: set[str] = set()
    for path in sorted(run.locust_dir.glob(CAPTURE_STATUS_GLOB)):
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        processes += 1
        written += int(data.get("written", 0))
        dropped += int(data.get("dropped", 0)) + int(data.get("pending", 0))
        errors += [e for e in data.get("errors", []) if e not in errors]
        recorders.add(str(data.get("recorder", PY_RECORDER)))  # a status without it: pure Python
    return {
        "processes": processes,
        "written": written,
        "dropped": dropped,
        "errors": errors,
        # what did the per-request work: "c" (pockit's extension), "python", or both ("c+python")
        "recorder": "+".join(sorted(recorders)),
    }


def _target_unreachable(run: RunDir) -> dict[str, Any] | None:
    """When the run ends in a streak of requests that got no response at all (status 0) lasting
    at least TARGET_DOWN_MIN_S, the target died mid-run: when it stopped answering, and how many
    requests went unanswered. None otherwise (a fault that recovered is not a death)."""
    import polars as pl

    try:
        df = run.scan_samples().select("t_start", "status").sort("t_start").collect()
    except (
        pl.exceptions.PolarsError,
        OSError,
        InputError,
    ):  # a damaged batch: named by count_samples
        return None
    if df.height == 0 or df["status"][-1] != 0:
        return None
    answered = df.filter(pl.col("status") != 0)
    tail = df if answered.height == 0 else df.filter(pl.col("t_start") > answered["t_start"].max())
    first, last = tail["t_start"].min(), tail["t_start"].max()
    if not isinstance(first, datetime) or not isinstance(last, datetime):
        return None
    if (last - first).total_seconds() < TARGET_DOWN_MIN_S:
        return None
    return {"from": iso(first), "requests": tail.height}


#: A load window this much shorter than the planned duration is a run that stopped early
#: (Locust's -t counts from before the workers connect, so a normal run is a little short).
EARLY_STOP_SLACK_S = 3.0


def _load_window(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The measured load window from the plugin's load_start .. load_stop events (UTC, seconds)."""
    start = next((e["ts"] for e in events_of(events, EventKind.LOAD_START) if e["ts"]), None)
    stop = next((e["ts"] for e in events_of(events, EventKind.LOAD_STOP) if e["ts"]), None)
    if start is None or stop is None:
        return None
    seconds = (parse_iso(str(stop)) - parse_iso(str(start))).total_seconds()
    return {"start": start, "end": stop, "seconds": round(seconds, 3)}


def _refused_hosts(run: RunDir) -> dict[str, int]:
    """Host -> requests the capture plugin refused because the host is not in allowed_hosts.

    The hosts come from the plugin's ``guardrail`` events; the counts from the samples' error texts.
    """
    import polars as pl

    hosts = sorted(
        {
            str(e.get("host"))
            for e in events_of(run.events(), EventKind.GUARDRAIL)
            if e.get("rule") == GuardrailRule.ALLOWED_HOSTS
        }
    )
    if not hosts:
        return {}
    counts = dict.fromkeys(hosts, 0)
    try:
        errors = (
            run.scan_samples()
            .filter(pl.col("error").cast(pl.String).str.starts_with(REFUSED_PREFIX))
            .select(pl.col("error").cast(pl.String))
            .collect()["error"]
            .to_list()
        )
    except (pl.exceptions.PolarsError, OSError, InputError):
        return counts
    for text in errors:
        for host in hosts:
            if f"host {host!r} " in text:
                counts[host] += 1
    return counts


def count_samples(run: RunDir, problems: list[str] | None = None) -> int:
    """Rows in the run's sample batches, compact ones converted first (one that cannot be is named
    in ``problems``, or raises InputError without that list)."""
    import pyarrow.parquet as pq

    total = 0
    for path in run.sample_files(problems):
        with contextlib.suppress(OSError, ValueError):
            total += pq.ParquetFile(path).metadata.num_rows
    return total


def _locust_counts(run: RunDir) -> dict[str, int | None]:
    """Requests and failures by Locust's own final statistics (``locust/locust.json``), for cross-checks.

    The CSV is not used for this: Locust rewrites it every second and does not refresh it at exit.
    """
    path = run.locust_dir / "locust.json"
    try:
        entries = json.loads(path.read_text())
        return {
            "locust_requests": sum(int(e["num_requests"]) for e in entries),
            "locust_failures": sum(int(e["num_failures"]) for e in entries),
        }
    except (OSError, json.JSONDecodeError, KeyError, TypeError):
        return {"locust_requests": None, "locust_failures": None}
