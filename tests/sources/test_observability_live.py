"""Headroom, observability coverage and cardinality from a real Prometheus scraping the real demo.

The demo serves with 4 slots and 40 ms added to each request; two client threads keep about two
slots busy for a few seconds (plain requests, loopback only, bounded), so utilisation is about
0.5 and headroom about 0.5. Prometheus scrapes the demo and one port where nothing listens, so a
service listed by that port is not instrumented.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from pockit.decision import decide
from pockit.demo._prometheus import PrometheusServer, prometheus_binary
from pockit.sources import attach_observability, attach_spec_metrics
from pockit.spec import parse_spec
from tests._typed import number
from tests.analysis.helpers import make_run

from .conftest import free_port

pytestmark = pytest.mark.slow

LOAD_S = 8.0
UTILISATION = 'demo_slots_busy{variant="{candidate}"} / (demo_slots{variant="{candidate}"} > 0)'


@dataclass(frozen=True)
class Scraped:
    demo: str  # the demo's instance label
    dead: str  # a target nobody serves
    prom: str  # Prometheus URL
    start: datetime
    end: datetime
    latencies: tuple[float, ...]


def _load(url: str, seconds: float, threads: int = 2) -> list[float]:
    """``threads`` clients in a loop for ``seconds``, one request in flight each."""
    stop = time.monotonic() + seconds
    out: list[float] = []

    def client() -> None:
        with requests.Session() as session:
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                session.get(f"{url}/api/items", timeout=5)
                out.append((time.perf_counter() - t0) * 1000)

    pool = [threading.Thread(target=client) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=seconds + 30)
    return out


def _scraping(prom: str, instance: str, timeout_s: float = 20.0) -> None:
    """Wait until Prometheus has scraped ``instance`` twice (ready is not yet scraping)."""
    query = f'count_over_time(up{{instance="{instance}"}}[1m])'
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = requests.get(f"{prom}/api/v1/query", params={"query": query}, timeout=2).json()
        res = got.get("data", {}).get("result", [])
        if res and float(res[0]["value"][1]) >= 2:
            return
        time.sleep(0.3)
    pytest.fail(f"Prometheus did not scrape {instance} within {timeout_s:g} s")


@pytest.fixture(scope="module")
def scraped() -> Iterator[Scraped]:
    from pockit.demo import DemoService

    if prometheus_binary() is None:
        pytest.fail("Debian's prometheus is not installed (make test installs it)")
    dead = f"127.0.0.1:{free_port()}"
    with DemoService(variants=("async",), slots=4, latency_ms=40) as svc:
        url = svc.urls["async"]
        demo = url.removeprefix("http://").rstrip("/")
        with PrometheusServer([url, dead]) as prom:
            _scraping(prom.url, demo)
            start = datetime.now(UTC)
            latencies = _load(url, LOAD_S)
            end = datetime.now(UTC)
            time.sleep(2.5)  # the last scrapes of the load land
            yield Scraped(demo, dead, prom.url, start, end, tuple(latencies))


def _spec(tmp: Path, prom: str, services: list[str], criteria: str) -> Path:
    path = tmp / "poc.yaml"
    path.write_text(
        f"""name: obs
hypothesis: the demo has room left and is watched
candidates: [{{name: async, host: "http://127.0.0.1:1"}}]
metrics:
  - {{kind: prometheus, name: slots, url: "{prom}", query: '{UTILISATION}', step: 1s}}
observability: {{url: "{prom}", services: {services}, step: 1s}}
criteria:
{criteria}"""
    )
    return path


def _run(tmp: Path, s: Scraped, spec_path: Path) -> Path:
    seconds = (s.end - s.start).total_seconds()
    run = make_run(tmp / "runs", "async", list(s.latencies), start=s.start, duration_s=seconds)
    spec = parse_spec(spec_path.read_bytes(), path=spec_path)
    assert attach_spec_metrics(run.path, spec.metrics, pad_s=0) == {"slots": "ok"}
    assert spec.observability is not None
    assert attach_observability(run.path, spec.observability, pad_s=0) == "ok"
    return run.path


CRITERIA = """  - {metric: "headroom:slots", op: ">=", threshold: 0.2}
  - {metric: observability_coverage, op: ">=", threshold: 1}
  - {metric: cardinality_peak, op: "<", threshold: 100000}
  - {metric: cardinality_growth, op: "<=", threshold: 10}
