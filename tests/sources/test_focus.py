"""FOCUS 1.0-1.2 reading and writing, on fixtures written from the FOCUS specification."""

from __future__ import annotations

import csv
import gzip
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from pockit._errors import MixedCurrencyError, SourceError, UsageError
from pockit.sources import attribute_cost, read_billing, tags_to_dict, write_focus_export
from pockit.sources._focus import FOCUS_12_COLUMNS
from tests._typed import Window

T0 = datetime(2026, 5, 4, 10, tzinfo=UTC)

# FOCUS 1.0 column subset as a provider writes it: NULL literals, Tags as a JSON object whose keys
# carry spaces and provider prefixes (ms:), a valueless tag as true, several charge categories.
FOCUS_10 = """\
BilledCost,BillingAccountId,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,ChargeCategory,ChargeDescription,ChargePeriodEnd,ChargePeriodStart,ConsumedQuantity,ConsumedUnit,EffectiveCost,ListCost,ProviderName,ResourceId,ServiceName,Tags
1.20,acc1,USD,2026-06-01T00:00:00Z,2026-05-01T00:00:00Z,Usage,vm,2026-05-04T11:00:00Z,2026-05-04T10:00:00Z,1,Hours,1.00,1.50,Microsoft,/subscriptions/s/vm1,Virtual Machines,"{""poc"": ""checkout-async"", ""Cost Center"": ""CC 1"", ""ms:resourceType"": ""vm"", ""flag"": true}"
0.60,acc1,USD,2026-06-01T00:00:00Z,2026-05-01T00:00:00Z,Usage,vm,2026-05-04T12:00:00Z,2026-05-04T10:00:00Z,2,Hours,0.60,0.80,Microsoft,/subscriptions/s/vm2,Virtual Machines,"{""poc"": ""checkout-baseline""}"
2.00,acc2,USD,2026-06-01T00:00:00Z,2026-05-01T00:00:00Z,Usage,fn,2026-05-04T11:00:00Z,2026-05-04T10:00:00Z,1000000,Requests,2.00,2.00,AWS,arn:aws:lambda:us-east-1:1:function:f,AWS Lambda,"{""poc"": ""checkout-async""}"
-0.50,acc2,USD,2026-06-01T00:00:00Z,2026-05-01T00:00:00Z,Credit,promo,2026-05-04T11:00:00Z,2026-05-04T10:00:00Z,NULL,NULL,-0.50,0,AWS,NULL,AWS Lambda,"{""poc"": ""checkout-async""}"
0.10,acc2,USD,2026-06-01T00:00:00Z,2026-05-01T00:00:00Z,Tax,tax,2026-05-04T11:00:00Z,2026-05-04T10:00:00Z,NULL,NULL,0.10,0,AWS,NULL,AWS Lambda,"{""poc"": ""checkout-async""}"
0.05,acc2,USD,2026-06-01T00:00:00Z,2026-05-01T00:00:00Z,Adjustment,fix,2026-05-04T11:00:00Z,2026-05-04T10:00:00Z,NULL,NULL,0.05,0,AWS,NULL,AWS Lambda,"{""poc"": ""checkout-async""}"
3.00,acc3,USD,2026-06-01T00:00:00Z,2026-05-01T00:00:00Z,Purchase,sp,2026-05-04T11:00:00Z,2026-05-04T10:00:00Z,NULL,NULL,0.00,3.00,AWS,NULL,Savings Plans for AWS Compute usage,NULL
"""


@pytest.fixture
def focus10(tmp_path: Path) -> Path:
    path = tmp_path / "focus10.csv"
    path.write_text(FOCUS_10)
    return path


W: Window = {"start": T0, "end": T0 + timedelta(hours=1)}


def test_focus_csv_reads_to_the_normalised_frame(focus10: Path) -> None:
    df = read_billing(focus10).collect()
    assert df.schema["charge_start"] == pl.Datetime("us", "UTC")
    assert df.schema["tags"] == pl.List(pl.Struct({"key": pl.String, "value": pl.String}))
    assert df["cost"].to_list()[:2] == [1.0, 0.6]  # effective by default
    assert set(df["provider"]) == {"Microsoft", "AWS"}
    first = tags_to_dict(df["tags"][0].to_list())
    assert first == {
        "poc": "checkout-async",
        "Cost Center": "CC 1",
        "ms:resourceType": "vm",
        "flag": "true",
    }
    assert df["resource_id"][3] is None  # literal NULL
    assert df["tags"][6] is None


def test_tags_with_spaces_and_prefixes_match(focus10: Path) -> None:
    lf = read_billing(focus10, column="billed")
    assert attribute_cost(lf, **W, tags={"Cost Center": "CC 1"}).total == pytest.approx(1.2)
    assert attribute_cost(
        lf, **W, tags={"ms:resourceType": "vm", "poc": "checkout-async"}
    ).total == pytest.approx(1.2)
    assert attribute_cost(lf, **W, tags={"ms:resourceType": "vm", "poc": "nope"}).rows == 0


