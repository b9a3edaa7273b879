"""Run Locust against a candidate as a child process and leave one run directory per repeat.

The whole flow of one run reads top to bottom in :func:`_one_run`: guardrails and a TCP pre-flight
(before anything is written), the run directory, Locust headless with the user's locustfile and
pockit's plugins (``-f theirs.py,_capture.py[,_shape.py]``), the monitor loop (progress, faults,
lost workers, Ctrl-C / SIGTERM), then run.json's end, status and counts, and a summary.

Locust never runs in this process: its gevent monkey-patching would hang a notebook kernel.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import IO, Any

from pockit._contract import (
    GUARDRAIL_STOPS,
    WORKER_LOST_BY_MASTER,
    EventKind,
    GuardrailRule,
    RunField,
    RunStatus,
    StopCode,
    events_of,
    parse_iso,
)
from pockit._errors import GuardrailError, LoadError, UsageError
from pockit._rundir import RunDir, iso, utcnow
from pockit.load._faults import FaultPlan
from pockit.load._guardrails import Budget, check_caps, check_host, check_reachable
from pockit.load._progress import Progress
from pockit.load._stop_when import StopWhenRule
from pockit.spec import Candidate, Spec, load_spec

_HERE = Path(__file__).resolve().parent
CAPTURE_PLUGIN = _HERE / "_capture.py"
SHAPE_PLUGIN = _HERE / "_shape.py"

#: After SIGTERM, how long Locust gets to flush and exit before it is killed.
STOP_GRACE_S = 5.0
#: A run measured above guardrails.max_rps times this is stopped (rates are noisy second to second).
RATE_CAP_SLACK = 1.2
#: How long the master waits for its workers to connect before the run fails
#: (``POCKIT_WORKER_WAIT_S`` overrides it, e.g. for remote workers that start by hand).
WORKER_CONNECT_WAIT_S = 30


def _worker_wait_s() -> int:
    raw = os.environ.get("POCKIT_WORKER_WAIT_S")
    return int(raw) if raw and raw.isdigit() else WORKER_CONNECT_WAIT_S


#: Slack on top of the planned duration before a run that does not stop by itself is stopped.
DEADLINE_SLACK_S = 30.0
#: A load process above this CPU share for SATURATED_SECONDS of any SATURATED_SECONDS + 1 is saturated.
SATURATED_CPU_PERCENT = 90.0
SATURATED_SECONDS = 3
#: A run that ends in at least this many seconds of unanswered requests had its target die.
TARGET_DOWN_MIN_S = 1.0
_POLL_S = 0.2
_STDERR_TAIL = 3000


class _Terminated(Exception):
    """SIGTERM arrived in the parent; unwinds the monitor loop like KeyboardInterrupt does."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C or a notebook's Interrupt stopped the load; every child is gone, run.json is closed.

    Still a KeyboardInterrupt, so ``pockit run`` exits 130 and ``except KeyboardInterrupt`` holds;
    IPython and Jupyter show it as its one-line message instead of a traceback through pockit.
    ``runs`` lists the run directories written before it (the aborted one last, when there is one).
    """

    def __init__(self, message: str, runs: Sequence[Path] = ()) -> None:
        super().__init__(message)
        self.runs = list(runs)

    def _render_traceback_(self) -> list[str]:  # IPython's hook for a custom traceback
        return [f"{type(self).__name__}: {self}"]


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What one candidate's runs will do, after command-line overrides and guardrails."""

    users: int
    spawn_rate: float
    duration_s: float
    repeats: int
    cooldown_s: float
    workers: int
    shape: dict[str, Any] | None = None
    arrival: dict[str, Any] | None = None
    peak_users: int = 0
    peak_rate: float | None = None
    user_classes: tuple[str, ...] = ()
    remote_workers: int = 0
    master_bind: str = "127.0.0.1"
    master_port: int | None = None
    #: ``load.stop_when: decided``: each run gets a watcher that stops it once it is decided
    stop_when: StopWhenRule | None = None

    def profile(self) -> dict[str, Any]:
        """The load profile as run.json records it."""
        return {
            "users": self.users,
            "spawn_rate": self.spawn_rate,
            "duration_s": self.duration_s,
            "shape": (self.shape or {}).get("kind", "constant"),
            "shape_config": self.shape,
            "arrival_rate": self.arrival,
            "peak_users": self.peak_users,
            "peak_rate": self.peak_rate,
            "user_classes": list(self.user_classes),
        }


