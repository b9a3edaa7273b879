"""AWS CUR 2.0 (Data Exports) and legacy CUR (CSV, Athena/Parquet), on fixtures laid out per AWS's docs."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from pockit._errors import SourceError, UsageError
from pockit.sources import attribute_cost, read_billing, tags_to_dict
from tests._typed import Window

from .conftest import DATASETS

W: Window = {"start": "2026-05-04T10:00:00Z", "end": "2026-05-04T12:00:00Z"}
BASE = {"poc": "checkout-baseline"}


def test_cur2_layout_reads_through_manifest(tmp_path: Path) -> None:
    root = tmp_path / "cur2"
    shutil.copytree(DATASETS / "billing" / "cur2", root)
    # An older delivery left in data/ is not in the manifest and must be ignored.
    data = next((root / "pockit-cur2" / "data").rglob("*.parquet"))
    shutil.copy(data, data.with_name("stale-00001.snappy.parquet"))
    lf = read_billing(root, column="billed")
    r = attribute_cost(lf, **W, tags=BASE)
    assert r.rows == 6  # 2 instances + data transfer, 2 hours: not doubled by the stale file
    assert r.total == pytest.approx(2 * (0.096 * 2) + r.by_service["AWSDataTransfer"])
    assert r.source == "cur2"


def test_cur2_tags_drop_user_prefix_keep_aws(tmp_path: Path) -> None:
    df = read_billing(DATASETS / "billing" / "cur2").collect()
    tags = tags_to_dict(df["tags"][0].to_list())
    assert tags["poc"] == "checkout-baseline" and tags["Cost Center"] == "CC 1234"
    assert tags["aws_createdBy"] == "IAMUser:pockit"


def test_cur2_effective_is_amortized_savings_plan(tmp_path: Path) -> None:
    lf_b = read_billing(DATASETS / "billing" / "cur2", column="billed")
    lf_e = read_billing(DATASETS / "billing" / "cur2", column="effective")
    lf_l = read_billing(DATASETS / "billing" / "cur2", column="list")
    billed = attribute_cost(lf_b, **W, tags=BASE).by_service["AmazonEC2"]
    eff = attribute_cost(lf_e, **W, tags=BASE).by_service["AmazonEC2"]
    lst = attribute_cost(lf_l, **W, tags=BASE).by_service["AmazonEC2"]
    assert billed == pytest.approx(4 * 0.096)
    assert eff == pytest.approx(2 * (0.0614 + 0.096))  # covered instance at its SP effective cost
    assert lst == pytest.approx(4 * 0.096)
    assert "amortized" in (attribute_cost(lf_e, **W).cost_column or "")


def test_cur2_gzip_csv_with_json_map(tmp_path: Path, make_datasets: ModuleType) -> None:
    table = make_datasets.cur2_table(make_datasets.line_items(hours=13))
    # Data Exports' CSV writes map columns as JSON objects.
    cols = {}
    for name in table.column_names:
        col = table[name]
        if pa.types.is_map(col.type):
            cols[name] = pa.array(
                [json.dumps(dict(v)) if v is not None else None for v in col.to_pylist()]
            )
        else:
            cols[name] = col
    out = tmp_path / "export-00001.csv"
    pacsv.write_csv(pa.table(cols), out)
    gz = tmp_path / "export-00001.csv.gz"
    gz.write_bytes(gzip.compress(out.read_bytes()))
    out.unlink()
    r = attribute_cost(read_billing(gz, column="billed"), **W, tags=BASE)
    assert r.rows == 6
    assert r.by_service["AmazonEC2"] == pytest.approx(4 * 0.096)


def test_legacy_csv_and_athena_agree_with_cur2() -> None:
    totals = {}
    for name, path in (
        ("cur2", DATASETS / "billing" / "cur2"),
        ("csv", DATASETS / "billing" / "cur-legacy.csv"),
        ("athena", DATASETS / "billing" / "cur-athena.parquet"),
    ):
        lf = read_billing(path, column="effective")
        totals[name] = attribute_cost(
            lf, **W, tags={"Cost Center": "CC 1234", "poc": "checkout-async"}
        ).total
    assert totals["csv"] == pytest.approx(totals["cur2"])
    assert totals["athena"] == pytest.approx(totals["cur2"])
    assert totals["cur2"] > 0


def test_legacy_gzip_csv_and_sniffed_format(tmp_path: Path) -> None:
    gz = tmp_path / "report-00001.csv.gz"
    gz.write_bytes(gzip.compress((DATASETS / "billing" / "cur-legacy.csv").read_bytes()))
    df = read_billing(gz).collect()
    assert set(df["source"]) == {"cur-csv"}
    assert tags_to_dict(df["tags"][0].to_list()) == {
        "poc": "checkout-baseline",
        "team": "payments",
        "Cost Center": "CC 1234",
    }
    # an empty tag cell is not a tag
    rds = df.filter(df["service"] == "AmazonRDS")
    assert tags_to_dict(rds["tags"][0].to_list()) == {"team": "ledger"}


def test_athena_form_keys_are_mangled_and_matched() -> None:
    df = read_billing(DATASETS / "billing" / "cur-athena.parquet").collect()
    assert "cost_center" in tags_to_dict(df["tags"][0].to_list())
    lf = read_billing(DATASETS / "billing" / "cur-athena.parquet")
    assert attribute_cost(lf, **W, tags={"Cost Center": "CC 1234"}).rows > 0


def test_cur_missing_column_named(tmp_path: Path) -> None:
    src = DATASETS / "billing" / "cur-legacy.csv"
    rows = list(csv.DictReader(src.open()))
    keep = [c for c in rows[0] if c != "lineItem/CurrencyCode"]
    path = tmp_path / "nocur.csv"
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keep, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(SourceError, match="lineItem/CurrencyCode"):
        read_billing(path)


def test_cost_choice_not_in_format() -> None:
    with pytest.raises(UsageError, match="billed, effective, list"):
        read_billing(DATASETS / "billing" / "focus-sample.csv", column="net")
    assert read_billing(DATASETS / "billing" / "cur2", column="net").collect().height > 0


def test_corrupt_gzip_is_a_source_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(SourceError, match="gzip"):
        read_billing(bad)