def test_charge_categories_kept_and_credits_negative(focus10: Path) -> None:
    r = attribute_cost(read_billing(focus10, column="billed"), **W, tags={"poc": "checkout-async"})
    assert r.by_charge_category == pytest.approx(
        {"Usage": 3.2, "Credit": -0.5, "Tax": 0.1, "Adjustment": 0.05}
    )
    assert r.total == pytest.approx(2.85)
    assert any("credits" in n for n in r.notes)
    whole = attribute_cost(read_billing(focus10, column="billed"), **W)
    assert whole.by_charge_category["Purchase"] == pytest.approx(3.0)


def test_cost_columns_and_proration(focus10: Path) -> None:
    # vm2 runs 10:00-12:00 for 0.60 billed; a 30-minute window gets a quarter of it.
    half: Window = {"start": T0 + timedelta(minutes=30), "end": T0 + timedelta(hours=1)}
    for column, expected in (("billed", 0.15), ("effective", 0.15), ("list", 0.2)):
        r = attribute_cost(
            read_billing(focus10, column=column), **half, tags={"poc": "checkout-baseline"}
        )
        assert r.total == pytest.approx(expected)
        assert r.column == column
        assert "overlap" in r.proration


def test_gzip_and_parquet_read_the_same(focus10: Path, tmp_path: Path) -> None:
    gz = tmp_path / "focus.csv.gz"
    gz.write_bytes(gzip.compress(focus10.read_bytes()))
    pq = tmp_path / "focus.parquet"
    read_billing(focus10).collect()  # sanity
    raw = pl.read_csv(focus10, null_values=["NULL"], infer_schema=False).with_columns(
        pl.col("ChargePeriodStart", "ChargePeriodEnd").str.to_datetime(time_zone="UTC"),
        pl.col("BilledCost", "EffectiveCost", "ListCost").cast(pl.Float64),
    )
    raw.write_parquet(pq)
    totals = [attribute_cost(read_billing(p), **W).total for p in (focus10, gz, pq)]
    assert totals[0] == pytest.approx(totals[1]) == pytest.approx(totals[2])


def test_focus_13_service_provider_name(tmp_path: Path) -> None:
    path = tmp_path / "f13.csv"
    path.write_text(FOCUS_10.replace("ProviderName", "ServiceProviderName"))
    assert set(read_billing(path).collect()["provider"]) == {"Microsoft", "AWS"}


def test_naive_timestamps_assumed_utc_and_said(tmp_path: Path, focus10: Path) -> None:
    path = tmp_path / "naive.csv"
    path.write_text(focus10.read_text().replace("Z,", ","))
    r = attribute_cost(read_billing(path), **W)
    assert r.total == pytest.approx(attribute_cost(read_billing(focus10), **W).total)
    assert any("UTC assumed" in n for n in r.notes)
    r2 = attribute_cost(read_billing(path), start="2026-05-04T10:00:00", end="2026-05-04T11:00:00")
    assert sum("UTC assumed" in n for n in r2.notes) == 3


def test_missing_cost_column_is_named(tmp_path: Path, focus10: Path) -> None:
    path = tmp_path / "nolist.csv"
    rows = list(csv.DictReader(focus10.open()))
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=[c for c in rows[0] if c != "ListCost"])
        w.writeheader()
        w.writerows([{k: v for k, v in r.items() if k != "ListCost"} for r in rows])
    with pytest.raises(SourceError, match="'ListCost'"):
        read_billing(path, column="list")


def test_unknown_format_lists_columns_looked_for(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("date,amount\n2026-05-04,1\n")
    with pytest.raises(SourceError) as err:
        read_billing(path)
    msg = str(err.value)
    assert "ChargePeriodStart" in msg and "lineItem/UnblendedCost" in msg and "date, amount" in msg
    with pytest.raises(UsageError, match="known: "):
        read_billing(path, format="nope")


def test_mixed_currencies_refused(tmp_path: Path, focus10: Path) -> None:
    path = tmp_path / "eur.csv"
    lines = focus10.read_text().splitlines()
    lines[2] = lines[2].replace(",USD,", ",EUR,")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(MixedCurrencyError, match="EUR, USD"):
        attribute_cost(read_billing(path), **W)
    # narrowed to one currency, it is fine
    assert (
        attribute_cost(read_billing(path), **W, tags={"poc": "checkout-baseline"}).currency == "EUR"
    )


def test_empty_window_and_no_rows(focus10: Path) -> None:
    lf = read_billing(focus10)
    with pytest.raises(UsageError, match="empty window"):
        attribute_cost(lf, start=T0, end=T0)
    r = attribute_cost(lf, start=T0 - timedelta(days=3), end=T0 - timedelta(days=2))
    assert r.rows == 0 and r.total == 0.0 and r.currency is None
    assert any("no billing rows" in n for n in r.notes)


def test_billing_lag_covers_window_false(focus10: Path) -> None:
    lf = read_billing(focus10)
    assert attribute_cost(lf, **W).covers_window is True
    late = attribute_cost(lf, start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=3))
    assert late.covers_window is False
    assert any("not have landed" in n for n in late.notes)
    d = late.to_dict()
    for key in ("total", "currency", "rows", "by_service", "covers_window", "column", "proration"):
        assert key in d
    json.dumps(d)


