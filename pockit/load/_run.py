"""The public load API: :func:`run_spec` and :func:`run_candidate`, and one run top to bottom.

:func:`_one_run` reads as the whole flow of one run: guardrails and a TCP pre-flight (before anything
is written), the run directory, Locust headless with the user's locustfile and pockit's plugins
(command line and environment from :mod:`pockit.load._protocol`), the supervisor polling its
watchers (:mod:`pockit.load._watchers`) until the load ends or one says stop, the post-run checks
that close run.json (:mod:`pockit.load._checks`), and the summary (:mod:`pockit.load._summary`).

Locust never runs in this process: its gevent monkey-patching would hang a notebook kernel.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

from pockit._contract import GUARDRAIL_STOPS, RunField, RunStatus, StopCode
from pockit._errors import GuardrailError, LoadError, UsageError
from pockit._rundir import RunDir
from pockit.load import _protocol as protocol
from pockit.load._checks import finish_run
from pockit.load._faults import FaultPlan
from pockit.load._guardrails import Budget, check_host, check_reachable
from pockit.load._plan import Plan, make_plan
from pockit.load._progress import Progress
from pockit.load._summary import print_summary
from pockit.load._supervisor import (
    Supervisor,
    Terminated,
    free_port,
    raise_held,
    signals_held,
    sigterm_raises,
)
from pockit.load._watch import Outcome
from pockit.load._watchers import watchers_for
from pockit.spec import Candidate, Spec, load_spec

__all__ = ["RunInterrupted", "run_candidate", "run_spec"]

_STDERR_TAIL = 3000


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
    """Fetch the spec's server-side metrics (and its ``observability`` Prometheus's ``up`` and series
    count) for the run's window into ``sources/metrics.parquet``.

    Waits two scrape steps first (at most 10 s) so the last points after the load have landed. A
    source that cannot be reached is recorded in run.json, never fatal.
    """
    steps = [m.step_s for m in spec.metrics]
    steps += [spec.observability.step_s] if spec.observability is not None else []
    if not steps:
        return
    from pockit.sources import attach_observability, attach_spec_metrics

    time.sleep(min(10.0, 2 * max(steps)))
    if spec.metrics:
        attach_spec_metrics(path, spec.metrics)
    if spec.observability is not None:
        attach_observability(path, spec.observability)


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
    remote_workers: int = 0,
    master_bind: str = "127.0.0.1",
    master_port: int | None = None,
    on_candidate: Callable[[str, list[Path]], None] | None = None,
) -> list[Path]:
    """Run every candidate (or those named) in spec order; returns all run directories.

    The whole batch is refused up front, not after the first candidate ran: unknown names
    (UsageError), then guardrails (hosts, then the caps on users, rate and duration), then whether
    every target answers. The other arguments are :func:`run_candidate`'s. ``on_candidate(name,
    runs)`` is called as each candidate's runs finish, so a caller can still list them when a later
    one fails (``pockit run`` does).
    """
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
        runs = run_candidate(
            spec,
            name,
            runs_dir=runs_dir,
            repeats=repeats,
            duration_s=duration_s,
            users=users,
            workers=workers,
            progress=progress,
            remote_workers=remote_workers,
            master_bind=master_bind,
            master_port=master_port,
        )
        if on_candidate is not None:
            on_candidate(name, runs)
        paths += runs
    return paths


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

    env = protocol.child_env(run.path, run.candidate, plan, spec.guardrails.allowed_hosts)
    port = plan.master_port or (free_port(plan.master_bind) if distributed else None)
    main_cmd = protocol.master_command(
        plan,
        locustfile=load.locustfile,
        host=cand.host,
        locust_stem=run.locust_dir / "locust",
        port=port if distributed else None,
    )
    outcome = Outcome()
    sup = Supervisor()
    faults = FaultPlan(spec.faults, cand.name, cand.host, run)
    progress_file = run.path / protocol.PROGRESS_FILE
    bar = Progress(
        progress_file,
        total_s=plan.duration_s,
        desc=f"{run.candidate} r{run.record.repeat or 0}",
        window_s=4.0 if distributed else 1.0,
        enabled=progress,
    )
    started = time.monotonic()
    try:
        with sigterm_raises():
            sup.start(
                "master" if distributed else "locust", main_cmd, env, run.locust_dir / "locust"
            )
            for i in range(plan.workers):
                assert port is not None  # local workers make the run distributed
                sup.start(
                    f"worker{i}",
                    protocol.local_worker_command(plan, locustfile=load.locustfile, port=port),
                    protocol.local_worker_env(env, i),
                    run.locust_dir / f"worker{i}",
                )
            if plan.remote_workers:
                print(
                    f"waiting for {plan.remote_workers} remote worker(s): pockit worker --master HOST:{port} "
                    f"--locustfile {Path(load.locustfile).name} --out DIR",
                    file=sys.stderr,
                )
            watchers = watchers_for(
                run,
                plan,
                sup.procs,
                started=started,
                faults=faults,
                max_rps=spec.guardrails.max_rps,
                budget=budget,
                workers_lost=outcome.workers_lost,
            )
            stop = sup.watch(watchers, bar)
            if stop is not None:
                outcome.stopped(stop)
    except (KeyboardInterrupt, Terminated) as exc:
        outcome.interrupted(exc)
    except Exception as exc:  # pockit's own failure mid-run: still stop Locust and close run.json
        outcome.status = RunStatus.FAILED
        outcome.reason = f"pockit error while the run went: {type(exc).__name__}: {exc}"
        outcome.code = StopCode.POCKIT_ERROR
    finally:
        with signals_held() as held:
            sup.stop()
            faults.finish()
            bar.close(ok=_completed(outcome, sup))
            sup.close()
            progress_file.unlink(missing_ok=True)
    if held and outcome.interrupt is None:  # Ctrl-C or SIGTERM while Locust was being stopped
        outcome.interrupted(KeyboardInterrupt() if signal.SIGINT in held else Terminated())
    master_rc = sup.returncode
    if (
        outcome.interrupt is None
        and outcome.status == RunStatus.COMPLETED
        and master_rc not in (0, None)
    ):
        outcome.status = RunStatus.FAILED
        outcome.reason = f"locust exited with code {master_rc}"
        outcome.code = StopCode.LOCUST_FAILED
    outcome.exit_code = master_rc
    with signals_held() as late:  # run.json is closed whatever arrives meanwhile
        meta = finish_run(run, outcome)
        print_summary(run, meta)  # --no-progress drops the bar, never the run's outcome
    if outcome.interrupt is None:
        raise_held(late)
    if outcome.interrupt is not None:
        if isinstance(outcome.interrupt, Terminated):
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


def _completed(outcome: Outcome, sup: Supervisor) -> bool:
    """Whether the run went to its end: nothing stopped it and Locust exited 0."""
    return (
        outcome.status == RunStatus.COMPLETED and outcome.interrupt is None and sup.returncode == 0
    )


def _versions() -> dict[str, str]:
    from pockit import __version__

    try:
        locust = metadata.version("locust")
    except metadata.PackageNotFoundError:
        locust = "not installed"
    return {"pockit": __version__, "locust": locust, "python": sys.version.split()[0]}


def _cooldown(seconds: float, progress: bool) -> None:
    if progress and seconds > 0:
        print(f"cooling down {seconds:g}s before the next repeat", file=sys.stderr)
    time.sleep(seconds)


def _stderr_tail(path: Path) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no output)"
    return text[-_STDERR_TAIL:].strip() or "(no output)"
