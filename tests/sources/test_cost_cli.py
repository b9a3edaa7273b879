"""`pockit cost` through the real CLI entry point, and attaching billing to a run directory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pockit._rundir import RunDir
from pockit.sources import attached_cost, load_attached_billing, write_focus_export

from .conftest import DATASETS

FOCUS = str(DATASETS / "billing" / "focus-sample.csv")


def test_cost_json_contract(cli: Any) -> None:
    code, out, err = cli(
        FOCUS,
        "--start",
        "2026-05-04T10:00:00Z",
        "--end",
        "2026-05-04T12:00:00Z",
        "--tag",
        "poc=checkout-async",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    for key in ("total", "currency", "rows", "by_service", "covers_window"):
        assert key in data
    assert data["currency"] == "USD" and data["covers_window"] is True and data["rows"] > 0
    assert data["column"] == "effective" and data["cost_column"] == "EffectiveCost"


@pytest.mark.parametrize(
    ("export", "tag"),
    [
        (DATASETS / "billing" / "cur2", "Cost Center=CC 1234"),
        (DATASETS / "billing" / "cur-legacy.csv", "Cost Center=CC 1234"),
        (DATASETS / "billing" / "cur-athena.parquet", "Cost Center=CC 1234"),
    ],
)
def test_tag_spelt_per_format(cli: Any, export: Path, tag: str) -> None:
    code, out, err = cli(
        str(export),
        "--start",
        "2026-05-04T10:00:00Z",
        "--end",
        "2026-05-04T12:00:00Z",
        "--tag",
        tag,
        "--tag",
        "poc=checkout-baseline",
        "--cost",
        "billed",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["by_service"]["AmazonEC2"] == pytest.approx(4 * 0.096)


def test_human_output_and_naive_note(cli: Any) -> None:
    code, out, _ = cli(
        FOCUS,
        "--start",
        "2026-05-04T10:00",
        "--end",
        "2026-05-04T11:00",
        "--resource-id",
        "arn:aws:lambda:us-east-1:111122223333:function:checkout-async",
    )
    assert code == 0
    assert "AWS Lambda" in out and "UTC assumed" in out and "EffectiveCost" in out


def test_bad_inputs_exit_64_plus(cli: Any, tmp_path: Path) -> None:
    code, _, err = cli(str(tmp_path / "missing.csv"))
    assert code == 66 and "no such file" in err
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\xff\xfe garbage \x00\n\x01")
    code, _, err = cli(str(junk))
    assert code >= 64 and "Traceback" not in err
    code, _, err = cli(FOCUS, "--start", "2026-05-04T10:00:00Z")
    assert code == 64 and "--end" in err
    code, _, err = cli(FOCUS, "--start", "yesterday", "--end", "today")
    assert code == 64 and "ISO-8601" in err
    code, _, err = cli(FOCUS, "--tag", "novalue")
    assert code == 64
    code, _, err = cli(FOCUS, "--cost", "net")
    assert code == 64 and "billed, effective, list" in err


def test_mixed_currency_exit(cli: Any, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    t = datetime(2026, 5, 4, 10, tzinfo=UTC)
    path = write_focus_export(tmp_path / "mixed.csv", [
        {"start": t, "end": t + timedelta(hours=1), "service": "A", "cost": 1.0, "currency": "USD"},
        {"start": t, "end": t + timedelta(hours=1), "service": "B", "cost": 1.0, "currency": "EUR", "provider": "Microsoft"},
    ])  # fmt: skip
    code, _, err = cli(str(path))
    assert code == 66 and "EUR, USD" in err


def _run(tmp_path: Path, start: str, end: str) -> RunDir:
    return RunDir.create(
        tmp_path / "runs",
        {
            "candidate": "async",
            "start": start,
            "end": end,
            "status": "completed",
            "tags": {"poc": "checkout-async"},
        },
    )


def test_attach_and_reattach_after_billing_lands(cli: Any, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    run = _run(tmp_path, "2026-05-04T10:00:00Z", "2026-05-04T12:00:00Z")
    t = datetime(2026, 5, 4, 10, tzinfo=UTC)
    usage = {"service": "AWS Lambda", "tags": {"poc": "checkout-async"}}
    early = write_focus_export(
        tmp_path / "early.csv", [{**usage, "start": t, "end": t + timedelta(hours=1), "cost": 1.0}]
    )
    code, out, err = cli(str(early), "--attach", str(run.path), "--json")
    assert code == 0, err
    assert json.loads(out)["covers_window"] is False  # billing lag: the second hour has not landed
    assert run.meta["billing"]["covers_window"] is False
    # days later, the export is complete
    late = write_focus_export(tmp_path / "late.csv", [
        {**usage, "start": t, "end": t + timedelta(hours=2), "cost": 2.0},
        {"service": "Other", "start": t, "end": t + timedelta(hours=2), "cost": 9.0, "tags": {"poc": "other"}},
    ])  # fmt: skip
    code, out, err = cli(str(late), "--attach", str(run.path), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["covers_window"] is True and data["total"] == pytest.approx(2.0)
    meta = run.meta["billing"]
    assert meta["total"] == pytest.approx(2.0) and meta["tags"] == {"poc": "checkout-async"}
    rows = load_attached_billing(run.path).collect()
    assert rows.height == 2 and set(rows["service"]) == {"AWS Lambda"}
    assert rows.schema["tags"] == pl.List(pl.Struct({"key": pl.String, "value": pl.String}))
    # offline recomputation from the run directory alone
    again = attached_cost(run.path)
    assert again.total == pytest.approx(2.0) and again.covers_window


def test_attach_refuses_running_run(cli: Any, tmp_path: Path) -> None:
    run = RunDir.create(tmp_path / "runs", {"candidate": "async"})
    code, _, err = cli(FOCUS, "--attach", str(run.path))
    assert code == 65 and "no end yet" in err
