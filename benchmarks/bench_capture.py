"""What pockit's capture plugin costs: Locust's requests/s with and without it, side by side.

Against Debian's nginx on 127.0.0.1 (started here with a throw-away config that answers a tiny
static response, stopped at the end), one Locust process with ``FastHttpUser`` and no wait runs:

- ``bare``     the locustfile alone
- ``pockit``   the same locustfile plus ``pockit/load/_capture.py`` (every request into compact
  batches, which this benchmark turns into Parquet afterwards, as ``pockit run`` does while it runs)
- ``csvlog``   the same locustfile plus ``locust.contrib.csv_request_logger`` (for reference)

Trials alternate (the order rotates every round) and last the same time, so a busy machine hurts
all three alike. Requests/s come from Locust's own final statistics. Peak RSS of each Locust
process is reported too (capture memory must stay bounded however long the run). On this 2-core VM
bare Locust alone runs anywhere from ~4,000 to ~7,000 req/s from one 10 s trial to the next, so
these ratios are printed for context; the capture target is judged on the interleaved trial.

Interleaved (the capture target): one Locust process switches the capture on and off every
``--phase`` seconds (0.1 s) — the recorder inside Locust's request ``fire``, the host guard in
``_build_url``, and its batches, written every 2 s of "on" time, always inside an "on" phase — so
both sides share each moment of the machine. A round is ``--round`` seconds of phases (40 s); its
ratio is requests/s on over requests/s off. With nothing switched (``--parts none``) 20 s rounds
read 0.994-1.002 (10 s rounds: 0.985-1.029): that is this method's noise on a quiet hour; on a
noisier one 20 s rounds of the whole capture spread 0.975-1.011 around a median of 1.001, hence
40 s rounds. Target: capture on/off
>= 0.985 (within 1.5% of bare Locust). The capture measured is the installed one: pockit's C
extension when it was built, the pure-Python one with ``POCKIT_PURE_CAPTURE=1``.

End to end, side by side: ``pockit run`` (a one-candidate spec, guardrails on) and the bare
``locust`` CLI with the same locustfile run at the same time on the same core (core 0), each against
its own nginx (both on the last core), each in a session of its own as from its own terminal (pockit
starts its Locust in one too; the kernel's autogroup then shares the core fairly between them). So
both meet the same moments of the machine, which separate runs one after the other do not: on this
VM bare Locust alone ran from 4,000 to 7,200 req/s between consecutive 10 s runs. Requests are
counted by each nginx (``stub_status``, read every 0.25 s from outside: no work added to either
Locust) over pockit's load window from run.json, after its first 2 s; the bare Locust runs 15 s
longer, so it covers that window. Who starts first and which nginx each gets swap every round. Each
round also prints both Locust processes' share of the core, pockit run's own process's share (it
converts the batches to Parquet; on this shared core it takes from both sides alike), and CPU per
request from each process's CPU time, a cross-check that does not depend on the shares.
``--e2e-aa`` runs a second bare Locust in pockit run's place: the method's own noise. Target: pockit
run / bare locust >= 0.97.

Each target is judged on the per-round ratios: ``MET`` only when every round clears it, ``MISSED``
when their median does not, ``NOISY`` (not met) when the rounds straddle it; a trial whose captured
samples differ from Locust's request count is MISSED too. Exit status 1 unless every target is met,
as the other benchmarks (``make bench`` lists it as missed); every round is printed either way.
Exit status 3 when it could not measure (``_loadbench.run``: nginx did not start, a load process
failed or hung), with the reason.

Run: ``.venv/bin/python benchmarks/bench_capture.py [--duration 10] [--rounds 5] [--users 20]
[--only capture|interleaved|e2e] [--phase 0.1] [--parts record,guard,flush] [--e2e-duration 30]
[--e2e-aa]``.

Where the capture's CPU goes. First (``benchmarks/profile_capture.py``, py-spy, 2026-12-01): the
host guard parsing every URL, the per-request hook, Locust's dispatch to one more listener, and the
Parquet batch with pyarrow imported into every Locust process. Those became: the guard decides a
relative URL once per base URL; the batch is a compact form without pyarrow (the parent makes it
Parquet). Then, timed in-process (``timeit`` over Locust's real ``EventHook``, 2-core VM): the
listener cost 2.5 µs per request over Locust's own dispatch — half of it Python binding the event's
nine keyword arguments a second time for one more listener — and the guard, wrapping
``Session.request``, 1.4 µs, passing every keyword on again. Now the capture reads the dict
Locust's ``fire`` already holds (``_capture_fire.attach``: ~0.8 µs, plus ~0.3 µs per row to make
the batch's columns), the guard wraps ``_build_url`` (0.2 µs), and the rows wait in one flat list
(live tuples had cost ~15 ms of garbage collection per 5 s of load; now 0 ms). Interleaved, old
against new (4 rounds of 10 s, twice each, 2026-12-01): old 0.947-0.965 (median 0.958), new
0.963-0.987 (median 0.975). By part (``--parts``, 4 rounds each, quiet machine): the recorder
(its batches then written only at 20,000 rows) 0.969-0.983, the guard 0.991-1.008, nothing at all
0.995-1.029; the whole capture 0.964-0.979 (median 0.971), so the batches every 2 s take about 1%
and the recorder about 2%. Inside a loaded Locust
process the Python recorder cost four to five times what ``timeit`` gives it (~4 µs of ~220 µs per
request, where the cheapest request there is costs Locust itself), and no single line held it.
So the per-request work moved to C (``pockit/load/_crecord.c``: the recorder appends the same row
to the same buffer, and the guard is a method descriptor that runs no Python frame of its own).
Interleaved, 20 s rounds, quiet machine, 2026-12-01: the whole capture in C, four runs, medians
0.992, 0.985, 0.996 and 0.983, rounds 0.962-1.037 (median of all 19 rounds 0.987); the pure-Python
capture in the same hour 0.962-0.996 (median 0.965). By part (4 rounds each): the recorder with its
batches 0.985-1.016, the guard 0.999-1.028, nothing switched 0.994-1.002. What is left is mostly the
batches: turning ~12,000 buffered rows into a compact batch takes ~8 ms every 2 s in ``timeit``
(``Columns.from_values`` ~3 ms, the strings' dictionary encoding and checksum ~3 ms, the writes).

Then the request hook's whole ``fire`` moved to C as well (``_crecord.Fire``, when the C recorder
runs): Locust's own ``fire`` is a Python frame that builds a dict of the event's keywords and calls
each listener with ``**kwargs``, unpacking that dict again (2.1 µs a request with Locust's one
listener, in ``timeit``, against 0.35 µs for calling the listener directly); ``Fire`` reads the
event from the keywords as given and calls each listener with them. So pockit's ``fire``, recorder
included, now costs less than Locust's own, which pays for the batches. Interleaved, 2026-12-01:
20 s rounds 0.981-1.009 (median 1.001, 5 rounds) and 0.975-1.011 (median 1.001, 8 rounds); 40 s
rounds, three runs of 5: 0.992-1.023, 0.992-1.012, 0.990-1.004 (medians 0.999, 1.001, 0.997; every
round clearing the target; 1.000 over all 15).

End to end, first measured one run after the other (both pinned to core 0): 30 s rounds 0.945,
0.875, 0.726, 0.893, 0.762 (median 0.875). Most of that was the method: bare Locust alone swung
between 4,000 and 7,200 req/s from one run to the next, and ``pockit run``'s own process (it turns
the batches into Parquet while the load runs) shared core 0 with its Locust, where bare Locust had
the core to itself. Side by side (above) the two share the same moments and the same core, fairly:
a second bare Locust in pockit's place (``--e2e-aa --e2e-duration 20``, 5 rounds) read
0.991-1.013 (median 0.999). With the C recorder and Python ``fire``: 0.960, 0.970 (10 s rounds),
0.960, 0.978 (30 s); the capture plugin alone against bare Locust, side by side, 0.967-0.984 over 8
rounds of 20 s, and ``--csv`` alone (pockit's one addition to Locust's command line) 0.989-1.016:
nothing. With ``Fire``, 30 s rounds, two runs of 5: 0.987, 0.975, 0.990, 0.994, 0.976 and 0.977,
0.993, 0.984, 0.985, 0.991 (medians 0.987, 0.985; every round clearing the target), CPU per request
of the two Locust processes bare/pockit 0.978-0.997. ``pockit run``'s own process took 2.0-2.5% of
core 0 over those windows (py-spy: ~40% a one-off ``import pandas`` that pyarrow's
``pa.array(list)`` makes at the first batch, the rest each batch into Parquet); the kernel takes it
from both sides alike, so the ratio does not charge it to pockit (charged wholly to pockit on that
core, it would lower the ratio by ~2.5%). On a machine with a core to spare it runs beside its
Locust, not in its place. Earlier checks that found no extra work per request in pockit's Locust
(py-spy: the same frames; callgrind: 562,820 instructions a request bare, 578,865 with the plugin
and ``--csv``, most of the difference per-second work spread over valgrind's ~65 req/s) stand.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import psutil  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _loadbench as lb  # noqa: E402 - the load benchmarks' nginx, pinning and verdict

from pockit.load import _native  # noqa: E402 - which capture runs: C or pure Python

CAPTURE = lb.CAPTURE
#: capture/bare in one Locust process (median of per-round ratios, every round clearing it)
TARGET = 0.985
#: ``pockit run`` / bare ``locust``, end to end
E2E_TARGET = 0.97
#: the interleaved trial: capture on or off for --phase seconds at a time, after WARMUP_S of
#: spawning; a round is --round seconds of phases (half on, half off; default ROUND_S)
WARMUP_S, ROUND_S = 3.0, 40.0
#: end to end, side by side: the bare Locust runs E2E_SLACK_S longer than the candidate (covering
#: its start-up); rates are counted from E2E_WARM_S into the candidate's load, every E2E_POLL_S
E2E_SLACK_S, E2E_WARM_S, E2E_POLL_S = 15, 2.0, 0.25
#: what the interleaved trial switches: the recorder in Locust's fire, the host guard, the batches
PARTS = ("record", "guard", "flush")

CSV_LOGGER = """
from locust import events
from locust.contrib.csv_request_logger import CsvRequestLogger

