"""Billing attributed through a real FOCUS export: no matching rows is missing data, not $0."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np

from pockit.decision import candidate_costs, decide
from pockit.sources import write_focus_export
from pockit.spec import Spec
from tests.analysis.helpers import T0, make_run, make_spec

SPEC = """\
name: billing
hypothesis: the service costs under a cent per 1k requests
candidates:
  - {{name: good, host: "http://127.0.0.1:1", tags: {{poc: good}}}}
  - {{name: typo, host: "http://127.0.0.1:2", tags: {{poc: gdoo}}}}
  - {{name: taxonly, host: "http://127.0.0.1:3", tags: {{poc: taxonly}}}}
load: {{locustfile: l.py}}
criteria:
  - {{metric: cost_per_1k_usd, op: "<=", threshold: 0.01{extra}}}
cost: {{source: billing.csv}}
"""


def _setup(tmp_path: Path, extra: str = "") -> tuple[Spec, list[Path]]:
    folder = tmp_path / "spec"
    folder.mkdir(parents=True, exist_ok=True)
    start, end = T0 - timedelta(hours=1), T0 + timedelta(hours=2)
    write_focus_export(
        folder / "billing.csv",
        [
            {
                "start": start,
                "end": end,
                "service": "AWS Lambda",
                "cost": 0.03,
                "tags": {"poc": "good"},
            },
            {
                "start": start,
                "end": end,
                "service": "Tax",
                "cost": 0.01,
                "tags": {"poc": "taxonly"},
                "charge_category": "Tax",
            },
        ],
    )
    spec = make_spec(folder, SPEC.format(extra=extra))
    lat = np.full(3000, 20.0)
    runs = [make_run(tmp_path / "runs", n, lat).path for n in ("good", "typo", "taxonly")]
    return spec, runs


def test_no_matching_billing_rows_is_missing_data_not_zero_cost(tmp_path: Path) -> None:
    spec, runs = _setup(tmp_path)
    costs = candidate_costs(spec, runs)
    assert costs["good"].ok and costs["good"].rows > 0 and costs["good"].total > 0
    typo = costs["typo"]
    assert not typo.ok and "no billing rows matched tags" in str(typo.problem)
    assert "'poc': 'gdoo'" in str(typo.problem) and "check the candidate's tags" in str(
        typo.problem
    )
    tax = costs["taxonly"]
    assert not tax.ok and "Usage" in str(tax.problem)

    d = decide(spec, runs)
    by = {c.candidate: c for c in d.criteria}
    assert by["good"].outcome == "PASS"
    assert (
        by["typo"].outcome == "INCONCLUSIVE" and "check the candidate's tags" in by["typo"].reason
    )
    assert by["taxonly"].outcome == "INCONCLUSIVE"
    assert d.candidates["typo"].verdict == "INCONCLUSIVE"


def test_no_matching_billing_rows_fails_with_on_missing_fail(tmp_path: Path) -> None:
    spec, runs = _setup(tmp_path, ", on_missing: fail")
    by = {c.candidate: c for c in decide(spec, runs).criteria}
    assert by["typo"].outcome == "FAIL" and "on_missing: fail" in by["typo"].reason
    assert by["good"].outcome == "PASS"
