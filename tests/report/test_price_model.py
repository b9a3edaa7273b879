"""A spec whose cost comes from a price book: the report projects cost per 1k and the break-even."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pockit._rundir import RunDir
from pockit.report import build_report
from tests.report.conftest import SPEC_TEXT

pytestmark = pytest.mark.slow

PRICES = """\
currency: USD
candidates:
  rt-baseline:            # always-on containers: cheap per request at high rates
    per_instance_hour: 0.10
    rps_per_instance: 200
    min_instances: 2
  rt-async:               # pay per request: cheap at low rates
    per_request: 0.0000002
    per_gb_second: 0.0000166667
    memory_gb: 1.0
    duration_ms: 200
"""


def test_price_book_projection_in_report(
    tmp_path: Path, run_factory: Callable[..., RunDir]
) -> None:
    (tmp_path / "prices.yaml").write_text(PRICES)
    (tmp_path / "locustfile.py").write_text("")
    spec = tmp_path / "poc.yaml"
    spec.write_text(
        SPEC_TEXT.format(locustfile=tmp_path / "locustfile.py").replace(
            "notes:",
            '  - {metric: cost_per_1k_usd, op: "<=", threshold: 0.01}\n'
            "cost: {source: model, price_book: prices.yaml}\nnotes:",
        )
    )
    runs = [
        run_factory("baseline", seed=1),
        run_factory("async", seed=2, start=datetime(2026, 1, 5, 10, 1, tzinfo=UTC)),
    ]
    result = build_report(spec, [r.path for r in runs], tmp_path / "report.html")
    html = Path(result.path).read_text()
    assert "Cost model from <code>prices.yaml</code>" in html
    assert "A projection from unit prices, not billed cost" in html
    # the containers and the per-request candidate cross over at a finite rate
    match = re.search(r"cost the same per 1k requests at <strong>([\d.,]+) req/s", html)
    assert match, "break-even rate missing"
    assert 1 < float(match.group(1).replace(",", "")) < 1000
    assert "Cost per 1k requests vs request rate" not in html  # a chart, not text: shown as PNG
    assert html.count("data:image/png") >= 8
