"""guardrails.max_budget_usd, projected from the spec's price book: refused up front or stopped live."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pockit._contract import StopCode
from pockit._errors import GuardrailError
from pockit._rundir import RunDir
from pockit.demo._service import DemoService
from pockit.load import run_candidate
from tests.contract.checks import follows_contract, risk_items

from .conftest import served

pytestmark = pytest.mark.slow

PRICES = "currency: USD\ncandidates:\n  async:\n    per_request: {price}\n"


def _spec(
    make_spec: Callable[..., Path], url: str, *, price: float, budget: float, load: dict[str, Any]
) -> Path:
    path = make_spec(
        {"async": url},
        load=load,
        cost={"source": "model", "price_book": "prices.yaml"},
        guardrails={"allowed_hosts": ["127.0.0.1"], "max_budget_usd": budget},
    )
    (path.parent / "prices.yaml").write_text(PRICES.format(price=price))
    return path


def test_open_model_over_budget_is_refused_before_any_request(
    make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    with DemoService(variants=("async",)) as svc:
        url = svc.url("async")
        spec = _spec(
            make_spec, url, price=0.01, budget=1.0,
            load={"duration": "10s", "shape": {"kind": "arrival_rate", "rate": 50}},
        )  # fmt: skip
        with pytest.raises(GuardrailError, match="projects \\$5.0000 by the price book"):
            run_candidate(spec, "async", runs_dir=tmp_path / "runs", progress=False)
        assert served(url) == 0
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_closed_model_is_stopped_when_projected_spend_passes_budget(
    make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    with DemoService(variants=("async",)) as svc:
        spec = _spec(
            make_spec, svc.url("async"), price=0.001, budget=0.05, load={"duration": "20s"}
        )
        with pytest.raises(GuardrailError, match="max_budget_usd reached"):
            run_candidate(spec, "async", runs_dir=tmp_path / "runs", progress=False)
    [path] = list((tmp_path / "runs").iterdir())
    run = RunDir.open(path)
    meta = run.meta
    assert meta["status"] == "aborted"
    assert "guardrails.max_budget_usd reached" in meta["stop_reason"]
    [event] = [e for e in run.events() if e["kind"] == "guardrail"]
    assert event["rule"] == "max_budget_usd" and event["spent_usd"] > 0.05
    # stopped long before the 20 s it was planned for, samples kept
    assert run.end is not None and (run.end - run.start).total_seconds() < 15
    assert run.read_samples().height > 0
    # the report's risks name the stop, read from what the run wrote (stop_code, guardrail event)
    assert follows_contract(run).stop_code is StopCode.MAX_BUDGET_USD
    risks = risk_items(run)
    assert any("status aborted" in t and "max_budget_usd reached" in t for t in risks["run"])
    assert any("stopped by guardrails.max_budget_usd" in t for t in risks["guardrail"])
    assert any("guardrails.max_budget_usd acted" in t for t in risks["guardrail"])
