"""What the load benchmarks share: a throw-away nginx on 127.0.0.1, CPU pinning, the verdict.

``bench_capture.py``, ``bench_workers.py`` and ``profile_capture.py`` load Debian's nginx (a target
fast enough that the load generator, not the server, is the bottleneck) with a config written into
a temporary folder: one worker process, a tiny static answer, keep-alive without limit, logs off.
:func:`running_nginx` starts it and stops it however the block ends.

:func:`verdict` is the rule every round-based target here follows: a target is met only when every
round clears it; when the rounds straddle it the figure is noise-bound, not met.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import traceback
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from pockit._contract import RunField, parse_iso

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

#: pockit's capture plugin, loaded by Locust beside the locustfile
CAPTURE = Path(__file__).resolve().parents[1] / "pockit" / "load" / "_capture.py"

_LOCUSTFILE = """
from locust import FastHttpUser, task

class Hammer(FastHttpUser):
    # no wait_time: Locust's default is no wait between tasks

    @task
    def hit(self):
        self.client.get({path!r})
"""


def locustfile(path: str = "/") -> str:
    """The load benchmarks' locustfile: FastHttpUser, no wait, GET ``path`` again and again."""
    return _LOCUSTFILE.format(path=path)


#: nginx's own request counter (``stub_status``): read from outside, it counts a Locust's requests
#: without adding any work to the Locust process
STATUS_PATH = "/nginx_status"

NGINX_CONF = """
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok\\n"; }}
        location = {status} {{ stub_status; }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin(cpu: int) -> list[str]:
    """taskset prefix running a command on one core (``-1``: the last), so nginx and the load
    generator do not trade places; empty on one core or without taskset."""
    n = os.cpu_count() or 1
    taskset = shutil.which("taskset")
    return [taskset, "-c", str(cpu % n)] if taskset and n > 1 else []


def pin_self(cpu: int) -> None:
    """Run this process on one core (``-1``: the last), when there is more than one; the children
    it starts with :func:`pin` go where they are told."""
    n = os.cpu_count() or 1
    if n > 1 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu % n})


def require_nginx() -> bool:
    """Whether nginx is installed; says how to get it when not."""
    if Path(NGINX).exists():
        return True
    print(
        f"nginx not found at {NGINX}: apt-get install nginx-light (make system-deps)",
        file=sys.stderr,
    )
    return False


def start_nginx(tmp: Path, cpu: int | None = -1) -> tuple[subprocess.Popen[bytes], str]:
    """nginx on a free loopback port (pinned to ``cpu`` unless None); the process and its URL."""
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, status=STATUS_PATH))
    prefix = pin(cpu) if cpu is not None else []
    proc = subprocess.Popen(
        [*prefix, NGINX, "-e", str(tmp / "error.log"), "-p", str(tmp), "-c", str(conf)]
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_nginx(proc)
                log = tmp / "error.log"
                raise SystemExit(
                    f"nginx did not start: {log.read_text() if log.exists() else ''}"
                ) from None
            time.sleep(0.05)


#: no proxy, whatever the environment says: the benchmarks talk to loopback only
_LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def served(host: str) -> int:
    """Requests nginx at ``host`` has answered so far (its ``stub_status`` counter, which counts
    these status requests too)."""
    with _LOOPBACK.open(f"{host}{STATUS_PATH}", timeout=5) as resp:
        text = resp.read().decode()
    # "Active connections: 1 \nserver accepts handled requests\n 3 3 42 \nReading: ..."
    return int(text.splitlines()[2].split()[2])


def stop_nginx(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def running_nginx(tmp: Path, cpu: int | None = -1) -> Iterator[str]:
    """nginx for the block's duration; yields its base URL (``http://127.0.0.1:PORT``)."""
    proc, host = start_nginx(tmp, cpu)
    try:
        yield host
    finally:
        stop_nginx(proc)