@dataclass
class _Outcome:
    status: RunStatus = RunStatus.COMPLETED
    reason: str = "duration reached"
    code: StopCode = StopCode.DURATION_REACHED
    exit_code: int | None = None
    workers_lost: list[dict[str, Any]] = field(default_factory=list)
    interrupt: BaseException | None = None


# ----------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------
def run_candidate(
    spec: Spec | str | Path,
    candidate: str,
    *,
    runs_dir: str | Path = "runs",
    repeats: int | None = None,
    duration_s: float | None = None,
    users: int | None = None,
    workers: int | None = None,
    progress: bool = True,
    remote_workers: int = 0,
    master_bind: str = "127.0.0.1",
    master_port: int | None = None,
) -> list[Path]:
    """Load ``candidate`` as the spec says and return the run directories (one per repeat).

    >>> runs = run_candidate("poc.yaml", "async", duration_s=10)   # doctest: +SKIP

    ``workers``: 0 runs one Locust process; N > 0 a master and N local workers; -1 one per core
    (default: the spec's ``load.workers``). ``remote_workers`` more are awaited from other machines
    (``pockit worker --master HOST:PORT``) with the master bound to ``master_bind:master_port``.
    Raises GuardrailError before any request when the host or a cap is refused, LoadError when the
    target refuses connections or Locust fails. Ctrl-C (a notebook's Interrupt) stops the run
    (status ``aborted``) and raises :class:`RunInterrupted` once every child is gone: a
    KeyboardInterrupt that Jupyter shows as one line, with the run directories in ``.runs``. SIGTERM
    stops it the same way and exits 143.

    ``progress``: a live bar in a terminal or notebook, a line every 10 s in a log
    (``POCKIT_PROGRESS_EVERY_S``); False shows neither. The end-of-run summary prints either way.
    """
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    try:
        cand = spec.candidate(candidate)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    plan = make_plan(
        spec,
        repeats=repeats,
        duration_s=duration_s,
        users=users,
        workers=workers,
        remote_workers=remote_workers,
        master_bind=master_bind,
        master_port=master_port,
    )
    check_host(cand.host, spec.guardrails)
    budget = Budget.from_spec(spec, cand)
    if budget is not None:
        budget.check_plan(rate=plan.peak_rate, duration_s=plan.duration_s)
    check_reachable(cand.host)
    paths: list[Path] = []
    try:
        for repeat in range(plan.repeats):
            if repeat:
                _cooldown(plan.cooldown_s, progress)
                check_reachable(cand.host)
            path = _one_run(
                spec,
                cand,
                plan,
                repeat=repeat,
                runs_dir=Path(runs_dir),
                progress=progress,
                budget=budget.for_run() if budget is not None else None,
            )
            _attach_metrics(spec, path)
            paths.append(path)
    except RunInterrupted as exc:
        raise RunInterrupted(str(exc), [*paths, *exc.runs]) from None
    except KeyboardInterrupt:  # between runs (cool-down, metrics): nothing is left running
        done = f"; finished before it: {', '.join(map(str, paths))}" if paths else ""
        raise RunInterrupted(f"interrupted between runs of {cand.name}{done}", paths) from None
    return paths


def _attach_metrics(spec: Spec, path: Path) -> None:
    """Fetch the spec's server-side metrics for the run's window into ``sources/metrics.parquet``.

    Waits two scrape steps first (at most 10 s) so the last points after the load have landed. A
    source that cannot be reached is recorded in run.json, never fatal.
    """
    if not spec.metrics:
        return
    from pockit.sources import attach_spec_metrics

    time.sleep(min(10.0, 2 * max(m.step_s for m in spec.metrics)))
    attach_spec_metrics(path, spec.metrics)