"""


def test_every_listed_service_scraped(scraped: Scraped, tmp_path: Path) -> None:
    spec_path = _spec(tmp_path, scraped.prom, [scraped.demo], CRITERIA)
    run = _run(tmp_path, scraped, spec_path)
    d = decide(parse_spec(spec_path.read_bytes(), path=spec_path), [run])
    headroom, coverage, peak, growth = d.criteria
    # two of four slots busy: utilisation about 0.5 at its P95, so about half the room left
    assert 0.3 <= headroom.estimate <= 0.8, headroom.reason
    assert headroom.n >= LOAD_S - 2 and headroom.ci_low <= headroom.estimate <= headroom.ci_high
    assert coverage.estimate == 1.0 and coverage.outcome == "PASS", coverage.reason
    assert growth.outcome == "PASS" and growth.estimate >= 0, growth.reason

    # the peak is Prometheus's own count, asked at each second of the load window
    params: dict[str, str | float] = {
        "query": 'count({__name__=~".+"})',
        "start": scraped.start.timestamp(),
        "end": scraped.end.timestamp(),
        "step": 1,
    }
    got = requests.get(f"{scraped.prom}/api/v1/query_range", params=params, timeout=5).json()
    own = got["data"]["result"][0]["values"]
    assert peak.estimate == max(float(v) for _, v in own), peak.reason
    assert peak.outcome == "PASS" and peak.estimate > 10  # demo series, up, scrape_* series


def test_a_listed_service_not_scraped_halves_coverage(scraped: Scraped, tmp_path: Path) -> None:
    crit = '  - {metric: observability_coverage, op: ">=", threshold: 1}\n'
    spec_path = _spec(tmp_path, scraped.prom, [scraped.demo, scraped.dead], crit)
    run = _run(tmp_path, scraped, spec_path)
    [coverage] = decide(parse_spec(spec_path.read_bytes(), path=spec_path), [run]).criteria
    assert coverage.estimate == 0.5 and coverage.outcome == "FAIL"
    assert f"not instrumented: {scraped.dead}" in coverage.reason
    per = coverage.details["services"][scraped.dead]
    assert per["instrumented"] is False and number(per["points"]) >= 1  # up == 0: tried, failed


def test_unreachable_prometheus_is_inconclusive(scraped: Scraped, tmp_path: Path) -> None:
    gone = f"http://127.0.0.1:{free_port()}"
    spec_path = _spec(tmp_path, gone, [scraped.demo], CRITERIA)
    seconds = (scraped.end - scraped.start).total_seconds()
    run = make_run(
        tmp_path / "runs", "async", list(scraped.latencies), start=scraped.start, duration_s=seconds
    )
    spec = parse_spec(spec_path.read_bytes(), path=spec_path)
    assert "cannot reach Prometheus" in attach_spec_metrics(run.path, spec.metrics)["slots"]
    assert spec.observability is not None
    assert "cannot reach Prometheus" in attach_observability(run.path, spec.observability)
    errors = run.meta["metrics_errors"]
    assert set(errors) == {"slots", "observability"}  # the second fetch keeps the first's error
    d = decide(spec, [run.path])
    assert [c.outcome for c in d.criteria] == ["INCONCLUSIVE"] * 4
    for c in d.criteria:
        assert "cannot reach Prometheus" in c.reason, c.reason
    assert d.verdict == "INCONCLUSIVE"


def test_pockit_run_fetches_them_when_the_run_ends(scraped: Scraped, tmp_path: Path) -> None:
    """The whole path: a real Locust run of a spec with every new criterion, the fetch when the
    run ends (``pockit run``'s own), and the decision on what it stored."""
    from pockit.demo._run import demo_locustfile
    from pockit.load import run_spec

    spec_path = tmp_path / "poc.yaml"
    spec_path.write_text(
        f"""name: obs-run
hypothesis: the demo has room left and is watched
candidates: [{{name: async, host: "http://{scraped.demo}"}}]
load: {{locustfile: "{demo_locustfile()}", users: 4, spawn_rate: 4, duration: 6s}}
metrics:
  - {{kind: prometheus, name: slots, url: "{scraped.prom}", query: '{UTILISATION}', step: 1s}}
observability: {{url: "{scraped.prom}", services: ["{scraped.demo}", "{scraped.dead}"]}}
guardrails: {{allowed_hosts: [127.0.0.1]}}
criteria:
{CRITERIA}"""
    )
    spec = parse_spec(spec_path.read_bytes(), path=spec_path)
    [run] = run_spec(spec, runs_dir=tmp_path / "runs", progress=False)
    headroom, coverage, peak, growth = decide(spec, [run]).criteria
    assert coverage.estimate == 0.5 and coverage.outcome == "FAIL", coverage.reason
    assert peak.outcome == "PASS" and peak.estimate > 10, peak.reason
    assert growth.outcome == "PASS", growth.reason
    # a few seconds of 1 s scrapes: an estimate, but too few points for a finite bound
    assert 0.0 <= headroom.estimate <= 1.0 and headroom.n >= 3, headroom.reason
    assert headroom.outcome == "INCONCLUSIVE" and "needs ≥ 59" in headroom.reason