#: A benchmark that could not measure (nginx did not start, a load process failed or hung): not a
#: verdict, so neither 0 (met) nor 1 (missed), which ``make bench`` reads as such.
COULD_NOT_MEASURE = 3


def run(main: Callable[[], int]) -> NoReturn:
    """Exit with ``main()``'s status: 0 every target met, 1 one missed; COULD_NOT_MEASURE, with
    the reason on stderr, when it stopped before measuring (``SystemExit("why")``, an exception)."""
    try:
        code = main()
    except SystemExit as stop:
        if not isinstance(stop.code, str):
            raise
        print(f"could not measure: {stop.code}", file=sys.stderr)
        code = COULD_NOT_MEASURE
    except Exception:
        traceback.print_exc()
        print("could not measure: the benchmark failed (traceback above)", file=sys.stderr)
        code = COULD_NOT_MEASURE
    sys.exit(code)


def verdict(per_round: Sequence[float], target: float) -> str:
    """``MET`` when every round clears ``target`` (a ratio that must be >= it), ``MISSED`` when the
    median of the rounds does not, ``NOISY`` (not met) when the rounds straddle it.

    >>> verdict([0.99, 0.991], 0.985), verdict([0.97, 0.99, 0.98], 0.985)
    ('MET', 'MISSED')
    >>> verdict([0.98, 0.99, 0.99], 0.985)
    'NOISY'
    """
    if per_round and all(r >= target for r in per_round):
        return "MET"
    if not per_round or statistics.median(per_round) < target:
        return "MISSED"
    return "NOISY"


def verdict_line(label: str, per_round: Sequence[float], target: float) -> str:
    """Every round, the median and the verdict, on two lines."""
    med = statistics.median(per_round) if per_round else float("nan")
    word = verdict(per_round, target)
    why = {
        "MET": "every round clears the target",
        "MISSED": "the median misses the target",
        "NOISY": "not met: the rounds straddle the target (rerun on a quiet machine, more --rounds)",
    }[word]
    rounds = ", ".join(f"{r:.3f}" for r in per_round)
    return (
        f"{label} per round: {rounds}\n"
        f"{label}: median {med:.3f} (target >= {target}, range {min(per_round, default=0):.3f}-"
        f"{max(per_round, default=0):.3f}) {word}: {why}"
    )


#: The end-to-end spec: one candidate at the benchmark's nginx, guardrails on (loopback only; the
#: rate cap raised above what one machine sends, so it watches without stopping the run).
SPEC = """
name: bench-{tag}
hypothesis: pockit run against a loopback nginx, as fast as Locust goes.
candidates:
  - name: nginx
    host: {host}
load:
  locustfile: {locustfile}
  users: {users}
  spawn_rate: {spawn_rate}
  duration: {duration}s
criteria:
  - {{metric: success_rate, op: ">=", threshold: 0.99}}
guardrails:
  allowed_hosts: [127.0.0.1]
  max_rps: {max_rps}
"""
MAX_RPS = 40000


def start_pockit_run(
    tmp: Path,
    host: str,
    *,
    tag: str,
    users: int,
    duration: int,
    workers: int = 0,
    cpu: int | None = None,
    session: bool = False,
) -> tuple[subprocess.Popen[bytes], Path]:
    """Start one ``pockit run`` of a minimal spec (``--workers N`` when ``workers``), pinned to
    ``cpu`` unless None, in a session of its own when ``session`` (as from its own terminal: the
    kernel's autogroup then shares a core between it and another session's process fairly); its
    process and work folder, for :func:`finish_pockit_run`."""
    work = tmp / tag
    work.mkdir()
    spec = work / "poc.yaml"
    spec.write_text(
        SPEC.format(
            tag=tag, host=host, locustfile=tmp / "locustfile.py", users=users,
            spawn_rate=users * 10, duration=duration, max_rps=MAX_RPS,
        )
    )  # fmt: skip
    cmd = [
        *(pin(cpu) if cpu is not None else []), sys.executable, "-m", "pockit", "run", str(spec),
        "--runs-dir", str(work / "runs"), "--no-progress", "--json",
        *(["--workers", str(workers)] if workers else []),
    ]  # fmt: skip
    # into files, not pipes: a caller polling something else meanwhile never blocks pockit's output
    with open(work / "stdout.json", "wb") as out, open(work / "stderr.log", "wb") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, start_new_session=session)
    return proc, work


