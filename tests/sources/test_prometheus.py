"""Prometheus query_range against a real Prometheus scraping the real demo service on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
import requests

from pockit._errors import SourceError
from pockit._rundir import RunDir, iso
from pockit.demo._prometheus import PrometheusServer, prometheus_binary
from pockit.sources import (
    attach_metrics,
    attach_spec_metrics,
    fetch_prometheus,
    load_attached_metrics,
    read_metrics,
)
from pockit.spec import MetricSource
from tests._typed import number

from .conftest import DATASETS, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_url() -> Iterator[str]:
    from pockit.demo import DemoService

    with DemoService(variants=("async",)) as svc:
        yield svc.urls["async"]


@pytest.fixture(scope="module")
def prometheus(demo_url: str) -> Iterator[str]:
    if prometheus_binary() is None:
        pytest.fail(
            "Debian's prometheus is not installed (make test installs it): apt-get install prometheus"
        )
    with PrometheusServer([demo_url]) as prom:
        yield prom.url


def _wait_for_samples(url: str, query: str, n: int, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        body = requests.get(
            f"{url}/api/v1/query", params={"query": f"count_over_time(({query})[1m:1s])"}, timeout=2
        ).json()
        res = body.get("data", {}).get("result", [])
        if res and float(res[0]["value"][1]) >= n:
            return
        time.sleep(0.5)
    pytest.fail(f"prometheus has fewer than {n} samples of {query} after {timeout_s} s")


def test_query_range_from_live_server(prometheus: str, demo_url: str, tmp_path: Path) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    for _ in range(30):  # a little load, bounded, to loopback only
        requests.get(f"{demo_url}/api/items", timeout=2)
    query = "sum(demo_requests_total)"
    _wait_for_samples(prometheus, query, 3)
    end = datetime.now(UTC)
    frame = fetch_prometheus(
        prometheus, query, start=start, end=end, step_s=1.0, name="requests_total"
    )
    assert frame.height >= 2
    assert set(frame["metric"]) == {"requests_total"}
    values = frame.sort("ts")["value"].to_list()
    assert values == sorted(values) and values[-1] >= 30  # a counter: never decreases
    # by-label series keep their labels as dimensions
    by = fetch_prometheus(prometheus, "demo_requests_total", start=start, end=end, step_s=1.0)
    dims = {d["key"]: d["value"] for d in by["dimensions"][0]}
    assert dims["variant"] == "async" and "endpoint" in dims and "__name__" not in dims

    run = RunDir.create(
        tmp_path / "runs",
        {"candidate": "async", "start": iso(start), "end": iso(end), "status": "completed"},
    )
    attach_metrics(run.path, prometheus, query=query, step_s=1.0, name="requests_total")
    stored = load_attached_metrics(run.path).collect()
    assert stored.height >= 2 and number(stored["t_offset_s"].min()) >= 0
    assert run.meta["metrics"]["metrics"] == ["requests_total"]


def test_bad_query_and_unreachable(prometheus: str) -> None:
    now = datetime.now(UTC)
    with pytest.raises(SourceError, match="rejected"):
        fetch_prometheus(prometheus, "sum(", start=now - timedelta(minutes=1), end=now)
    with pytest.raises(SourceError, match="cannot reach Prometheus"):
        fetch_prometheus(
            f"http://127.0.0.1:{free_port()}", "up", start=now - timedelta(minutes=1), end=now
        )


def test_exported_json_files() -> None:
    prom = read_metrics(DATASETS / "metrics" / "prometheus-query-range.json")
    assert prom.height == 4 * 240 and set(prom["source"]) == {"prometheus"}
    cw = read_metrics(DATASETS / "metrics" / "cloudwatch-getmetricdata.json")
    assert set(cw["metric"]) == {"Duration:p95", "Duration:Average", "Invocations:Sum"}
    ts = cw.schema["ts"]
    assert isinstance(ts, pl.Datetime) and ts.time_zone == "UTC"


def test_spec_metrics_attach_per_candidate_with_unit(
    prometheus: str, demo_url: str, tmp_path: Path
) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    for _ in range(30):  # a little load, bounded, to loopback only
        requests.get(f"{demo_url}/api/items", timeout=2)
    _wait_for_samples(prometheus, 'sum(demo_requests_total{variant="async"})', 3)
    end = datetime.now(UTC)
    run = RunDir.create(
        tmp_path / "runs",
        {"candidate": "async", "start": iso(start), "end": iso(end), "status": "completed"},
    )
    sources = [
        MetricSource(
            kind="prometheus",
            name="server_requests",
            url=prometheus,
            query='sum(demo_requests_total{variant="{candidate}"})',
            unit="requests",
        ),
        MetricSource(
            kind="prometheus", name="down", url=f"http://127.0.0.1:{free_port()}", query="up"
        ),
    ]
    outcome = attach_spec_metrics(run.path, sources)
    assert outcome["server_requests"] == "ok"
    assert "cannot reach Prometheus" in outcome["down"]
    assert "down" in run.meta["metrics_errors"]
    stored = load_attached_metrics(run.path).collect()
    assert set(stored["metric"]) == {"server_requests"}
    assert set(stored["unit"]) == {"requests"}
    dims = {d["key"]: d["value"] for d in stored["dimensions"][0]}
    assert dims["candidate"] == "async"
    assert number(stored["value"].max()) >= 30


def test_candidate_name_is_a_promql_string_value_not_query_text(
    prometheus: str, demo_url: str, tmp_path: Path
) -> None:
    """``{candidate}`` used to be pasted raw: a quote broke the query, and a crafted name rewrote it
    (here to read another candidate's series). Now the name is only ever a label value."""
    start = datetime.now(UTC) - timedelta(seconds=1)
    for _ in range(10):  # a little load, bounded, to loopback only
        requests.get(f"{demo_url}/api/items", timeout=2)
    _wait_for_samples(prometheus, 'sum(demo_requests_total{variant="async"})', 3)
    end = datetime.now(UTC)
    query = 'sum(demo_requests_total{variant="{candidate}"})'
    crafted = 'async"}) or vector(1) #'
    for name in ('it\'s "quoted" \\ tier', crafted, "async"):
        run = RunDir.create(
            tmp_path / "runs",
            {"candidate": name, "start": iso(start), "end": iso(end), "status": "completed"},
        )
        src = MetricSource(kind="prometheus", name="server_requests", url=prometheus, query=query)
        assert attach_spec_metrics(run.path, [src]) == {"server_requests": "ok"}
        stored = load_attached_metrics(run.path).collect()
        if name == "async":
            assert number(stored["value"].max()) >= 10
        else:  # no series carries that label value: nothing matched, nothing rewritten
            assert stored.height == 0, (name, stored)


def test_promql_substitution_escapes_for_the_quote_it_sits_in() -> None:
    from pockit.sources._prometheus import promql_substitute

    assert promql_substitute('up{job="{candidate}"}', 'a"b\\c') == 'up{job="a\\"b\\\\c"}'
    assert promql_substitute("up{job='{candidate}'}", "it's") == "up{job='it\\'s'}"
    assert promql_substitute("up{job={candidate}}", "x\ny") == 'up{job="x\\ny"}'
