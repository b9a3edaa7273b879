"""A spec whose cost source cannot be reached: `pockit report` still builds and says cost is missing.

Real CLI subprocess (papermill + nbconvert); the unreachable S3 endpoint is a closed port on
127.0.0.1, so boto3 gets a real connection refusal. The cost path is the one ``decide`` uses
(:func:`pockit.decision.candidate_costs`), checked here to agree with the report.
"""

from __future__ import annotations

import json
import math
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pockit.decision import candidate_costs, decide
from pockit.report import check_html
from pockit.spec import load_spec

from .conftest import make_run

SPEC = """\
name: cost-missing
hypothesis: "Async is cheaper than $0.05 per 1k requests."
candidates:
  - name: baseline
    host: http://127.0.0.1:9
    tags: {{poc: cm-baseline}}
  - name: async
    host: http://127.0.0.1:9
    tags: {{poc: cm-async}}
load:
  locustfile: {locustfile}
  users: 5
  duration: 10s
criteria:
  - {{metric: latency_p95_ms, op: "<", threshold: 300, key: true}}
  - {{metric: cost_per_1k_usd, op: "<=", threshold: 0.05}}
cost:
  source: {source}
  format: focus
"""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def _setup(tmp_path: Path, source: str) -> tuple[Path, list[Path]]:
    (tmp_path / "locustfile.py").write_text("x = 1\n")
    spec = tmp_path / "poc.yaml"
    spec.write_text(SPEC.format(locustfile=tmp_path / "locustfile.py", source=source))
    runs = [
        make_run(tmp_path / "runs", "baseline", n=300, seed=5, fault_at_s=None).path,
        make_run(
            tmp_path / "runs",
            "async",
            n=300,
            seed=6,
            fault_at_s=None,
            start=datetime(2026, 1, 5, 10, 1, tzinfo=UTC),
        ).path,
    ]
    return spec, runs


@pytest.mark.parametrize(
    ("source", "said"),
    [("billing/not-there.csv", "not-there.csv"), ("s3://pockit-closed/billing.csv", "127.0.0.1")],
    ids=["missing-file", "s3-closed-port"],
)
def test_unreachable_cost_source_still_builds_and_says_so(
    tmp_path: Path, s3_env: dict[str, str], source: str, said: str
) -> None:
    spec, runs = _setup(tmp_path, source)
    # the decision and the report share one cost path: both see the same problem
    costs = candidate_costs(load_spec(spec), runs)
    assert set(costs) == {"baseline", "async"}
    for cost in costs.values():
        assert not cost.ok and math.isnan(cost.total) and said in str(cost.problem)
    decision = decide(load_spec(spec), runs, costs=costs)
    assert {c.outcome for c in decision.criteria if c.metric == "cost_per_1k_usd"} == {
        "INCONCLUSIVE"
    }

    out = tmp_path / "report.html"
    proc = subprocess.run(
        [sys.executable, "-m", "pockit", "report", str(spec), *map(str, runs)]
        + ["--out", str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 2, proc.stderr[-3000:]  # INCONCLUSIVE: cost could not be judged
    assert json.loads(proc.stdout)["verdict"] == "INCONCLUSIVE"
    html = out.read_text()
    assert check_html(html) == []
    assert "cost unknown" in html and said in html
    assert html.count('<span class="outcome INCONCLUSIVE"') == 2
    assert "Cost criteria are INCONCLUSIVE" in html


def test_decide_attributes_the_same_cost_the_report_shows(tmp_path: Path) -> None:
    billing = tmp_path / "billing.csv"
    billing.write_text(
        "BilledCost,EffectiveCost,ListCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,"
        "ServiceName,ChargeCategory,Tags\n"
        "1.0,0.8,1.2,USD,2026-01-05T10:00:00Z,2026-01-05T11:00:00Z,AWS Lambda,Usage,"
        '"{""poc"": ""cm-async""}"\n'
        "2.0,1.6,2.4,USD,2026-01-05T10:00:00Z,2026-01-05T11:00:00Z,Amazon ECS,Usage,"
        '"{""poc"": ""cm-baseline""}"\n'
    )
    spec, runs = _setup(tmp_path, str(billing))
    loaded = load_spec(spec)
    costs = candidate_costs(loaded, runs)
    assert all(c.ok for c in costs.values()), {k: c.problem for k, c in costs.items()}
    assert costs["async"].by_service and "AWS Lambda" in costs["async"].by_service
    own = {
        c.candidate: c.estimate
        for c in decide(loaded, runs).criteria
        if c.metric.startswith("cost")
    }
    given = {
        c.candidate: c.estimate
        for c in decide(loaded, runs, costs=costs).criteria
        if c.metric.startswith("cost")
    }
    assert own == given and own["async"] == pytest.approx(
        costs["async"].total / 300 * 1000, rel=1e-9
    )