_logger = CsvRequestLogger({path!r}, flush_interval=1000)

@events.init.add_listener
def _on_init(environment, **kwargs):
    _logger.register(environment)
"""

#: Loaded after the capture plugin in one extra trial: times the plugin's own work from inside,
#: which a busy machine disturbs far less than requests/s.
ACCOUNTING = """
import json, sys, time
sys.path.insert(0, {load_dir!r})
import _capture
from locust import events

acc = {{"hook": 0.0, "flush": 0.0, "n": 0, "empty": 0.0}}
_recorder, _flush = _capture.Capture.recorder, _capture.Capture.flush

def recorder(self):
    inner, pc = _recorder(self), time.perf_counter
    def record(kw):
        t = pc(); inner(kw); acc["hook"] += pc() - t; acc["n"] += 1
        t = pc(); acc["empty"] += pc() - t  # the cost of timing itself, subtracted below
    return record

def flush(self, **kw):
    t = time.perf_counter(); _flush(self, **kw); acc["flush"] += time.perf_counter() - t

_capture.Capture.recorder, _capture.Capture.flush = recorder, flush

@events.quit.add_listener
def _report(**kw):
    n = max(acc["n"], 1)
    with open({out!r}, "w") as fh:
        json.dump({{"hook_us": (acc["hook"] - acc["flush"] - acc["empty"]) / n * 1e6,
                   "flush_us": acc["flush"] / n * 1e6, "n": n}}, fh)
