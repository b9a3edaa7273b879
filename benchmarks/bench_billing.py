"""Billing benchmark: cost for a one-hour window and a tag from a 1M-row CUR 2.0 Parquet file.

    python benchmarks/bench_billing.py [--rows 1000000]

pockit (polars, lazy: only the needed columns, row groups outside the window skipped) against the
baseline an analyst would write: pandas reads the whole file, then filters. Target: pockit ≤ 1 s.
The file is generated into a temporary folder (30 days of hourly line items, sorted by time, in
row groups of 64k rows like AWS's own Parquet deliveries).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

START = datetime(2026, 5, 1, tzinfo=UTC)
DAYS = 30
TARGET_S = 1.0


def make_cur2(path: Path, rows: int, seed: int = 7) -> None:
    """A CUR 2.0 Parquet file with ``rows`` line items, tags in the ``resource_tags`` map."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    hours = DAYS * 24
    hour = np.sort(rng.integers(0, hours, rows))
    t0 = np.datetime64(START.replace(tzinfo=None), "ms") + hour.astype("timedelta64[h]")
    products = np.array(
        ["AmazonEC2", "AWSLambda", "AmazonS3", "AWSDataTransfer", "AmazonRDS", "AmazonCloudWatch"]
    )
    pocs = np.array([f"poc-{i:02d}" for i in range(40)])
    poc_idx = rng.integers(0, len(pocs), rows)
    cost = rng.gamma(2.0, 0.01, rows)
    offsets = np.arange(0, 3 * rows + 1, 3, dtype=np.int32)
    keys = np.tile(np.array(["user_poc", "user_team", "user_Cost Center"], dtype=object), rows)
    team = np.array(["payments", "ledger", "search", "web"])[poc_idx % 4]
    values = np.empty(3 * rows, dtype=object)
    values[0::3] = pocs[poc_idx]
    values[1::3] = team
    values[2::3] = np.char.add("CC ", (poc_idx * 7 % 100).astype(str))
    tags = pa.MapArray.from_arrays(
        pa.array(offsets), pa.array(keys, pa.string()), pa.array(values, pa.string())
    )
    table = pa.table(
        {
            "identity_line_item_id": pa.array(np.char.add("li", np.arange(rows).astype(str))),
            "line_item_line_item_type": pa.array(
                np.where(rng.random(rows) < 0.1, "SavingsPlanCoveredUsage", "Usage")
            ),
            "line_item_usage_start_date": pa.array(t0, pa.timestamp("ms")),
            "line_item_usage_end_date": pa.array(t0 + np.timedelta64(1, "h"), pa.timestamp("ms")),
            "line_item_product_code": pa.array(products[rng.integers(0, len(products), rows)]),
            "line_item_resource_id": pa.array(
                np.char.add(
                    "arn:aws:ec2:us-east-1:111122223333:instance/i-",
                    rng.integers(0, 5000, rows).astype(str),
                )
            ),
            "line_item_usage_amount": pa.array(rng.random(rows) * 10),
            "line_item_currency_code": pa.array(np.full(rows, "USD")),
            "line_item_unblended_cost": pa.array(cost),
            "line_item_net_unblended_cost": pa.array(cost),
            "pricing_public_on_demand_cost": pa.array(cost * 1.1),
            "pricing_unit": pa.array(np.full(rows, "Hrs")),
            "savings_plan_savings_plan_effective_cost": pa.array(cost * 0.7),
            "resource_tags": tags,
        }
    )
    pq.write_table(table, path, row_group_size=65_536, compression="snappy")


def pockit_cost(path: Path, start: datetime, end: datetime, tag: dict[str, str]) -> float:
    from pockit.sources import attribute_cost, read_billing

    return attribute_cost(read_billing(path, column="billed"), start=start, end=end, tags=tag).total


def pandas_cost(path: Path, start: datetime, end: datetime, tag: dict[str, str]) -> float:
    import pandas as pd

    df = pd.read_parquet(path)  # the whole file, every column
    s = pd.to_datetime(df["line_item_usage_start_date"]).dt.tz_localize("UTC")
    e = pd.to_datetime(df["line_item_usage_end_date"]).dt.tz_localize("UTC")
    window = df[(s < end) & (e > start)]
    ((key, value),) = tag.items()
    want = (f"user_{key}", value)
    picked = window[window["resource_tags"].map(lambda kv: want in kv)]
    s, e = s[picked.index], e[picked.index]
    # pandas-stubs types clip's bounds as numbers only; datetime bounds on a datetime Series work
    e_in = e.clip(upper=end)  # type: ignore[call-overload]
    s_in = s.clip(lower=start)  # type: ignore[call-overload]
    overlap = (e_in - s_in).dt.total_seconds().clip(lower=0) / (e - s).dt.total_seconds()
    return float((picked["line_item_unblended_cost"] * overlap).sum())


def best_of(n: int, fn: object, *args: object) -> tuple[float, float]:
    times, value = [], 0.0
    for _ in range(n):
        t = time.perf_counter()
        value = fn(*args)  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times), value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pockit-bench-") as tmp:
        path = Path(tmp) / "cur2-00001.snappy.parquet"
        t = time.perf_counter()
        make_cur2(path, args.rows)
        print(
            f"generated {args.rows:,} CUR 2.0 rows ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s"
        )
        start = START + timedelta(days=12, hours=14)
        end = start + timedelta(hours=1)
        tag = {"poc": "poc-07"}
        p_s, p_total = best_of(args.repeat, pockit_cost, path, start, end, tag)
        b_s, b_total = best_of(args.repeat, pandas_cost, path, start, end, tag)
        assert abs(p_total - b_total) < 1e-9 * max(1.0, abs(b_total)), (p_total, b_total)
        print(
            f"pockit (polars lazy)  : {p_s:.3f} s  total {p_total:.6f} USD  (target <= {TARGET_S:.1f} s: {'ok' if p_s <= TARGET_S else 'MISSED'})"
        )
        print(f"pandas read whole file: {b_s:.3f} s  total {b_total:.6f} USD")
        print(f"ratio pandas/pockit   : {b_s / p_s:.1f}x")
    return 0 if p_s <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