def test_write_focus_export_hourly_split(tmp_path: Path) -> None:
    start = datetime(2026, 5, 4, 9, 30)  # naive: taken as UTC
    path = write_focus_export(
        tmp_path / "out" / "billing.csv",
        [
            {
                "start": start,
                "end": start + timedelta(hours=2),
                "service": "AWS Lambda",
                "cost": 3.0,
                "tags": {"poc": "a b", "ms:x": "1"},
                "quantity": 300.0,
                "unit": "Requests",
                "resource_id": "arn:aws:lambda:us-east-1:1:function:f",
            },
        ],
    )
    with path.open() as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == FOCUS_12_COLUMNS
        rows = list(reader)
    assert [r["ChargePeriodStart"] for r in rows] == [
        "2026-05-04T09:00:00Z",
        "2026-05-04T10:00:00Z",
        "2026-05-04T11:00:00Z",
    ]
    assert [float(r["BilledCost"]) for r in rows] == pytest.approx([0.75, 1.5, 0.75])
    assert math.fsum(float(r["ConsumedQuantity"]) for r in rows) == pytest.approx(300.0)
    assert json.loads(rows[0]["Tags"]) == {"ms:x": "1", "poc": "a b"}
    assert rows[0]["CommitmentDiscountId"] == "NULL"
    lf = read_billing(path)
    r = attribute_cost(
        lf, start="2026-05-04T09:00:00Z", end="2026-05-04T12:00:00Z", tags={"poc": "a b"}
    )
    assert r.total == pytest.approx(3.0)
    assert r.covers_window
    # rows are clock hours, as providers bill: the usage's own half hours are prorated over them
    inner = attribute_cost(
        lf, start="2026-05-04T09:30:00Z", end="2026-05-04T11:30:00Z", tags={"poc": "a b"}
    )
    assert inner.total == pytest.approx(0.375 + 1.5 + 0.375)


def test_write_focus_export_rejects_unknown_fields(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown field"):
        write_focus_export(
            tmp_path / "x.csv",
            [{"start": T0, "end": T0, "service": "s", "cost": 1, "colour": "red"}],
        )


def test_sample_dataset_two_providers() -> None:
    from tests.sources.conftest import DATASETS

    lf = read_billing(DATASETS / "billing" / "focus-sample.csv")
    r = attribute_cost(
        lf, start="2026-05-04T00:00:00Z", end="2026-05-06T00:00:00Z", tags={"poc": "checkout-async"}
    )
    assert {"AWS Lambda", "Azure Cosmos DB"} <= set(r.by_service)
    assert r.by_charge_category["Credit"] < 0
    assert r.covers_window


def _focus_parquet(tmp_path: Path, focus10: Path, tags_type: str) -> Path:
    """FOCUS_10 as Parquet whose Tags column is a map, a list of {key, value} or a struct."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pacsv.read_csv(focus10)
    raw = table.column("Tags").to_pylist()
    dicts = [None if t in (None, "NULL") else json.loads(t) for t in raw]
    items = [
        None if d is None else [(k, "true" if v is True else str(v)) for k, v in d.items()]
        for d in dicts
    ]
    if tags_type == "map":
        arr = pa.array(items, type=pa.map_(pa.string(), pa.string()))
    elif tags_type == "list":
        kv = pa.list_(pa.struct([("key", pa.string()), ("value", pa.string())]))
        arr = pa.array(
            [None if i is None else [{"key": k, "value": v} for k, v in i] for i in items], type=kv
        )
    else:
        arr = pa.array([{"poc": (d or {}).get("poc")} for d in dicts])
    table = table.set_column(table.schema.get_field_index("Tags"), "Tags", arr)
    path = tmp_path / f"focus-{tags_type}.parquet"
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize("tags_type", ["map", "list"])
def test_focus_parquet_with_map_tags(tmp_path: Path, focus10: Path, tags_type: str) -> None:
    path = _focus_parquet(tmp_path, focus10, tags_type)
    df = read_billing(path).collect()
    assert df.schema["tags"] == pl.List(pl.Struct({"key": pl.String, "value": pl.String}))
    assert tags_to_dict(df["tags"][0].to_list())["Cost Center"] == "CC 1"
    assert df["tags"][6] is None
    from_csv = attribute_cost(read_billing(focus10), **W, tags={"poc": "checkout-async"})
    r = attribute_cost(read_billing(path), **W, tags={"poc": "checkout-async"})
    assert r.rows == from_csv.rows == 5
    assert r.total == pytest.approx(from_csv.total)


def test_focus_parquet_unreadable_tags_type_is_refused(tmp_path: Path, focus10: Path) -> None:
    path = _focus_parquet(tmp_path, focus10, "struct")
    with pytest.raises(SourceError, match=r"column Tags has type Struct"):
        read_billing(path).collect()
