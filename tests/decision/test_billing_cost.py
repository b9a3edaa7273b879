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


def _add_unreadable_row(path: Path) -> None:
    """Append a copy of the export's first row worth $99 over the whole export's span, whose Tags
    use single quotes."""
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    import csv
    import io

    row = next(csv.DictReader(io.StringIO("\n".join(lines[:2]))))
    ends = [r["ChargePeriodEnd"] for r in csv.DictReader(io.StringIO("\n".join(lines)))]
    row.update({"EffectiveCost": "99.0", "BilledCost": "99.0", "Tags": "{'poc': 'good'}"})
    row["ChargePeriodEnd"] = max(ends)
    out = io.StringIO()
    csv.DictWriter(out, fieldnames=header).writerow(row)
    path.write_text("\n".join(lines) + "\n" + out.getvalue())


def test_an_unreadable_tags_row_makes_the_cost_inconclusive_naming_the_row(
    tmp_path: Path,
) -> None:
    """Before: the $99 row matched no tag, cost per 1k PASSed and the candidate was GO."""
    spec, runs = _setup(tmp_path)
    _add_unreadable_row(tmp_path / "spec" / "billing.csv")
    costs = candidate_costs(spec, runs)
    assert not costs["good"].ok and "Tags is {'poc': 'good'}" in str(costs["good"].problem)
    d = decide(spec, runs)
    good = next(c for c in d.criteria if c.candidate == "good")
    assert good.outcome == "INCONCLUSIVE" and "billing.csv row " in good.reason
    assert d.candidates["good"].verdict != "GO"


def test_rows_counted_leniently_leave_the_cost_inconclusive(tmp_path: Path) -> None:
    from pockit.sources import attach_billing

    spec, runs = _setup(tmp_path)
    _add_unreadable_row(tmp_path / "spec" / "billing.csv")
    res = attach_billing(
        runs[0], tmp_path / "spec" / "billing.csv", tags={"poc": "good"}, lenient=True
    )
    assert res.unattributed_rows > 0 and res.unattributed_cost > 0
    cost = candidate_costs(spec, runs[:1])["good"]
    assert cost.unattributed_rows > 0 and "could not be attributed" in str(cost.problem)
    good = next(c for c in decide(spec, runs[:1], costs={"good": cost}).criteria)
    assert good.outcome == "INCONCLUSIVE" and "could not be attributed" in good.reason


def test_the_report_shows_the_figure_the_decision_judged(tmp_path: Path) -> None:
    """One cost path: the report's cost per 1k is the decision's estimate, not a recomputation."""
    from pockit.report import evidence as facts

    spec, runs = _setup(tmp_path)
    costs = candidate_costs(spec, runs)
    d = decide(spec, runs, costs=costs)
    shown = facts.cost_per_1k(costs, d)
    judged = {c.candidate: c.estimate for c in d.criteria if c.metric == "cost_per_1k_usd"}
    assert shown["good"] is not None and shown["good"] == judged["good"]
    assert shown["typo"] is None and shown["taxonly"] is None
    figs = facts.cost_per_1k(costs, d, figures=True)
    assert figs["good"].requests == d.candidates["good"].n
    assert facts.cost_problems(costs, d) == [
        f"{c}: cost unknown — {figs[c].problem}" for c in ("typo", "taxonly")
    ]


def test_a_non_finite_total_gives_no_figure_and_a_reason() -> None:
    import math

    from pockit.analysis import cost_per_1k
    from pockit.decision import CostFigure
    from pockit.decision._costs import coerce_cost
    from pockit.sources import cost_per_1k as alias

    assert alias is cost_per_1k  # the sources name is a deprecated alias of the one function
    assert math.isnan(cost_per_1k(math.inf, 10))
    fig = coerce_cost({"total": math.nan, "currency": "USD"}, 100)
    assert isinstance(fig, CostFigure) and fig.value is None
    assert fig.problem is not None and "not a finite number" in fig.problem


def test_billing_that_misses_the_runs_window_says_so_not_the_tags(tmp_path: Path) -> None:
    """Issue 13: tags that match, in an export of another period: the reason names both windows."""
    spec, runs = _setup(tmp_path)
    early = T0 - timedelta(days=3)
    write_focus_export(
        tmp_path / "spec" / "billing.csv",
        [
            {
                "start": early,
                "end": early + timedelta(hours=24),
                "service": "AWS Lambda",
                "cost": 0.03,
                "tags": {"poc": "good"},
            }
        ],
    )
    good = candidate_costs(spec, runs)["good"]
    reason = str(good.problem)
    assert not good.ok and "does not overlap the runs' window" in reason, reason
    assert "check the candidate's tags" not in reason
    assert early.strftime("%Y-%m-%d %H:%M") in reason and T0.strftime("%Y-%m-%d") in reason
    by = {c.candidate: c for c in decide(spec, runs).criteria}
    assert by["good"].outcome == "INCONCLUSIVE" and "does not overlap" in by["good"].reason