"""


#: Loaded instead of the capture plugin for the interleaved trial: one Locust process switches
#: the capture (``attach``'s recorder and the host guard) on and off every PHASE seconds, so both
#: sides see the same moment of the machine (this VM's speed changes by 30% from one 10 s trial
#: to the next). A batch is written after each 2 s of "on" time, at the end of an "on" phase, so
#: the writing counts on its side (without "flush" in PARTS, only at 20,000 rows, by the hook).
INTERLEAVED = """
import gc, json, time
from pathlib import Path

import gevent
from locust import events
from locust.clients import HttpSession
from locust.contrib.fasthttp import FastHttpSession
from pockit.load import _capture_batch, _capture_fire, _capture_guard

PHASE, WARMUP, PARTS = {phase!r}, {warmup!r}, {parts!r}
SESSIONS = (HttpSession, FastHttpSession)
#: every phase: [capture on?, requests, seconds, seconds in the garbage collector]
phases = []
now = {{"on": False, "n0": 0, "t0": 0.0, "gc": 0.0, "gc_t0": 0.0}}

def _gc_timer(phase, info):
    if phase == "start":
        now["gc_t0"] = time.perf_counter()
    else:
        now["gc"] += time.perf_counter() - now["gc_t0"]

gc.callbacks.append(_gc_timer)

@events.init.add_listener
def _init(environment, **kw):
    gc.freeze()  # as the capture plugin does at init
    cap = _capture_batch.Capture(Path({run!r}), batch_rows=20000, batch_seconds=2.0)
    hook = environment.events.request
    plain = [cls._build_url for cls in SESSIONS]
    _capture_guard.install_host_guard(("127.0.0.1",))
    guarded = [cls._build_url for cls in SESSIONS]
    _capture_fire.attach(hook, cap.recorder())
    capture_fire = hook.__dict__.pop("fire")  # off until the first "on" phase: Locust's own fire
    on_since_flush = [0.0]

    def switch(on, seconds=0.0):
        for cls, build in zip(SESSIONS, guarded if on and "guard" in PARTS else plain):
            cls._build_url = build
        if on and "record" in PARTS:
            hook.fire = capture_fire
        elif not on:
            hook.__dict__.pop("fire", None)
            # batches as the plugin writes them (each 2 s of load), always on the "on" side
            on_since_flush[0] += seconds
            if on_since_flush[0] >= cap.batch_seconds and "flush" in PARTS:
                cap.flush(force=True)
                on_since_flush[0] = 0.0
        now["on"] = on

    def count():  # Locust replaces its stats objects when the test starts: look each time
        return environment.runner.stats.total.num_requests

    def end_phase():
        n1, t1 = count(), time.perf_counter()
        phases.append([now["on"], n1 - now["n0"], t1 - now["t0"], now["gc"]])
        now.update(n0=n1, t0=t1, gc=0.0)

    def toggler():
        gevent.sleep(WARMUP)
        now.update(n0=count(), t0=time.perf_counter(), gc=0.0)
        k = 0
        while True:
            on = (k % 4) in (1, 2)  # off on on off: each pair's order alternates
            switch(on)
            gevent.sleep(PHASE)
            if on:
                switch(False, time.perf_counter() - now["t0"])
                now["on"] = True  # the phase just ended was an "on" one
            end_phase()
            k += 1

    gevent.spawn(toggler)

    @events.quit.add_listener
    def _report(**kw):
        if now["on"]:
            switch(False)
            now["on"] = True
        end_phase()  # the last, partial phase: not in any round, but its requests were captured
        if "record" in PARTS:
            cap.flush(force=True)
        with open({out!r}, "w") as fh:
            json.dump({{"phases": phases, "written": cap.written, "dropped": cap.dropped}}, fh)
