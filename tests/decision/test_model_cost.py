"""cost.source: model — a price book prices each run at its measured request rate."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from pockit.decision import candidate_costs, decide
from pockit.sources import PriceBook
from tests.analysis.helpers import make_run, make_spec

PRICES = """\
currency: USD
candidates:
  containers:
    per_instance_hour: 0.10
    rps_per_instance: 100
    min_instances: 2
  lambda:
    per_request: 0.0000002
    per_gb_second: 0.0000166667
    memory_gb: 0.5
    duration_ms: 100
"""

SPEC = """\
name: model
hypothesis: serverless is cheaper at this rate
candidates:
  - {name: containers, host: "http://127.0.0.1:1"}
  - {name: serverless, host: "http://127.0.0.1:2", tags: {poc: lambda}}
  - {name: unpriced, host: "http://127.0.0.1:3"}
load: {locustfile: l.py}
criteria:
  - {metric: cost_per_1k_usd, op: "<=", threshold: 0.00107}
cost: {source: model, price_book: prices.yaml}
"""


def test_model_costs_per_candidate(tmp_path: Path) -> None:
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "prices.yaml").write_text(PRICES)
    spec = make_spec(tmp_path / "spec", SPEC)
    lat = np.full(3000, 50.0)  # 3,000 requests in 60 s: 50 req/s
    runs = [
        make_run(tmp_path / "runs", name, lat).path
        for name in ("containers", "serverless", "unpriced")
    ]

    costs = candidate_costs(spec, runs)
    book = PriceBook.load(tmp_path / "spec" / "prices.yaml")
    # containers: 2 instances (min) at $0.10/h for 60 s
    assert math.isclose(costs["containers"].total, 2 * 0.10 * 60 / 3600)
    # serverless is priced by its tag value 'lambda'
    assert math.isclose(costs["serverless"].total, book.cost_per_hour("lambda", 50.0) * 60 / 3600)
    assert "no entry for 'unpriced'" in str(costs["unpriced"].problem)
    assert costs["containers"].column == "model" and "not billed" in costs["containers"].notes[0]
    assert math.isclose(sum(costs["containers"].by_service.values()), costs["containers"].total)

    decision = decide(spec, runs).to_dict()
    by = {c["candidate"]: c for c in decision["criteria"]}
    assert by["containers"]["outcome"] == "FAIL"  # $0.00111 per 1k at 50 req/s; serverless $0.00103
    assert math.isclose(by["containers"]["estimate"], book.cost_per_1k("containers", 50.0))
    assert by["serverless"]["outcome"] == "PASS"
    assert by["unpriced"]["outcome"] == "INCONCLUSIVE"


def test_unreadable_price_book_is_inconclusive(tmp_path: Path) -> None:
    spec = make_spec(tmp_path / "spec", SPEC)  # no prices.yaml written
    runs = [make_run(tmp_path / "runs", "containers", np.full(100, 5.0)).path]
    cost = candidate_costs(spec, runs)["containers"]
    assert not cost.ok and "cannot read the price book" in str(cost.problem)
