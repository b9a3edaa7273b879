"""Every billing row counts: a row pockit cannot use is refused by name (or counted, leniently).

Each test here fed a hostile-but-plausible export to the real readers and attribution; on the old
code each was silently wrong (a $99 row with single-quoted tags left out and the cost PASSed; a
null currency summed into USD; NaN/Inf giving ``total: null`` with exit 0).
"""

from __future__ import annotations

import gzip
import json
import math
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pockit._errors import MixedCurrencyError, SourceError
from pockit.sources import attribute_cost, billing_schema, read_billing

T0, T1 = "2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z"
FOCUS_HEADER = (
    "ChargePeriodStart,ChargePeriodEnd,BillingCurrency,ServiceName,EffectiveCost,BilledCost,"
    "ListCost,ProviderName,ChargeCategory,Tags"
)


def _focus_row(cost: str = "1.0", currency: str = "USD", tags: str = '{"poc": "a"}') -> str:
    cell = '"' + tags.replace('"', '""') + '"'
    return f"{T0},{T1},{currency},AWS Lambda,{cost},{cost},{cost},AWS,Usage,{cell}"


def _focus(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "focus.csv"
    path.write_text("\n".join([FOCUS_HEADER, *rows]) + "\n")
    return path


def _cost(path: Path, **kw: Any) -> Any:
    return attribute_cost(read_billing(path), start=T0, end=T1, tags={"poc": "a"}, **kw)


def test_unreadable_tags_are_refused_naming_file_and_row(tmp_path: Path) -> None:
    path = _focus(tmp_path, _focus_row(), _focus_row("99.0", tags="{'poc': 'a'}"))
    with pytest.raises(SourceError) as err:
        _cost(path)
    text = str(err.value)
    assert f"{path} row 2: Tags is {{'poc': 'a'}}" in text
    assert "not a JSON object" in text and "--lenient-rows" in text


def test_lenient_mode_counts_the_unattributable_rows_and_their_cost(tmp_path: Path) -> None:
    path = _focus(tmp_path, _focus_row(), _focus_row("99.0", tags="{'poc': 'a'}"))
    res = _cost(path, lenient=True)
    assert res.total == pytest.approx(1.0)
    assert res.unattributed_rows == 1 and res.unattributed_cost == pytest.approx(99.0)
    assert not res.complete
    assert res.to_dict()["unattributed_cost"] == pytest.approx(99.0)
    assert any("could not be attributed" in n for n in res.notes)


def test_unreadable_tags_outside_the_window_do_not_matter(tmp_path: Path) -> None:
    late = _focus_row("99.0", tags="{'poc': 'a'}").replace(T0, "2026-05-02T10:00:00Z", 1)
    late = late.replace(T1, "2026-05-02T11:00:00Z", 1)
    res = _cost(_focus(tmp_path, _focus_row(), late))
    assert res.total == pytest.approx(1.0) and res.unattributed_rows == 0


def test_cost_cli_refuses_then_counts_leniently(tmp_path: Path, cli: Any) -> None:
    path = _focus(tmp_path, _focus_row(), _focus_row("99.0", tags="{'poc': 'a'}"))
    args = (str(path), "--start", T0, "--end", T1, "--tag", "poc=a", "--json")
    code, out, err = cli(*args)
    assert code == SourceError.exit_code and "row 2" in err and out == ""
    code, out, err = cli(*args, "--lenient-rows")
    data = json.loads(out)
    assert code == 0 and data["total"] == pytest.approx(1.0)
    assert data["unattributed_rows"] == 1 and data["unattributed_cost"] == pytest.approx(99.0)


@pytest.mark.parametrize("bad", ["NaN", "inf", "-Infinity", "12,5 USD"])
def test_non_finite_or_non_numeric_cost_is_refused(tmp_path: Path, bad: str) -> None:
    row = _focus_row(f'"{bad}"' if "," in bad else bad)
    path = _focus(tmp_path, _focus_row(), row)
    with pytest.raises(SourceError, match=rf"{path.name} row 2: EffectiveCost is "):
        _cost(path)
    with pytest.raises(SourceError, match="not a finite number"):
        _cost(path, lenient=True)  # no lenient mode for a cost: no total could be right


def test_nan_cost_in_focus_parquet_is_refused(tmp_path: Path) -> None:
    frame = pl.read_csv(_focus(tmp_path, _focus_row(), _focus_row()), infer_schema=False)
    frame = frame.with_columns(pl.Series("EffectiveCost", [1.0, math.nan]))
    path = tmp_path / "focus.parquet"
    frame.write_parquet(path)
    with pytest.raises(SourceError, match=r"focus.parquet row 2: EffectiveCost is NaN"):
        _cost(path)


def test_null_currency_beside_a_real_one_is_refused_unless_free(tmp_path: Path) -> None:
    with pytest.raises(MixedCurrencyError, match="no currency beside rows in USD"):
        _cost(_focus(tmp_path, _focus_row(), _focus_row("5.0", currency="")))
    free = _cost(_focus(tmp_path, _focus_row(), _focus_row("0", currency="")))
    assert free.total == pytest.approx(1.0) and free.currency == "USD"


CUR2_HEADER = (
    "line_item_usage_start_date,line_item_usage_end_date,line_item_unblended_cost,"
    "line_item_currency_code,line_item_product_code,resource_tags"
)


def test_cur2_csv_unreadable_resource_tags_are_refused(tmp_path: Path) -> None:
    good = f'{T0},{T1},1.0,USD,AWSLambda,"{{""user_poc"": ""a""}}"'
    bad = f"{T0},{T1},99.0,USD,AWSLambda,\"{{'user_poc': 'a'}}\""
    path = tmp_path / "cur2.csv.gz"
    path.write_bytes(gzip.compress(("\n".join([CUR2_HEADER, good, bad]) + "\n").encode()))
    with pytest.raises(SourceError, match="row 2: resource_tags is"):
        attribute_cost(read_billing(path), start=T0, end=T1, tags={"poc": "a"})


def test_legacy_cur_csv_non_numeric_cost_is_refused(tmp_path: Path) -> None:
    header = "lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/UnblendedCost,lineItem/CurrencyCode,resourceTags/user:poc"
    path = tmp_path / "cur.csv"
    path.write_text(f"{header}\n{T0},{T1},1.0,USD,a\n{T0},{T1},n/a,USD,a\n")
    with pytest.raises(SourceError, match=r"cur.csv row 2: lineItem/UnblendedCost is n/a"):
        attribute_cost(read_billing(path, column="billed"), start=T0, end=T1, tags={"poc": "a"})


def test_cost_explorer_json_nan_amount_is_refused(tmp_path: Path) -> None:
    page = {
        "ResultsByTime": [
            {
                "TimePeriod": {"Start": "2026-05-01", "End": "2026-05-02"},
                "Groups": [
                    {
                        "Keys": ["AWS Lambda"],
                        "Metrics": {"AmortizedCost": {"Amount": "NaN", "Unit": "USD"}},
                    }
                ],
                "Estimated": False,
            }
        ]
    }
    path = tmp_path / "ce.json"
    path.write_text(json.dumps(page))
    with pytest.raises(SourceError, match=r"ce.json: ResultsByTime\[0\] .*'AWS Lambda'.* is 'NaN'"):
        read_billing(path).collect()


# -- naive datetimes: UTC everywhere, never the machine's zone ---------------------------------


@pytest.fixture
def far_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run with the process in UTC+13, where reading a naive time as local shifts it by 13 h."""
    monkeypatch.setenv("TZ", "Pacific/Auckland")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_athena_and_cost_explorer_take_a_naive_window_as_utc(far_zone: None) -> None:
    from pockit.sources._athena import billing_months, build_query
    from pockit.sources._costexplorer import _period

    assert os.environ["TZ"] == "Pacific/Auckland"
    naive = (datetime(2026, 5, 31, 20, 0), datetime(2026, 5, 31, 23, 0))
    aware = tuple(t.replace(tzinfo=UTC) for t in naive)
    kw: dict[str, Any] = {
        "tags": {},
        "column": "billed",
        "schema": "cur2",
        "columns": ["billing_period"],
    }
    assert build_query("db", "t", start=naive[0], end=naive[1], **kw) == build_query(
        "db", "t", start=aware[0], end=aware[1], **kw
    )
    assert billing_months(*naive) == [(2026, 5)]
    assert _period(naive[0], "HOURLY", ceil=False) == "2026-05-31T20:00:00Z"
    # attribution agrees: the same naive window prorates the same hours
    assert (
        attribute_cost(
            pl.LazyFrame(schema=billing_schema()),
            start=naive[0],
            end=naive[1],
        ).start
        == aware[0]
    )


# -- coverage judged on the candidate's providers ----------------------------------------------


def test_coverage_is_judged_on_the_providers_that_bill_the_candidate(tmp_path: Path) -> None:
    """The shape of the public FOCUS 1.0 sample: Microsoft usage stops on 09-20, AWS runs to
    10-01. An AWS-tagged window after 09-20 used to read "may not have landed"."""
    from pockit.sources import write_focus_export

    day = timedelta(days=1)
    aws0, ms0 = datetime(2024, 9, 1, tzinfo=UTC), datetime(2024, 9, 1, tzinfo=UTC)
    usages = [
        {"start": aws0 + n * day, "end": aws0 + (n + 1) * day, "service": "Lambda", "cost": 2.4,
         "tags": {"poc": "aws-cand"}}
        for n in range(30)
    ] + [
        {"start": ms0 + n * day, "end": ms0 + (n + 1) * day, "service": "Functions", "cost": 1.2,
         "provider": "Microsoft", "tags": {"poc": "ms-cand"}}
        for n in range(19)
    ]  # fmt: skip
    path = write_focus_export(tmp_path / "two-providers.csv", usages)
    lf = read_billing(path)
    t0, t1 = "2024-09-25T10:00:00Z", "2024-09-25T12:00:00Z"
    aws = attribute_cost(lf, start=t0, end=t1, tags={"poc": "aws-cand"})
    assert aws.covers_window and aws.judged_providers == ("AWS",)
    assert aws.landed == {"AWS": "2024-10-01T00:00:00Z", "Microsoft": "2024-09-20T00:00:00Z"}
    assert aws.total == pytest.approx(0.2)
    assert any("Microsoft (usage to 2024-09-20" in n for n in aws.notes)
    ms = attribute_cost(lf, start=t0, end=t1, tags={"poc": "ms-cand"})
    assert not ms.covers_window and ms.judged_providers == ("Microsoft",)
    assert "usage landed up to: AWS 2024-10-01T00:00:00Z, Microsoft 2024-09-20T00:00:00Z" in str(ms)
    untagged = attribute_cost(lf, start=t0, end=t1)  # nothing names a candidate: all providers
    assert not untagged.covers_window and untagged.judged_providers == ()