"""


def trial(
    variant: str,
    host: str,
    tmp: Path,
    duration: int,
    users: int,
    n: int,
    *,
    phase: float = 0.5,
    parts: Sequence[str] = PARTS,
) -> dict[str, float]:
    """One Locust run; returns requests/s by Locust's own count, and the process's peak RSS."""
    work = tmp / f"{variant}-{n}"
    work.mkdir()
    files = [str(tmp / "locustfile.py")]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if variant == "pockit":
        files.append(str(CAPTURE))
        env["POCKIT_RUN_DIR"] = str(work / "run")
        env["POCKIT_EVENTS"] = "0"
    elif variant == "accounted":
        plugin = work / "accounting.py"
        plugin.write_text(
            ACCOUNTING.format(load_dir=str(CAPTURE.parent), out=str(work / "acct.json"))
        )
        files.append(str(plugin))  # imports the capture plugin itself, wrapped
        env["POCKIT_RUN_DIR"] = str(work / "run")
        env["POCKIT_EVENTS"] = "0"
    elif variant == "interleaved":
        plugin = work / "interleaved.py"
        plugin.write_text(
            INTERLEAVED.format(
                phase=phase,
                warmup=WARMUP_S,
                parts=tuple(parts),
                run=str(work / "run"),
                out=str(work / "phases.json"),
            )
        )
        files.append(str(plugin))
    elif variant == "csvlog":
        plugin = work / "csvlog_plugin.py"
        plugin.write_text(CSV_LOGGER.format(path=str(work / "requests.csv")))
        files.append(str(plugin))
    cmd = [*lb.pin(0), *lb.locust_command(files, host, users, duration, work / "stats")]
    log = open(work / "locust.log", "wb")  # noqa: SIM115 - closed once Locust exits
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
    peak = 0
    rss_series: list[tuple[float, int]] = []
    cpu: list[tuple[float, float]] = []  # (wall time, CPU seconds of the Locust process)
    ps = psutil.Process(proc.pid)
    deadline = time.monotonic() + duration + 120  # Locust's -t ends it; this only bounds a hang
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise SystemExit(f"{variant}: locust still running {duration + 120}s after its start")
        with contextlib.suppress(psutil.Error):
            rss = ps.memory_info().rss
            peak = max(peak, rss)
            times = ps.cpu_times()
            cpu.append((time.time(), times.user + times.system))
            rss_series.append((time.time(), rss))
        time.sleep(0.1)
    log.close()
    lb.check_exit(variant, proc, work / "locust.log")
    entries = json.loads((work / "stats.json").read_text())
    out = {
        "rps": lb.locust_rps(entries),
        "requests": float(sum(e["num_requests"] for e in entries)),
        "rss_mb": peak / 2**20,
        "cpu_us": cpu_per_request(entries, cpu),
    }
    t0 = rss_series[0][0] if rss_series else 0.0
    marks = (
        [t0 + 10 * k for k in range(int((rss_series[-1][0] - t0) // 10) + 1)] if rss_series else []
    )
    out["rss_by_10s"] = [min(rss_series, key=lambda s: abs(s[0] - m))[1] / 2**20 for m in marks]  # type: ignore[assignment]
    if variant == "accounted":
        out.update(json.loads((work / "acct.json").read_text()))
    if variant in ("pockit", "interleaved"):
        import pyarrow.parquet as pq

        from pockit._rundir import settle_batches

        # the plugin writes compact batches; the parent (here: this benchmark) makes them Parquet
        captured = sum(
            pq.ParquetFile(f).metadata.num_rows for f in settle_batches(work / "run" / "samples")
        )
        out["captured"] = float(captured)
    shutil.rmtree(work / "run", ignore_errors=True)
    (work / "requests.csv").unlink(missing_ok=True)
    return out


def cpu_per_request(entries: list[dict[str, Any]], cpu: list[tuple[float, float]]) -> float:
    """CPU microseconds per request over whole seconds of steady load: start-up (imports, spawning)
    and shutdown are left out, since they are paid once per run, not per request."""
    per_second: dict[int, int] = {}
    for e in entries:
        for sec, n in e["num_reqs_per_sec"].items():
            per_second[int(sec)] = per_second.get(int(sec), 0) + n
    secs = sorted(per_second)[1:-1]  # drop the ramp-up and the last, partial second
    if len(secs) < 2:
        return float("nan")
    lo, hi = secs[0], secs[-1] + 1

    def cpu_at(t: float) -> float:
        return min(cpu, key=lambda s: abs(s[0] - t))[1]

    return (cpu_at(hi) - cpu_at(lo)) / sum(per_second[s] for s in secs) * 1e6


def in_process(host: str, tmp: Path, args: argparse.Namespace) -> bool:
    """bare, pockit and csvlog in one Locust process each, rotated every round; whether every
    request was captured (the capture target is judged interleaved: these ratios are context)."""
    variants = ["bare", "pockit", "csvlog"]
    results: dict[str, list[dict[str, float]]] = {v: [] for v in variants}
    print(
        f"in one Locust process: {args.rounds} rounds x {len(variants)} variants x {args.duration}s, "
        f"{args.users} users (Locust on core 0, nginx on the last)"
    )
    for r in range(args.rounds):
        for v in variants[r % 3 :] + variants[: r % 3]:
            res = trial(v, host, tmp, args.duration, args.users, r)
            results[v].append(res)
            extra = (
                f", captured {res['captured']:.0f}/{res['requests']:.0f}" if v == "pockit" else ""
            )
            print(
                f"  round {r + 1} {v:7s} {res['rps']:8.0f} req/s  {res['cpu_us']:6.1f} CPU us/req  peak RSS {res['rss_mb']:.0f} MB{extra}",
                flush=True,
            )
    acct = trial("accounted", host, tmp, args.duration, args.users, 99)
    med = {v: statistics.median(x["rps"] for x in results[v]) for v in variants}
    cpu = {v: statistics.median(x["cpu_us"] for x in results[v]) for v in variants}
    rss = {v: statistics.median(x["rss_mb"] for x in results[v]) for v in variants}
    print("median requests/s (one Locust process, i.e. per core):")
    for v in variants:
        print(
            f"  {v:7s} {med[v]:8.0f}   ratio to bare {med[v] / med['bare']:.3f}   "
            f"CPU {cpu[v]:.1f} us/request (bare/this {cpu['bare'] / cpu[v]:.3f})   "
            f"peak RSS {rss[v]:.0f} MB ({rss[v] - rss['bare']:+.0f} MB vs bare)"
        )
    # each round runs bare and pockit minutes apart at most: their ratio is paired, less noisy
    per_round = [
        p["rps"] / b["rps"] for p, b in zip(results["pockit"], results["bare"], strict=True)
    ]
    print(lb.verdict_line("capture/bare (context: separate processes)", per_round, TARGET))
    spread = [b["rps"] for b in results["bare"]]
    if max(spread) > 1.15 * min(spread):
        print(
            f"  note: bare Locust alone varied {min(spread):.0f}-{max(spread):.0f} req/s between rounds; "
            "the machine is busy and the ratio is noise-bound: rerun on a quiet machine, more --rounds"
        )
    own = acct["hook_us"] + acct["flush_us"]
    print(
        "capture's own cost, timed inside Locust (the recorder wrapped in a Python timer, so this "
        "trial runs the Python fire, not _crecord.Fire): "
        f"{acct['hook_us']:.2f} us in the request hook + "
        f"{acct['flush_us']:.2f} us/row writing the batch = {own:.2f} us of {cpu['bare']:.1f} us CPU "
        f"per request -> expected ratio {1 - own / cpu['bare']:.3f}"
    )
    lost = [r + 1 for r, x in enumerate(results["pockit"]) if x["captured"] != x["requests"]]
    print(f"every request captured: {'yes' if not lost else f'NO (MISSED), rounds {lost} differ'}")
    return not lost


def interleaved(host: str, tmp: Path, args: argparse.Namespace) -> bool:
    """One Locust process, the capture switched on and off every ``--phase`` s; per round of
    ``--round`` s, (requests/s with it) / (requests/s without it). Whether every round clears the
    target and every request of the "on" phases was written."""
    # a phase runs a little past --phase (the switch, gevent's timer): 5% and 3 s to spare
    seconds = int(WARMUP_S + args.rounds * args.round * 1.05 + 3)
    parts = args.parts.split(",")
    print(
        f"interleaved in one Locust process: capture ({' + '.join(parts)}; per-request work in "
        f"{_native.kind()}) on/off every {args.phase} s, {args.rounds} rounds of {args.round:.0f} "
        f"s, {args.users} users"
    )
    res = trial("interleaved", host, tmp, seconds, args.users, 0, phase=args.phase, parts=parts)
    data = json.loads((tmp / "interleaved-0" / "phases.json").read_text())
    per_phase = round(args.round / args.phase)
    phases = data["phases"][: args.rounds * per_phase]
    per_round: list[float] = []
    for r in range(len(phases) // per_phase):
        chunk = phases[r * per_phase : (r + 1) * per_phase]
        on_n, on_t, on_gc = (sum(p[i] for p in chunk if p[0]) for i in (1, 2, 3))
        off_n, off_t, off_gc = (sum(p[i] for p in chunk if not p[0]) for i in (1, 2, 3))
        per_round.append((on_n / on_t) / (off_n / off_t))
        print(
            f"  round {r + 1}: on {on_n / on_t:7.0f} req/s ({on_n} in {on_t:.2f} s, GC "
            f"{on_gc * 1e3:.0f} ms), off {off_n / off_t:7.0f} req/s ({off_n} in {off_t:.2f} s, GC "
            f"{off_gc * 1e3:.0f} ms), ratio {per_round[-1]:.3f}",
            flush=True,
        )
    if len(per_round) < args.rounds:
        print(f"  only {len(per_round)} of {args.rounds} rounds completed in {seconds} s")
    print(lb.verdict_line("interleaved capture on/off", per_round, TARGET))
    on_requests = sum(p[1] for p in data["phases"] if p[0])
    if "record" not in parts:
        return lb.verdict(per_round, TARGET) == "MET"
    whole = data["written"] == on_requests == res["captured"] and not data["dropped"]
    print(
        f"every request of the 'on' phases captured: "
        f"{'yes' if whole else 'NO (MISSED)'} ({res['captured']:.0f} read back, "
        f"{data['written']} written, {on_requests} sent while on, {data['dropped']} dropped)"
    )
    return lb.verdict(per_round, TARGET) == "MET" and whole


class Started(NamedTuple):
    """A load process of the end-to-end trial, started in a session of its own (as from its own
    terminal; pockit starts its Locust in one too, and the kernel's autogroup shares a core fairly
    between sessions): its pid, whether it ended, and what waits for it and reads its figures
    (among them ``window``, its load's start and end, epoch seconds)."""

    pid: int
    poll: Callable[[], int | None]
    finish: Callable[[], dict[str, Any]]


def _bare_locust(host: str, tmp: Path, duration: int, users: int, tag: str) -> Started:
    """Start a bare ``locust`` on core 0 (its ``window``: Locust's start time to its last
    request)."""
    work = tmp / tag
    work.mkdir()
    cmd = [
        *lb.pin(0),
        *lb.locust_command([str(tmp / "locustfile.py")], host, users, duration, work / "stats"),
    ]
    with open(work / "locust.log", "wb") as log:
        proc = subprocess.Popen(
            cmd,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )

    def finish() -> dict[str, Any]:
        try:
            proc.wait(timeout=duration + 120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise SystemExit(
                f"{tag}: locust still running {duration + 120}s after its start"
            ) from None
        lb.check_exit(tag, proc, work / "locust.log")
        entries = json.loads((work / "stats.json").read_text())
        shutil.rmtree(work, ignore_errors=True)
        window = (
            min(e["start_time"] for e in entries),
            max(e["last_request_timestamp"] for e in entries),
        )
        return {"requests": float(sum(e["num_requests"] for e in entries)), "window": window}

    return Started(proc.pid, proc.poll, finish)


def _pockit(host: str, tmp: Path, duration: int, users: int, tag: str) -> Started:
    """Start ``pockit run`` (its parent and its Locust on core 0; its ``window``: run.json's load
    window)."""
    proc, work = lb.start_pockit_run(
        tmp, host, tag=tag, users=users, duration=duration, cpu=0, session=True
    )
    return Started(
        proc.pid, proc.poll, lambda: lb.finish_pockit_run(proc, work, timeout=duration + 180)
    )


def _cpu(pid: int) -> tuple[float, float]:
    """CPU seconds so far of the process ``pid`` and of all its descendants (0.0 once gone)."""
    try:
        proc = psutil.Process(pid)
        own = sum(proc.cpu_times()[:2])
        kids = 0.0
        for child in proc.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                kids += sum(child.cpu_times()[:2])
        return own, kids
    except psutil.Error:
        return 0.0, 0.0


def side_by_side(
    hosts: tuple[str, str], tmp: Path, args: argparse.Namespace, r: int, *, candidate: str
) -> dict[str, Any]:
    """One end-to-end round: ``candidate`` (``pockit``: ``pockit run``; ``bare``: a second bare
    Locust, the method's own noise) and a bare ``locust`` at the same time on the same core, each
    against its own nginx, counted by nginx. Who starts first and which nginx each gets swap every
    round. The bare Locust runs E2E_SLACK_S longer, so it covers the candidate's whole load. CPU
    time of each process is sampled beside the counts."""
    bare_host, cand_host = hosts if r % 2 == 0 else hosts[::-1]
    start_cand = _pockit if candidate == "pockit" else _bare_locust

    def start_bare() -> Started:
        return _bare_locust(
            bare_host, tmp, args.e2e_duration + E2E_SLACK_S, args.users, f"e2e-baseline-{r}"
        )

    first = ("pockit run" if candidate == "pockit" else "the other") if r % 2 == 0 else "bare"
    if r % 2 == 0:
        cand = start_cand(cand_host, tmp, args.e2e_duration, args.users, f"e2e-{candidate}-{r}")
        bare = start_bare()
    else:
        bare = start_bare()
        cand = start_cand(cand_host, tmp, args.e2e_duration, args.users, f"e2e-{candidate}-{r}")
    # (time, bare's nginx count, candidate's, bare's CPU s, candidate's own CPU s, its children's)
    series: list[tuple[float, ...]] = []
    limit = args.e2e_duration + E2E_SLACK_S + 180
    deadline = time.monotonic() + limit
    try:
        while cand.poll() is None or bare.poll() is None:
            if time.monotonic() > deadline:
                raise SystemExit(f"e2e round {r + 1}: still running {limit} s after its start")
            now = time.time()
            counts = lb.served(bare_host), lb.served(cand_host)
            series.append((now, *counts, _cpu(bare.pid)[0], *_cpu(cand.pid)))
            time.sleep(E2E_POLL_S)
    except BaseException:  # a hang, nginx gone, Ctrl-C: stop both (each leads its session)
        for started in (cand, bare):
            if started.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(started.pid, signal.SIGTERM)
        raise
    c, b = cand.finish(), bare.finish()
    lo, hi = c["window"][0] + E2E_WARM_S, c["window"][1] - E2E_POLL_S
    if not (b["window"][0] <= lo and b["window"][1] >= hi):
        raise SystemExit(
            f"e2e round {r + 1}: the bare locust's load did not cover the candidate's "
            f"(start-up took longer than {E2E_SLACK_S} s?)"
        )
    inside = [s for s in series if lo <= s[0] <= hi]
    if len(inside) < 2:
        raise SystemExit(f"e2e round {r + 1}: fewer than two counts inside the load window")
    first_s, last_s = inside[0], inside[-1]
    d = [y - x for x, y in zip(first_s, last_s, strict=True)]
    seconds, own = d[0], len(inside) - 1  # each reading after the first: one request per nginx
    bare_n, cand_n = d[1] - own, d[2] - own
    # the candidate's Locust: pockit run's child; a bare candidate is its own process
    cand_cpu, parent_cpu = (d[5], d[4]) if candidate == "pockit" else (d[4], 0.0)
    c.update(
        first=first,
        seconds=seconds,
        cand_rps=cand_n / seconds,
        bare_rps=bare_n / seconds,
        cand_share=cand_cpu / seconds,
        bare_share=d[3] / seconds,
        parent_share=parent_cpu / seconds,
        cand_us=cand_cpu / cand_n * 1e6,
        bare_us=d[3] / bare_n * 1e6,
    )
    return c


def end_to_end(hosts: tuple[str, str], tmp: Path, args: argparse.Namespace) -> bool:
    """``pockit run`` and the bare ``locust`` CLI side by side; whether the end-to-end target is
    met and every request was captured."""
    cand = "bare" if args.e2e_aa else "pockit"
    label = (
        "bare locust/bare locust (the method's noise)" if args.e2e_aa else "pockit run/bare locust"
    )
    who = (
        "a second bare `locust`"
        if args.e2e_aa
        else "`pockit run` (one candidate, guardrails on: allowed_hosts [127.0.0.1], max_rps "
        f"{lb.MAX_RPS})"
    )
    print(
        f"end to end, side by side: {who} "
        f"and bare `locust` at the same time, same locustfile, both on core 0, each against its own "
        f"nginx on core {(os.cpu_count() or 1) - 1}; {args.rounds} rounds x {args.e2e_duration}s, "
        f"{args.users} users each; requests counted by nginx over the candidate's load window "
        f"(after {E2E_WARM_S:.0f} s of it)"
    )
    per_round: list[float] = []
    per_cpu: list[float] = []  # requests per CPU second of the Locust processes, as a cross-check
    lost: list[str] = []
    for r in range(args.rounds):
        res = side_by_side(hosts, tmp, args, r, candidate=cand)
        per_round.append(res["cand_rps"] / res["bare_rps"])
        extra = ""
        if cand == "pockit":
            if res["samples"] != res["requests"]:
                lost.append(
                    f"round {r + 1}: {res['samples']:.0f} captured of {res['requests']:.0f}"
                )
            extra = f" ({res['samples']:.0f} captured, Locust {res['requests']:.0f})"
        per_cpu.append(res["bare_us"] / res["cand_us"])
        parent = f", pockit run's own process {res['parent_share']:.1%}" if cand == "pockit" else ""
        print(
            f"  round {r + 1} ({res['first']} first, {res['seconds']:.1f} s): {cand} "
            f"{res['cand_rps']:6.0f} req/s{extra}, bare locust {res['bare_rps']:6.0f} req/s, "
            f"ratio {per_round[-1]:.3f}; core 0 shares: {cand}'s Locust {res['cand_share']:.1%}, "
            f"bare {res['bare_share']:.1%}{parent}; CPU per request {res['cand_us']:.1f} vs "
            f"{res['bare_us']:.1f} us (bare/{cand} {per_cpu[-1]:.3f})",
            flush=True,
        )
    if cand == "bare":
        print(
            f"{label} per round: {', '.join(f'{x:.3f}' for x in per_round)}; median "
            f"{statistics.median(per_round):.3f}, range {min(per_round):.3f}-{max(per_round):.3f}"
        )
    else:
        print(lb.verdict_line(label, per_round, E2E_TARGET))
    rounds = ", ".join(f"{x:.3f}" for x in per_cpu)
    print(
        f"  cross-check, CPU per request of the Locust processes, bare/{cand}: {rounds} "
        f"(median {statistics.median(per_cpu):.3f})"
    )
    if cand == "bare":
        return True
    print(f"every request captured: {'yes' if not lost else 'NO (MISSED): ' + '; '.join(lost)}")
    return lb.verdict(per_round, E2E_TARGET) == "MET" and not lost


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds per trial (default 10)")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    ap.add_argument("--users", type=int, default=20, help="Locust users (default 20)")
    ap.add_argument(
        "--only",
        choices=["capture", "interleaved", "e2e"],
        help="only the separate-process comparison (capture), the interleaved one, or end to end",
    )
    ap.add_argument(
        "--phase",
        type=float,
        default=0.1,
        help="interleaved: seconds the capture stays on or off at a time (default 0.1)",
    )
    ap.add_argument(
        "--round",
        type=float,
        default=ROUND_S,
        help=f"interleaved: seconds per round (default {ROUND_S:.0f}; longer rounds, less noise)",
    )
    ap.add_argument(
        "--parts",
        default=",".join(PARTS),
        help="interleaved: what to switch, of record,guard,flush, or none (default all: the "
        "whole capture; without flush, batches are written only at 20,000 rows)",
    )
    ap.add_argument(
        "--e2e-duration",
        type=int,
        default=30,
        help="end to end: seconds of pockit run's load per round (default 30; its first 2 s are "
        "not counted)",
    )
    ap.add_argument(
        "--e2e-aa",
        action="store_true",
        help="end to end: a second bare locust in place of pockit run (the side-by-side "
        "method's own noise; no target)",
    )
    ap.add_argument(
        "--memory-run",
        type=int,
        default=0,
        metavar="S",
        help="instead: one pockit run of S seconds, printing the Locust process's RSS every 10 s",
    )
    args = ap.parse_args()
    unknown = set(args.parts.split(",")) - {*PARTS, "none"}
    if unknown:
        ap.error(f"--parts: unknown {', '.join(sorted(unknown))} (use {','.join(PARTS)} or none)")
    if not lb.require_nginx():
        return 1
    lb.pin_self(-1)  # this process's polling on nginx's core, away from the Locust being measured
    met: dict[str, bool] = {}
    with tempfile.TemporaryDirectory(prefix="pockit-bench-") as raw:
        tmp = Path(raw)
        (tmp / "locustfile.py").write_text(lb.locustfile())
        with lb.running_nginx(tmp) as host:
            if args.memory_run:
                res = trial("pockit", host, tmp, args.memory_run, args.users, 0)
                series = ", ".join(f"{mb:.0f}" for mb in res["rss_by_10s"])  # type: ignore[attr-defined]
                print(
                    f"{args.memory_run}s run, {res['requests']:.0f} requests ({res['rps']:.0f} req/s), "
                    f"captured {res['captured']:.0f}; RSS every 10 s (MB): {series}"
                )
                return 0
            print(
                f"nginx at {host}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} "
                "at the start (a busy machine makes every ratio noisier)"
            )
            if args.only in (None, "capture"):
                met["every request captured"] = in_process(host, tmp, args)
            if args.only in (None, "interleaved"):
                met["capture within 1.5% of bare Locust (interleaved)"] = interleaved(
                    host, tmp, args
                )
            if args.only in (None, "e2e"):
                if met:
                    print()
                (tmp / "nginx-b").mkdir()
                with lb.running_nginx(tmp / "nginx-b") as host_b:
                    met["pockit run >= 97% of bare locust"] = end_to_end((host, host_b), tmp, args)
    missed = [k for k, ok in met.items() if not ok]
    print("\nnot met (MISSED or NOISY): " + "; ".join(missed) if missed else "\nall targets met")
    return 1 if missed else 0


if __name__ == "__main__":
    lb.run(main)
