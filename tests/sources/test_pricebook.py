"""The YAML price book: cost per 1k requests as a function of rate, and the break-even rate."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from pockit._errors import InputError, UsageError
from pockit.sources import PriceBook, break_even, cost_per_1k

from .conftest import DATASETS


def test_sample_pricebook_and_break_even() -> None:
    book = PriceBook.load(DATASETS / "pricebook.yaml")
    assert set(book.candidates) == {"checkout-baseline", "checkout-async"}
    # serverless: flat per request; containers: cheaper per request as the rate grows
    lo, hi = book.cost_per_1k("checkout-async", 1), book.cost_per_1k("checkout-async", 500)
    assert lo == pytest.approx(hi)
    assert book.cost_per_1k("checkout-baseline", 1) > book.cost_per_1k("checkout-baseline", 200)
    rate = break_even(book, "checkout-async", "checkout-baseline")
    assert rate is not None
    a, b = book.cost_per_1k("checkout-async", rate), book.cost_per_1k("checkout-baseline", rate)
    assert a == pytest.approx(b, rel=1e-6)
    assert book.cost_per_1k("checkout-async", rate * 0.5) < book.cost_per_1k(
        "checkout-baseline", rate * 0.5
    )


def test_exact_numbers_and_measured_usage() -> None:
    book = PriceBook.from_dict({"candidates": {
        "fn": {"per_request": 2e-7, "per_gb_second": 1e-5, "memory_gb": 1.0, "duration_ms": 100, "egress_gb_per_request": 1e-5, "per_gb_egress": 0.1},
        "vm": {"per_instance_hour": 0.36, "rps_per_instance": 10, "min_instances": 1},
    }})  # fmt: skip
    # per request: 2e-7 + 1.0*0.1*1e-5 + 1e-6 = 2.2e-6 → per 1k: 2.2e-3
    assert book.cost_per_1k("fn", 5) == pytest.approx(2.2e-3)
    assert book.cost_per_1k("fn", 5, {"duration_ms": 200}) == pytest.approx(3.2e-3)
    # vm at 10 rps: 1 instance, 0.36/h over 36,000 requests → 0.01 per 1k; at 11 rps two instances
    assert book.cost_per_1k("vm", 10) == pytest.approx(0.01)
    assert book.cost_per_1k("vm", 11) == pytest.approx(0.72 / (11 * 3.6))
    assert break_even(book, "fn", "vm", hi_rps=1.0) is None
    with pytest.raises(UsageError, match="no candidate"):
        book.cost_per_1k("nope", 1)
    with pytest.raises(UsageError, match="> 0"):
        book.cost_per_1k("fn", 0)


def test_bad_pricebook_names_the_field(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text("candidates:\n  fn:\n    per_reqest: 1\n")
    with pytest.raises(InputError, match=r"candidates.fn: unknown field\(s\) per_reqest"):
        PriceBook.load(p)
    p.write_text("candidates:\n  fn:\n    per_request: -1\n")
    with pytest.raises(InputError, match="candidates.fn.per_request"):
        PriceBook.load(p)


def test_cost_per_1k_helper() -> None:
    assert cost_per_1k(0.5, 10_000) == pytest.approx(0.05)
    assert math.isnan(cost_per_1k(1.0, 0))