def run_spec(
    spec: Spec | str | Path,
    *,
    candidates: Sequence[str] | None = None,
    runs_dir: str | Path = "runs",
    repeats: int | None = None,
    duration_s: float | None = None,
    users: int | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> list[Path]:
    """Run every candidate (or those named) in spec order; returns all run directories."""
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    names = [c.name for c in spec.candidates]
    chosen = list(candidates) if candidates else names
    unknown = [n for n in chosen if n not in names]
    if unknown:
        raise UsageError(
            f"no candidate {', '.join(map(repr, unknown))} in spec {spec.name!r}; candidates: {', '.join(names)}"
        )
    for name in chosen:  # refuse the whole batch up front, not after the first candidate ran
        check_host(spec.candidate(name).host, spec.guardrails)
    make_plan(spec, repeats=repeats, duration_s=duration_s, users=users, workers=workers)
    for name in chosen:
        check_reachable(spec.candidate(name).host)
    paths: list[Path] = []
    for name in chosen:
        paths += run_candidate(
            spec,
            name,
            runs_dir=runs_dir,
            repeats=repeats,
            duration_s=duration_s,
            users=users,
            workers=workers,
            progress=progress,
        )
    return paths


def make_plan(
    spec: Spec,
    *,
    repeats: int | None = None,
    duration_s: float | None = None,
    users: int | None = None,
    workers: int | None = None,
    remote_workers: int = 0,
    master_bind: str = "127.0.0.1",
    master_port: int | None = None,
) -> Plan:
    """Apply overrides to the spec's load profile and check the guardrail caps (GuardrailError)."""
    load = spec.runnable_load()  # SpecError when the spec has no load section or locustfile
    shape = load.shape
    n_users = load.users if users is None else users
    duration = load.duration_s if duration_s is None else duration_s
    if n_users < 1 and shape.kind == "constant":
        raise UsageError(f"users must be at least 1, got {n_users}")
    if not math.isfinite(duration) or duration <= 0:  # NaN passes `<= 0` and every cap's `>`
        raise UsageError(f"duration must be a finite number of seconds > 0, got {duration:g}")
    bad_classes = [c for c in load.user_classes if not c.isidentifier()]
    if (
        bad_classes
    ):  # they go on Locust's argv: a spec built without validation must not add options
        raise UsageError(f"load.user_classes must be Python identifiers, got {bad_classes!r}")
    n_workers = load.workers if workers is None else workers
    if n_workers < 0:
        n_workers = os.cpu_count() or 1
    cap = spec.guardrails.worker_cap()
    if n_workers > cap:  # each is a process on this machine: 100000 would start 100000
        why = "" if spec.guardrails.max_workers is not None else ": 4 × this machine's CPUs"
        raise GuardrailError(
            f"{n_workers} local workers exceeds guardrails.max_workers ({cap}{why}); "
            "lower load.workers / --workers or raise the cap in the spec"
        )
    stages = [
        {"duration_s": s.duration_s, "users": s.users, "spawn_rate": s.spawn_rate, "rate": s.rate}
        for s in shape.stages
    ]
    peak_users = max([n_users, shape.spike_users or 0, *[s.users or 0 for s in shape.stages]])
    arrival: dict[str, Any] | None = None
    peak_rate: float | None = None
    if shape.kind == "arrival_rate":
        if shape.stages and any(s.rate for s in shape.stages):
            end, segments = 0.0, []
            for s in shape.stages:
                end += s.duration_s
                segments.append([end, float(s.rate or shape.rate or 0.0)])
        else:
            segments = [[duration, float(shape.rate or 0.0)]]
        peak_rate = max(r for _, r in segments)
        arrival = {"segments": segments, "gaps": [[g.at_s, g.pause_s] for g in load.idle_gaps]}
    conf: dict[str, Any] | None = None
    if shape.kind != "constant" or load.idle_gaps:
        conf = {
            "kind": shape.kind,
            "users": peak_users if shape.kind == "arrival_rate" else n_users,
            "spawn_rate": load.spawn_rate,
            "duration_s": duration,
            "stages": stages if shape.kind == "stages" else [],
            "spike_users": shape.spike_users,
            "spike_at_s": shape.spike_at_s,
            "spike_s": shape.spike_s,
            "gaps": [
                {"at_s": g.at_s, "pause_s": g.pause_s, "probe": g.probe} for g in load.idle_gaps
            ],
        }
    check_caps(spec.guardrails, users=peak_users, duration_s=duration, rate=peak_rate)
    return Plan(
        users=n_users,
        spawn_rate=load.spawn_rate,
        duration_s=duration,
        repeats=max(1, load.repeats if repeats is None else repeats),
        cooldown_s=load.cooldown_s,
        workers=n_workers,
        shape=conf,
        arrival=arrival,
        peak_users=peak_users,
        peak_rate=peak_rate,
        user_classes=load.user_classes,
        remote_workers=remote_workers,
        master_bind=master_bind,
        master_port=master_port,
        stop_when=StopWhenRule.from_spec(spec),
    )


# ----------------------------------------------------------------------------------------------
# one run
# ----------------------------------------------------------------------------------------------
def _one_run(
    spec: Spec,
    cand: Candidate,
    plan: Plan,
    *,
    repeat: int,
    runs_dir: Path,
    progress: bool,
    budget: Budget | None = None,
) -> Path:
    total_workers = plan.workers + plan.remote_workers
    distributed = total_workers > 0
    load = spec.runnable_load()  # before anything that looks like a result
    try:
        run = RunDir.create(
            runs_dir,
            {
                RunField.CANDIDATE: cand.name,
                RunField.SPEC: {"name": spec.name, "sha256": spec.sha256, "path": spec.path},
                RunField.HOST: cand.host,
                RunField.LOAD: plan.profile(),
                RunField.LOCUSTFILE: load.locustfile,
                RunField.TAGS: dict(cand.tags),
                RunField.REPEAT: repeat,
                RunField.REPEATS: plan.repeats,
                RunField.WORKERS: total_workers if distributed else 1,
                RunField.REMOTE_WORKERS: plan.remote_workers,
                RunField.DISTRIBUTED: distributed,
                RunField.VERSIONS: _versions(),
                RunField.STOP_REASON: None,
                # while status is running, this process is writing it
                RunField.OWNER_PID: os.getpid(),
            },
        )
    except OSError as exc:
        raise LoadError(f"cannot create a run directory under {runs_dir}: {exc}") from None

    env = _child_env(run, plan, spec.guardrails.allowed_hosts)
    files = [load.locustfile, str(CAPTURE_PLUGIN)] + ([str(SHAPE_PLUGIN)] if plan.shape else [])
    common = ["-f", ",".join(files), "--skip-log-setup", "--exit-code-on-error", "0"]
    port = plan.master_port or (_free_port(plan.master_bind) if distributed else None)
    main_cmd = [
        sys.executable, "-m", "locust", *common,
        "--headless", "--only-summary",
        "--host", cand.host,
        "-u", str(plan.users), "-r", f"{plan.spawn_rate:g}",
        "-t", f"{max(1, math.ceil(plan.duration_s))}s",
        "--csv", str(run.locust_dir / "locust"),
        "--json-file", str(run.locust_dir / "locust"),  # Locust adds .json; final counts, unlike the CSV
        *plan.user_classes,
    ]  # fmt: skip
    if distributed:
        main_cmd += [
            "--master", "--master-bind-host", plan.master_bind, "--master-bind-port", str(port),
            "--expect-workers", str(total_workers), "--expect-workers-max-wait", str(_worker_wait_s()),
        ]  # fmt: skip
    outcome = _Outcome()
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    logs: list[IO[bytes]] = []
    faults = FaultPlan(spec.faults, cand.name, cand.host, run)
    bar = Progress(
        run.path / ".progress.json",
        total_s=plan.duration_s,
        desc=f"{run.candidate} r{run.record.repeat or 0}",
        window_s=4.0 if distributed else 1.0,
        enabled=progress,
    )
    started = time.monotonic()
    try:
        with _sigterm_raises():
            procs.append(
                (
                    "master" if distributed else "locust",
                    _spawn(main_cmd, env, run.locust_dir / "locust", logs),
                )
            )
            connect_host = (
                "127.0.0.1" if plan.master_bind in ("0.0.0.0", "", "*") else plan.master_bind
            )
            for i in range(plan.workers):
                worker_cmd = [
                    sys.executable, "-m", "locust", *common, "--worker",
                    "--master-host", connect_host, "--master-port", str(port), *plan.user_classes,
                ]  # fmt: skip
                procs.append(
                    (
                        f"worker{i}",
                        _spawn(
                            worker_cmd,
                            {**env, "POCKIT_LOCAL_WORKER": str(i)},
                            run.locust_dir / f"worker{i}",
                            logs,
                        ),
                    )
                )
            if plan.remote_workers:
                print(
                    f"waiting for {plan.remote_workers} remote worker(s): pockit worker --master HOST:{port} "
                    f"--locustfile {Path(load.locustfile).name} --out DIR",
                    file=sys.stderr,
                )
            _monitor(
                procs,
                run,
                plan,
                faults,
                bar,
                outcome,
                started,
                max_rps=spec.guardrails.max_rps,
                budget=budget,
            )
    except (KeyboardInterrupt, _Terminated) as exc:
        outcome.status = RunStatus.ABORTED
        sigint = isinstance(exc, KeyboardInterrupt)
        outcome.reason = "interrupted (SIGINT)" if sigint else "terminated (SIGTERM)"
        outcome.code = StopCode.INTERRUPTED if sigint else StopCode.TERMINATED
        outcome.interrupt = exc
    except Exception as exc:  # pockit's own failure mid-run: still stop Locust and close run.json
        outcome.status = RunStatus.FAILED
        outcome.reason = f"pockit error while the run went: {type(exc).__name__}: {exc}"
        outcome.code = StopCode.POCKIT_ERROR
    finally:
        with _sigint_deferred():
            _stop(procs)
            faults.finish()
            bar.close(ok=_completed(outcome, procs))
            for fh in logs:
                fh.close()
            (run.path / ".progress.json").unlink(missing_ok=True)
    master_rc = procs[0][1].returncode if procs else None
    if (
        outcome.interrupt is None
        and outcome.status == RunStatus.COMPLETED
        and master_rc not in (0, None)
    ):
        outcome.status = RunStatus.FAILED
        outcome.reason = f"locust exited with code {master_rc}"
        outcome.code = StopCode.LOCUST_FAILED
    outcome.exit_code = master_rc
    meta = _finish(run, outcome)
    _print_summary(run, meta)  # --no-progress drops the bar, never the run's outcome
    if outcome.interrupt is not None:
        if isinstance(outcome.interrupt, _Terminated):
            raise SystemExit(128 + signal.SIGTERM)
        raise RunInterrupted(
            f"run {run.path.name} interrupted; Locust stopped, run.json in {run.path} says status "
            f"aborted ({(meta.get(RunField.COUNTS) or {}).get('samples', 0)} samples kept)",
            [run.path],
        ) from None
    if outcome.status == RunStatus.ABORTED and outcome.code in GUARDRAIL_STOPS:
        raise GuardrailError(
            f"load stopped: {outcome.reason}; run.json in {run.path} says status aborted"
        )
    if outcome.status == RunStatus.ABORTED:
        raise LoadError(
            f"load run aborted ({outcome.reason}); run.json in {run.path} says status aborted"
        )
    if outcome.status == RunStatus.FAILED:
        tail = _stderr_tail(run.locust_dir / "locust.log")
        raise LoadError(
            f"load run failed ({outcome.reason}); run.json in {run.path} says status failed.\n"
            f"Locust's last words:\n{tail}"
        )
    return run.path


def _monitor(
    procs: list[tuple[str, subprocess.Popen[bytes]]],
    run: RunDir,
    plan: Plan,
    faults: FaultPlan,
    bar: Progress,
    outcome: _Outcome,
    started: float,
    *,
    max_rps: float,
    budget: Budget | None = None,
) -> None:
    """Wait for Locust to finish, driving progress and faults and noticing lost workers."""
    main = procs[0][1]
    load_started: float | None = None
    deadline = (
        started
        + plan.duration_s
        + DEADLINE_SLACK_S
        + (_worker_wait_s() if len(procs) > 1 or plan.remote_workers else 10)
    )
    alive_workers = {name for name, _ in procs[1:]}
    cpu = _CpuWatch(procs, run)
    decided = plan.stop_when.watch(run) if plan.stop_when is not None else None
    while main.poll() is None:
        now = time.monotonic()
        snap = bar.update()
        cpu.poll(now)
        # fault offsets count from the plugin's load_start (workers connected, users spawning)
        if (
            load_started is None
            and snap is not None
            and events_of(run.events(), EventKind.LOAD_START)
        ):
            load_started = now
        if load_started is not None:
            faults.poll(now - load_started)
        for name, proc in procs[1:]:
            if name in alive_workers and proc.poll() is not None:
                alive_workers.discard(name)
                # a worker told to quit by its master exits 0 after load_stop: not a loss
                if proc.returncode == 0 and events_of(run.events(), EventKind.LOAD_STOP):
                    continue
                lost = {
                    "worker": name,
                    "pid": proc.pid,
                    "returncode": proc.returncode,
                    "at": iso(utcnow()),
                }
                outcome.workers_lost.append(lost)
                run.add_event(
                    EventKind.WORKER_LOST, worker=name, pid=proc.pid, returncode=proc.returncode
                )
        if plan.workers and len(outcome.workers_lost) == plan.workers and not plan.remote_workers:
            outcome.status, outcome.reason = RunStatus.ABORTED, "all workers lost"
            outcome.code = StopCode.ALL_WORKERS_LOST
            return
        if budget is not None and budget.accrue(now, bar.rps):
            outcome.status, outcome.code = RunStatus.ABORTED, StopCode.MAX_BUDGET_USD
            outcome.reason = (
                f"guardrails.max_budget_usd reached: ${budget.spent_usd:.4f} projected by the price "
                f"book > ${budget.limit_usd:g}"
            )
            run.add_event(
                EventKind.GUARDRAIL,
                rule=GuardrailRule.MAX_BUDGET_USD,
                spent_usd=round(budget.spent_usd, 6),
                limit=budget.limit_usd,
            )
            return
        if bar.rps > max_rps * RATE_CAP_SLACK:  # a closed-model run cannot be capped up front
            outcome.status, outcome.code = RunStatus.ABORTED, StopCode.MAX_RPS
            outcome.reason = f"guardrails.max_rps exceeded: {bar.rps:.0f} req/s > {max_rps:g}"
            run.add_event(
                EventKind.GUARDRAIL,
                rule=GuardrailRule.MAX_RPS,
                rps=round(bar.rps, 1),
                limit=max_rps,
            )
            return
        if decided is not None and (check := decided.step(now)) is not None:
            outcome.code, outcome.reason = StopCode.DECIDED, f"load.stop_when: {check.reason}"
            return
        if now > deadline:
            outcome.status, outcome.code = RunStatus.FAILED, StopCode.DEADLINE
            outcome.reason = (
                f"locust did not stop by itself within {plan.duration_s + DEADLINE_SLACK_S:g}s"
            )
            return
        time.sleep(_POLL_S)
    if decided is not None:
        decided.finish()  # the last batches, so the record ends where the run did


class _CpuWatch:
    """Notices a load process that is CPU-bound: its latencies then include client-side queueing.

    Sampled once a second from this (the parent) process. The measure is CPU *demand*: the share of
    wall time the process's main thread (Locust's event loop) was running or waiting in the run
    queue for a CPU, from Linux's ``/proc/PID/schedstat``. Unlike CPU usage it stays near 100% for
    a busy generator on a shared machine, where the process gets less than a core but wants all of
    it. SATURATED_SECONDS of any SATURATED_SECONDS + 1 at or above SATURATED_CPU_PERCENT record a
    ``load_generator_saturated`` event, once per process. Elsewhere psutil's CPU usage stands in.
    (Locust's own ``cpu_warning``, which the capture plugin also records, checks only every 10 s.)
    """

    def __init__(self, procs: list[tuple[str, subprocess.Popen[bytes]]], run: RunDir) -> None:
        self.run = run
        self.next = 0.0
        self.hot: dict[str, int] = {}
        self.recent: dict[str, list[bool]] = {}
        self.done: set[str] = set()
        self.pids = {name: proc.pid for name, proc in procs}
        self.last: dict[str, tuple[float, float, float]] = {}  # name -> (wall, run_s, wait_s)
        self.fallback: dict[str, Any] = {}

    @staticmethod
    def _schedstat(pid: int) -> tuple[float, float] | None:
        try:
            fields = Path(f"/proc/{pid}/schedstat").read_text().split()
            return int(fields[0]) / 1e9, int(fields[1]) / 1e9
        except (OSError, ValueError, IndexError):
            return None

    def _demand(self, name: str, pid: int, now: float) -> tuple[float, float] | None:
        """(demand %, usage %) since the previous sample, or None on the first one."""
        stat = self._schedstat(pid)
        if stat is None:
            import psutil

            try:
                proc = self.fallback.setdefault(name, psutil.Process(pid))
                usage = float(proc.cpu_percent(None))
            except psutil.Error:
                return None
            return usage, usage
        prev = self.last.get(name)
        self.last[name] = (now, *stat)
        if prev is None or now <= prev[0]:
            return None
        wall = now - prev[0]
        ran, waited = stat[0] - prev[1], stat[1] - prev[2]
        return 100.0 * (ran + waited) / wall, 100.0 * ran / wall

    def poll(self, now: float) -> None:
        if now < self.next:
            return
        self.next = now + 1.0
        for name, pid in self.pids.items():
            if name in self.done:
                continue
            sample = self._demand(name, pid, now)
            if sample is None:
                continue
            demand, usage = sample
            # SATURATED_SECONDS hot samples among the last SATURATED_SECONDS + 1: one second
            # below the line (the main thread waiting on the GIL for the capture's writer thread
            # counts as sleeping) must not hide a generator that is busy all the same
            recent = (self.recent.get(name, []) + [demand >= SATURATED_CPU_PERCENT])[
                -(SATURATED_SECONDS + 1) :
            ]
            self.recent[name] = recent
            self.hot[name] = sum(recent)
            if self.hot[name] >= SATURATED_SECONDS:
                self.done.add(name)
                self.run.add_event(
                    EventKind.LOAD_GENERATOR_SATURATED,
                    process=name,
                    cpu_demand_percent=round(min(demand, 100.0), 1),
                    cpu_percent=round(usage, 1),
                )


def _completed(outcome: _Outcome, procs: list[tuple[str, subprocess.Popen[bytes]]]) -> bool:
    """Whether the run went to its end: nothing stopped it and Locust exited 0."""
    return (
        outcome.status == RunStatus.COMPLETED
        and outcome.interrupt is None
        and bool(procs)
        and procs[0][1].returncode == 0
    )


def _stop(procs: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    """SIGTERM the master first (it tells workers to quit), then the rest; SIGKILL what lingers."""
    for _, proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.5)
    deadline = time.monotonic() + STOP_GRACE_S
    for _, proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.05, deadline - time.monotonic()))
    for _, proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def _finish(run: RunDir, outcome: _Outcome) -> dict[str, Any]:
    """Close run.json: end, status, why, counts from the samples and from Locust's own CSV."""
    capture = _capture_status(run)
    n = _count_samples(run)
    locust_counts = _locust_counts(run)
    status, reason, code = outcome.status, outcome.reason, outcome.code
    if capture["dropped"]:
        reason += f"; {capture['dropped']} samples dropped ({'; '.join(capture['errors'])})"
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
        and code != StopCode.DECIDED
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
    )


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def _child_env(run: RunDir, plan: Plan, allowed_hosts: Sequence[str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        POCKIT_ALLOWED_HOSTS=json.dumps(list(allowed_hosts)),
        # a locustfile may adapt to the candidate it loads (its name, its run directory)
        POCKIT_CANDIDATE=run.candidate,
        POCKIT_RUN_DIR=str(run.path.resolve()),
        POCKIT_PARENT_PID=str(os.getpid()),
        POCKIT_PROGRESS=str((run.path / ".progress.json").resolve()),
        PYTHONUNBUFFERED="1",
    )
    env.pop("POCKIT_WORKER", None)
    if plan.shape:
        env["POCKIT_SHAPE"] = json.dumps(plan.shape)
    if plan.arrival:
        share = 1.0 / max(1, plan.workers + plan.remote_workers)
        env["POCKIT_ARRIVAL"] = json.dumps({**plan.arrival, "share": share})
    return env


def _spawn(
    cmd: list[str], env: dict[str, str], log_stem: Path, logs: list[IO[bytes]]
) -> subprocess.Popen[bytes]:
    out = open(f"{log_stem}.out", "wb")  # noqa: SIM115 - closed by the caller after the run
    err = open(f"{log_stem}.log", "wb")  # noqa: SIM115
    logs += [out, err]
    return subprocess.Popen(
        cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True
    )


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host if host not in ("", "*") else "0.0.0.0", 0))
        return int(s.getsockname()[1])


