"""The report model (issue 10): one call gathers what the report shows, as frozen typed values that
agree with the decision, and the headline survives the trip through the executed notebook."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pockit._rundir import RunDir
from pockit.decision import CostFigure, Decision
from pockit.report import ReportModel, build_model, render
from pockit.report.model import Headline, ParetoPoint, Reproducibility, Risk


def test_one_call_builds_the_whole_report_model(spec_path: Path, two_runs: list[RunDir]) -> None:
    model = build_model(spec_path, [r.path for r in two_runs], title="t", report_path="r/x.html")
    assert isinstance(model, ReportModel) and isinstance(model.decision, Decision)
    assert model.title == "t" and model.headline.title == "t"
    assert model.headline.verdict == str(model.decision.verdict)
    assert {r.path for r in model.runs} == {r.path for r in two_runs}
    assert set(model.stats_by_candidate) == {"baseline", "async"} == set(model.endpoint_stats)
    # the cost the report quotes is the figure the decision judged, per candidate
    assert all(isinstance(f, CostFigure) for f in model.cost_figures.values())
    judged = {
        c.candidate: c.estimate for c in model.decision.criteria if c.metric == "cost_per_1k_usd"
    }
    for cand, value in model.cost_per_1k.items():
        if cand in judged and value is not None:
            assert value == judged[cand]
    assert all(isinstance(p, ParetoPoint) for p in model.pareto)
    assert all(isinstance(r, Risk) for r in model.risks)
    assert isinstance(model.reproducibility, Reproducibility)
    assert model.reproducibility.commands[0].endswith("--out x.html")
    assert len(model.timeline) > 0 and set(model.latencies) == {"baseline", "async"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.title = "changed"  # type: ignore[misc]
    # drawing reads the model's typed values as it reads the dicts it was given before
    assert render.repro_appendix(model.reproducibility) == render.repro_appendix(
        model.reproducibility.to_dict()
    )


def test_headline_round_trips_and_tolerates_a_hostile_payload() -> None:
    head = Headline.from_dict(
        {"verdict": "GO", "criteria": [{"metric": "latency_p95_ms", "outcome": "PASS"}, "junk"]}
    )
    assert head.verdict == "GO" and head.criteria[0].outcome == "PASS"
    assert head.criteria[1].outcome is None  # a row that is not an object is kept, empty
    assert Headline.from_dict(head.to_dict()) == head
    assert Headline.from_dict(["not", "a", "dict"]) == Headline()
