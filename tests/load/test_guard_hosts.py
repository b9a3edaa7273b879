"""guardrails.allowed_hosts holds inside the locustfile too: an absolute URL to another host is refused
before it is sent, shows as a failed request, and run.json and events.jsonl say so."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl
import pytest

from pockit._rundir import RunDir
from pockit.demo._service import DemoService
from pockit.load import run_candidate
from tests.contract.checks import follows_contract, risk_items

from .conftest import served

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two() -> Iterator[DemoService]:
    with DemoService(variants=("baseline", "async")) as svc:
        yield svc


def test_absolute_url_to_a_disallowed_host_is_refused(
    two: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    allowed = f"http://localhost:{urlsplit(two.url('baseline')).port}"
    offsite = two.url("async")  # 127.0.0.1: not in allowed_hosts below
    locustfile = tmp_path / "offsite.py"
    locustfile.write_text(
        "from locust import HttpUser, task, constant\n"
        "from locust.contrib.fasthttp import FastHttpUser\n"
        "class Plain(HttpUser):\n"
        "    wait_time = constant(0.1)\n"
        "    @task\n"
        "    def t(self):\n"
        "        self.client.get('/api/items', name='home')\n"
        f"        self.client.get('{offsite}/api/items', name='offsite')\n"
        "class Fast(FastHttpUser):\n"
        "    wait_time = constant(0.1)\n"
        "    @task\n"
        "    def t(self):\n"
        "        self.client.get('/api/items', name='home')\n"
        f"        self.client.get('{offsite}/api/items', name='offsite')\n"
    )
    spec = make_spec(
        {"baseline": allowed},
        load={"locustfile": str(locustfile), "users": 2, "duration": "2s"},
        guardrails={"allowed_hosts": ["localhost"]},
    )
    before_off, before_home = served(offsite), served(two.url("baseline"))
    [path] = run_candidate(spec, "baseline", runs_dir=tmp_path / "runs", progress=False)
    assert served(offsite) == before_off, "a request reached the disallowed host"
    assert served(two.url("baseline")) > before_home
    run = RunDir.open(path)
    df = run.read_samples()
    refused = df.filter(pl.col("name") == "offsite")
    assert refused.height > 0 and not refused["ok"].any()
    assert set(refused["error"].cast(pl.String).to_list()) == {
        "refused by pockit guardrails: host '127.0.0.1' not in allowed_hosts"
    }
    assert df.filter(pl.col("name") == "home")["ok"].all()
    meta = run.meta
    assert meta["guardrail_refused"] == {"127.0.0.1": refused.height}
    assert "refused by guardrails.allowed_hosts" in meta["stop_reason"]
    guard = [e for e in run.events() if e["kind"] == "guardrail"]
    assert guard and all(e["rule"] == "allowed_hosts" and e["host"] == "127.0.0.1" for e in guard)
    follows_contract(run)
    assert any("guardrails.allowed_hosts acted" in t for t in risk_items(run)["guardrail"])