def finish_pockit_run(
    proc: subprocess.Popen[bytes], work: Path, *, timeout: float
) -> dict[str, Any]:
    """Wait for a :func:`start_pockit_run` and read its figures from run.json: ``rps`` (captured
    samples / the load window), ``samples``, ``requests`` (Locust's count), ``window_s``,
    ``window`` (its start and end, epoch seconds), ``saturated`` (1.0 when the run says a load
    generator was CPU-bound), ``dropped`` (samples the capture says it dropped), ``workers_lost``;
    and ``locust_rps`` from Locust's own final statistics, as a cross-check. The work folder is
    removed once read."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise SystemExit(f"{work.name}: pockit run still running after {timeout:.0f} s") from None
    if proc.returncode != 0:
        err = (work / "stderr.log").read_text(errors="replace")
        raise SystemExit(f"{work.name}: pockit run exited {proc.returncode}:\n{err[-2000:]}")
    run_dir = Path(json.loads((work / "stdout.json").read_text())["runs"][0])
    meta = json.loads((run_dir / "run.json").read_text())
    counts, window = meta[RunField.COUNTS], meta[RunField.LOAD_WINDOW]
    entries = json.loads((run_dir / "locust" / "locust.json").read_text())
    shutil.rmtree(work, ignore_errors=True)
    return {
        "rps": counts["samples"] / window["seconds"],
        "samples": float(counts["samples"]),
        "requests": float(counts["locust_requests"]),
        "window_s": float(window["seconds"]),
        "window": (parse_iso(window["start"]).timestamp(), parse_iso(window["end"]).timestamp()),
        "saturated": 1.0 if meta.get(RunField.LOAD_GENERATOR_SATURATED) else 0.0,
        "dropped": float((meta.get(RunField.CAPTURE) or {}).get("dropped", 0)),
        "workers_lost": float(len(meta.get(RunField.WORKERS_LOST) or [])),
        "locust_rps": locust_rps(entries),
    }


def pockit_run(tmp: Path, host: str, **opts: Any) -> dict[str, Any]:
    """One ``pockit run`` of a minimal spec to its end (``opts``: :func:`start_pockit_run`'s):
    :func:`finish_pockit_run`'s figures."""
    proc, work = start_pockit_run(tmp, host, **opts)
    return finish_pockit_run(proc, work, timeout=opts["duration"] + 180)


def locust_rps(entries: list[dict[str, Any]]) -> float:
    """Requests/s by Locust's own final statistics (``--json-file``): requests over the span from
    the statistics' start to the last request."""
    requests = sum(e["num_requests"] for e in entries)
    span = max(e["last_request_timestamp"] for e in entries) - min(e["start_time"] for e in entries)
    return float(requests / span)


def locust_command(
    files: Sequence[str], host: str, users: int, duration: int, stats: Path
) -> list[str]:
    """Headless Locust with ``files`` (locustfile, plugins) against ``host`` for ``duration`` s, its
    final statistics written to ``stats``.json; every load benchmark starts Locust this way."""
    return [
        sys.executable, "-m", "locust", "-f", ",".join(files), "--headless", "--only-summary",
        "--host", host, "-u", str(users), "-r", str(users * 10), "-t", f"{duration}s",
        "--json-file", str(stats), "--exit-code-on-error", "0", "--skip-log-setup",
        "--loglevel", "WARNING",
    ]  # fmt: skip


def check_exit(variant: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Stop the benchmark with Locust's log tail when its process failed."""
    if proc.returncode != 0:
        raise SystemExit(f"{variant}: locust exited {proc.returncode}:\n{log.read_text()[-2000:]}")
