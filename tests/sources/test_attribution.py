"""attribute_cost: billing-lag coverage from usage rows, and hourly split of attributed cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from pockit.sources import attribute_cost, read_billing

HEAD = (
    "BilledCost,BillingCurrency,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,EffectiveCost,"
    "ProviderName,ResourceId,ServiceName,Tags\n"
)


def _row(cat: str, start: str, end: str, cost: float, provider: str = "AWS") -> str:
    tags = '"{""poc"": ""a""}"'
    return f"{cost},USD,{cat},{start},{end},{cost},{provider},r1,svc,{tags}\n"


def _usage_hours(day: str, hours: range, provider: str = "AWS") -> str:
    return "".join(
        _row("Usage", f"{day}T{h:02d}:00:00Z", f"{day}T{h + 1:02d}:00:00Z", 1.0, provider)
        for h in hours
    )


@pytest.mark.parametrize("category", ["Tax", "Purchase"])
def test_month_long_charge_does_not_count_as_landed_usage(tmp_path: Path, category: str) -> None:
    # usage has landed up to 12:00 on May 10; a month-long tax / RI fee row spans all of May
    path = tmp_path / "focus.csv"
    path.write_text(
        HEAD
        + _usage_hours("2026-05-10", range(0, 12))
        + _row(category, "2026-05-01T00:00:00Z", "2026-06-01T00:00:00Z", 31.0)
    )
    lf = read_billing(path)
    r = attribute_cost(lf, start="2026-05-10T10:00:00Z", end="2026-05-10T14:00:00Z")
    assert r.covers_window is False
    assert r.export_end == datetime(2026, 5, 10, 12, tzinfo=UTC)
    assert any("usage line items" in n and "not have landed" in n for n in r.notes)
    assert any("do not count as landed billing" in n for n in r.notes)
    # inside the landed usage the window is covered, even with the month-long row around it
    ok = attribute_cost(lf, start="2026-05-10T09:00:00Z", end="2026-05-10T12:00:00Z")
    assert ok.covers_window is True


def test_coverage_is_per_provider(tmp_path: Path) -> None:
    path = tmp_path / "focus.csv"
    path.write_text(
        HEAD
        + _usage_hours("2026-05-10", range(0, 20), "AWS")
        + _usage_hours("2026-05-10", range(0, 11), "Microsoft")
    )
    r = attribute_cost(read_billing(path), start="2026-05-10T10:00:00Z", end="2026-05-10T12:00:00Z")
    assert r.covers_window is False
    assert any("Microsoft to 2026-05-10T11:00:00+00:00" in n for n in r.notes)


def test_no_usage_rows_is_not_covered(tmp_path: Path) -> None:
    path = tmp_path / "focus.csv"
    path.write_text(HEAD + _row("Tax", "2026-05-01T00:00:00Z", "2026-06-01T00:00:00Z", 31.0))
    t0 = datetime(2026, 5, 10, tzinfo=UTC)
    r = attribute_cost(read_billing(path), start=t0, end=t0 + timedelta(hours=1))
    assert r.covers_window is False
    assert any("no usage line items" in n for n in r.notes)


def test_cost_explorer_estimated_bucket_is_not_covered(tmp_path: Path) -> None:
    import json

    from tests.sources.conftest import DATASETS

    data = json.loads((DATASETS / "billing" / "cost-explorer-response.json").read_text())
    data["ResultsByTime"][1]["Estimated"] = True  # 2026-05-05: today's bucket, still open
    path = tmp_path / "ce.json"
    path.write_text(json.dumps(data))
    lf = read_billing(path)
    today = attribute_cost(lf, start="2026-05-05T09:00:00Z", end="2026-05-05T10:00:00Z")
    assert today.rows == 2 and today.total > 0
    assert today.covers_window is False
    assert any("estimate that has not closed" in n for n in today.notes)
    assert today.cost_column == "AmortizedCost" and today.column == "effective"
    # the closed day before is still covered
    closed = attribute_cost(lf, start="2026-05-04T09:00:00Z", end="2026-05-04T10:00:00Z")
    assert closed.covers_window is True
    assert not any("estimate" in n for n in closed.notes)


def test_by_hour_spreads_prorated_rows_over_the_window_hours() -> None:
    from tests.sources.conftest import DATASETS

    # legacy CUR sample: hourly usage plus two-day Tax and Credit rows, prorated into the window
    lf = read_billing(DATASETS / "billing" / "cur-legacy.csv")
    t0, t1 = datetime(2026, 5, 4, 10, 30, tzinfo=UTC), datetime(2026, 5, 5, 2, 15, tzinfo=UTC)
    r = attribute_cost(lf, start=t0, end=t1)
    assert {"Tax", "Credit"} <= set(r.by_charge_category)
    hours = [datetime.fromisoformat(h["hour"].replace("Z", "+00:00")) for h in r.by_hour]
    assert hours == sorted(hours)
    assert all(t0 <= h < t1 for h in hours), hours
    assert hours[0] == t0 and hours[1] == datetime(2026, 5, 4, 11, tzinfo=UTC)
    assert len(hours) == 17  # 10:00 … 02:00
    assert sum(h["cost"] for h in r.by_hour) == pytest.approx(r.total)

    # one daily row: by_hour is the prorated cost in each hour of the window, not all at 00:00
    tax_only = attribute_cost(
        lf.filter(pl.col("charge_category") == "Tax"), start=t0, end=t0 + timedelta(hours=2)
    )
    tax = lf.filter(pl.col("charge_category") == "Tax").collect()["cost"].item()
    per_hour = tax / 48
    assert [h["hour"] for h in tax_only.by_hour] == [
        "2026-05-04T10:30:00Z",
        "2026-05-04T11:00:00Z",
        "2026-05-04T12:00:00Z",
    ]
    assert [h["cost"] for h in tax_only.by_hour] == pytest.approx(
        [per_hour / 2, per_hour, per_hour / 2]
    )