def _versions() -> dict[str, str]:
    from pockit import __version__

    try:
        locust = metadata.version("locust")
    except metadata.PackageNotFoundError:
        locust = "not installed"
    return {"pockit": __version__, "locust": locust, "python": sys.version.split()[0]}


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """In the main thread, SIGTERM raises _Terminated so the run stops cleanly, as Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise _Terminated()

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold a second Ctrl-C / SIGTERM while children are being stopped, so none is left behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        pending.append(signum)

    old_int = signal.signal(signal.SIGINT, hold)
    old_term = signal.signal(signal.SIGTERM, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
    if signal.SIGINT in pending:
        raise KeyboardInterrupt
    if signal.SIGTERM in pending:
        raise SystemExit(128 + signal.SIGTERM)


def _cooldown(seconds: float, progress: bool) -> None:
    if progress and seconds > 0:
        print(f"cooling down {seconds:g}s before the next repeat", file=sys.stderr)
    time.sleep(seconds)


def _capture_status(run: RunDir) -> dict[str, Any]:
    written = dropped = 0
    errors: list[str] = []
    processes = 0
    for path in sorted(run.locust_dir.glob("capture-*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        processes += 1
        written += int(data.get("written", 0))
        dropped += int(data.get("dropped", 0)) + int(data.get("pending", 0))
        errors += [e for e in data.get("errors", []) if e not in errors]
    return {"processes": processes, "written": written, "dropped": dropped, "errors": errors}


def _target_unreachable(run: RunDir) -> dict[str, Any] | None:
    """When the run ends in a streak of requests that got no response at all (status 0) lasting
    at least TARGET_DOWN_MIN_S, the target died mid-run: when it stopped answering, and how many
    requests went unanswered. None otherwise (a fault that recovered is not a death)."""
    import polars as pl

    try:
        df = run.scan_samples().select("t_start", "status").sort("t_start").collect()
    except (pl.exceptions.PolarsError, OSError):
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
            .filter(pl.col("error").cast(pl.String).str.starts_with(_REFUSED_PREFIX))
            .select(pl.col("error").cast(pl.String))
            .collect()["error"]
            .to_list()
        )
    except (pl.exceptions.PolarsError, OSError):
        return counts
    for text in errors:
        for host in hosts:
            if f"host {host!r} " in text:
                counts[host] += 1
    return counts


#: How the capture plugin's refusals of a disallowed host start (see _capture.GuardrailRefused).
_REFUSED_PREFIX = "refused by pockit guardrails"


def _count_samples(run: RunDir) -> int:
    import pyarrow.parquet as pq

    total = 0
    for path in run.sample_files():
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


def _stderr_tail(path: Path) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no output)"
    return text[-_STDERR_TAIL:].strip() or "(no output)"


# ----------------------------------------------------------------------------------------------
# progress and summary
# ----------------------------------------------------------------------------------------------


def summarize(run_dir: str | Path) -> dict[str, Any]:
    """Requests, rate, error rate and p50/p95/p99 of one run, from its captured samples.

    Every figure is ``pockit stats``'s (:func:`pockit.analysis.run_stats`): throughput over the
    measured load window, percentiles of successful requests, exact (X_(ceil(nq))), so the
    end-of-run summary and the report never disagree. ``rps_method`` says what rps divides by.
    """
    from pockit.analysis import run_stats

    stats = run_stats([run_dir], percentiles=(50.0, 95.0, 99.0), by_endpoint=False)
    g = stats.overall

    def ms(key: str) -> float | None:
        est = g.latency_ms.get(key)
        return est.value if est is not None and est.n else None

    return {
        "requests": g.n,
        "rps": g.throughput_rps.value if g.n else 0.0,
        "rps_method": stats.method,
        "error_rate": g.error_rate.value if g.n else None,
        "p50_ms": ms("p50"),
        "p95_ms": ms("p95"),
        "p99_ms": ms("p99"),
    }


def _print_summary(run: RunDir, meta: dict[str, Any]) -> None:
    from pockit._display import throughput_label

    rec = run.record
    try:
        s = summarize(run.path)
    except Exception as exc:  # a summary must never hide the run's own outcome
        print(f"{run.path}: {rec.status} ({rec.stop_reason}); no summary: {exc}")
        return
    counts = meta.get(RunField.COUNTS, {})
    lost = rec.workers_lost
    over = throughput_label(s["rps_method"]).removeprefix("throughput")  # " (requests ÷ ...)"
    lines = [
        f"run {rec.id}: {rec.status} ({rec.stop_reason})",
        f"  candidate {rec.candidate} at {meta.get(RunField.HOST)}, repeat {rec.repeat or 0}, "
        f"{meta.get(RunField.WORKERS, 1)} load process(es)"
        + (f", {len(lost)} lost" if lost else ""),
        f"  requests {s['requests']} (Locust counted {counts.get('locust_requests')}), "
        f"{s['rps']:.1f} req/s{over}, "
        f"errors {(s['error_rate'] or 0):.2%}",
    ]
    if s["p50_ms"] is not None:
        lines.append(
            f"  latency p50 {s['p50_ms']:.2f} ms, p95 {s['p95_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms "
            "(successful requests, exact)"
        )
    lines.append(f"  run directory {run.path}")
    print("\n".join(lines))
