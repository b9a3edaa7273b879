"""Write pockit's small sample exports under datasets/ (deterministic: same bytes every run).

    python scripts/make_datasets.py [--out datasets]

The exports describe the same 48 hours (2026-05-04T00:00Z → 2026-05-06T00:00Z) of two PoC
candidates and some unrelated spend, in each format pockit reads, laid out as the providers'
specifications describe them:

    billing/focus-sample.csv                      FOCUS 1.2 CSV (Tags JSON, NULL cells, two providers)
    billing/cur2/pockit-cur2/data/BILLING_PERIOD=2026-05/pockit-cur2-00001.snappy.parquet
    billing/cur2/pockit-cur2/metadata/BILLING_PERIOD=2026-05/pockit-cur2-Manifest.json
    billing/cur-legacy.csv                        legacy CUR CSV (lineItem/..., resourceTags/user:...)
    billing/cur-athena.parquet                    legacy CUR, Athena column names
    billing/cost-explorer-response.json           GetCostAndUsage, DAILY, grouped by SERVICE
    metrics/cloudwatch-getmetricdata.json         GetMetricData response
    metrics/prometheus-query-range.json           query_range matrix response
    pricebook.yaml                                cost model for the two candidates
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SEED = 20260504
START = datetime(2026, 5, 4, tzinfo=UTC)
HOURS = 48
ACCOUNT = "111122223333"
PERIOD_START = datetime(2026, 5, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 6, 1, tzinfo=UTC)
EXPORT = "pockit-cur2"


@dataclass
class Item:
    """One hourly line item, format-neutral."""

    start: datetime
    end: datetime
    product: str  # CUR product code
    service: str  # FOCUS ServiceName
    usage_type: str
    operation: str
    resource_id: str | None
    amount: float
    unit: str
    rate: float
    cost: float
    public_cost: float
    line_type: str = "Usage"
    effective: float | None = None
    tags: dict[str, str] = field(default_factory=dict)
    provider: str = "AWS"
    currency: str = "USD"
    region: str = "us-east-1"

    @property
    def effective_cost(self) -> float:
        return self.cost if self.effective is None else self.effective


def _diurnal(hour: int) -> float:
    """Traffic shape over a day: quiet at night, peak mid-afternoon UTC."""
    return 0.35 + 0.65 * max(0.0, 1 - abs((hour % 24) - 15) / 9)


def line_items(seed: int = SEED, *, start: datetime = START, hours: int = HOURS) -> list[Item]:
    """The sample's line items: baseline on EC2 (+ a Savings Plan), async on Lambda, and noise."""
    rng = random.Random(seed)
    items: list[Item] = []
    base_tags = {"poc": "checkout-baseline", "team": "payments", "Cost Center": "CC 1234"}
    async_tags = {"poc": "checkout-async", "team": "payments", "Cost Center": "CC 1234"}
    for h in range(hours):
        t0 = start + timedelta(hours=h)
        t1 = t0 + timedelta(hours=1)
        load = _diurnal(h) * rng.uniform(0.9, 1.1)
        for n in range(2):  # two m6i.large instances; one covered by a Savings Plan
            rid = f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0baseline{n:07d}"
            covered = n == 0
            items.append(
                Item(
                    t0,
                    t1,
                    "AmazonEC2",
                    "Amazon Elastic Compute Cloud",
                    "BoxUsage:m6i.large",
                    "RunInstances",
                    rid,
                    1.0,
                    "Hrs",
                    0.096,
                    0.096,
                    0.096,
                    line_type="SavingsPlanCoveredUsage" if covered else "Usage",
                    effective=0.0614 if covered else None,
                    tags=base_tags,
                )
            )
        gb = round(0.8 * load * rng.uniform(0.95, 1.05), 6)
        items.append(
            Item(
                t0,
                t1,
                "AWSDataTransfer",
                "AWS Data Transfer",
                "DataTransfer-Out-Bytes",
                "",
                f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0baseline0000000",
                gb,
                "GB",
                0.09,
                round(gb * 0.09, 10),
                round(gb * 0.09, 10),
                tags=base_tags,
            )
        )
        req = round(180_000 * load)
        fn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:checkout-async"
        items.append(
            Item(
                t0,
                t1,
                "AWSLambda",
                "AWS Lambda",
                "Request",
                "Invoke",
                fn,
                float(req),
                "Requests",
                2e-7,
                round(req * 2e-7, 10),
                round(req * 2e-7, 10),
                tags=async_tags,
            )
        )
        gbs = round(req * 0.5 * rng.uniform(0.10, 0.13), 3)
        items.append(
            Item(
                t0,
                t1,
                "AWSLambda",
                "AWS Lambda",
                "Lambda-GB-Second",
                "Invoke",
                fn,
                gbs,
                "Lambda-GB-Second",
                1.66667e-5,
                round(gbs * 1.66667e-5, 10),
                round(gbs * 1.66667e-5, 10),
                tags=async_tags,
            )
        )
        logs = round(0.02 * load, 6)
        items.append(
            Item(
                t0,
                t1,
                "AmazonCloudWatch",
                "Amazon CloudWatch",
                "DataProcessing-Bytes",
                "PutLogEvents",
                f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/checkout-async",
                logs,
                "GB",
                0.5,
                round(logs * 0.5, 10),
                round(logs * 0.5, 10),
                tags=async_tags,
            )
        )
        # unrelated spend in the same account: another team's database, untagged for the PoC
        items.append(
            Item(
                t0,
                t1,
                "AmazonRDS",
                "Amazon Relational Database Service",
                "InstanceUsage:db.r6g.large",
                "CreateDBInstance:0016",
                f"arn:aws:rds:us-east-1:{ACCOUNT}:db:ledger",
                1.0,
                "Hrs",
                0.225,
                0.225,
                0.225,
                tags={"team": "ledger"},
            )
        )
    # month-level rows: tax, a promotional credit, and the Savings Plan recurring fee
    day = start.replace(hour=0)
    items.append(
        Item(
            day,
            day + timedelta(days=2),
            "AmazonEC2",
            "Amazon Elastic Compute Cloud",
            "Tax",
            "",
            None,
            0.0,
            "",
            0.0,
            0.73,
            0.0,
            line_type="Tax",
            tags={},
        )
    )
    items.append(
        Item(
            day,
            day + timedelta(days=2),
            "AWSLambda",
            "AWS Lambda",
            "Credit",
            "",
            None,
            0.0,
            "",
            0.0,
            -0.25,
            0.0,
            line_type="Credit",
            tags=async_tags,
        )
    )
    return items


def _z(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _category(item: Item) -> str:
    return {"Tax": "Tax", "Credit": "Credit", "SavingsPlanRecurringFee": "Purchase"}.get(
        item.line_type, "Usage"
    )


# -- FOCUS ---------------------------------------------------------------------------------------


def write_focus(path: Path, items: list[Item]) -> None:
    """FOCUS 1.2 through pockit's own writer, plus Azure rows with ``ms:`` tags (mixed providers)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from pockit.sources import Usage, write_focus_export

    usages: list[Usage] = []
    for it in items:
        usages.append(
            Usage(
                start=it.start,
                end=it.end,
                service=it.service,
                cost=it.effective_cost,
                list_cost=it.public_cost,
                currency=it.currency,
                provider=it.provider,
                resource_id=it.resource_id,
                tags=it.tags,
                quantity=it.amount if it.line_type not in ("Tax", "Credit") else None,
                unit=it.unit or None,
                charge_category=_category(it),
                region=it.region,
                service_category="Compute"
                if it.product in ("AmazonEC2", "AWSLambda")
                else "Networking"
                if it.product == "AWSDataTransfer"
                else "Databases"
                if it.product == "AmazonRDS"
                else "Management and Governance",
            )
        )
    rng = random.Random(SEED + 1)
    for h in range(0, HOURS, 1):
        t0 = START + timedelta(hours=h)
        usages.append(
            Usage(
                start=t0,
                end=t0 + timedelta(hours=1),
                service="Azure Cosmos DB",
                cost=round(rng.uniform(0.05, 0.07), 6),
                provider="Microsoft",
                region="westeurope",
                service_category="Databases",
                resource_id="/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/poc/providers/Microsoft.DocumentDB/databaseAccounts/checkout",
                tags={
                    "poc": "checkout-async",
                    "ms:resourceType": "microsoft.documentdb/databaseaccounts",
                    "Cost Center": "CC 1234",
                },
                quantity=100.0,
                unit="100 RU/s Hours",
                account_id="pockit-ea-1",
            )
        )
    write_focus_export(path, usages)


# -- CUR 2.0 -------------------------------------------------------------------------------------


def cur2_table(items: list[Item]) -> Any:
    """A pyarrow table with CUR 2.0 (Data Exports) columns: maps for tags and product."""
    import pyarrow as pa

    ts = pa.timestamp("ms")
    m = pa.map_(pa.string(), pa.string())
    cols: dict[str, tuple[Any, list[Any]]] = {
        "identity_line_item_id": (pa.string(), []),
        "identity_time_interval": (pa.string(), []),
        "bill_bill_type": (pa.string(), []),
        "bill_billing_entity": (pa.string(), []),
        "bill_billing_period_start_date": (ts, []),
        "bill_billing_period_end_date": (ts, []),
        "bill_payer_account_id": (pa.string(), []),
        "line_item_usage_account_id": (pa.string(), []),
        "line_item_line_item_type": (pa.string(), []),
        "line_item_usage_start_date": (ts, []),
        "line_item_usage_end_date": (ts, []),
        "line_item_product_code": (pa.string(), []),
        "line_item_usage_type": (pa.string(), []),
        "line_item_operation": (pa.string(), []),
        "line_item_resource_id": (pa.string(), []),
        "line_item_usage_amount": (pa.float64(), []),
        "line_item_currency_code": (pa.string(), []),
        "line_item_unblended_rate": (pa.string(), []),
        "line_item_unblended_cost": (pa.float64(), []),
        "line_item_net_unblended_cost": (pa.float64(), []),
        "line_item_line_item_description": (pa.string(), []),
        "product": (m, []),
        "product_servicecode": (pa.string(), []),
        "pricing_public_on_demand_cost": (pa.float64(), []),
        "pricing_unit": (pa.string(), []),
        "reservation_effective_cost": (pa.float64(), []),
        "reservation_reservation_a_r_n": (pa.string(), []),
        "savings_plan_savings_plan_a_r_n": (pa.string(), []),
        "savings_plan_savings_plan_effective_cost": (pa.float64(), []),
        "savings_plan_total_commitment_to_date": (pa.float64(), []),
        "savings_plan_used_commitment": (pa.float64(), []),
        "resource_tags": (m, []),
        "cost_category": (m, []),
    }
    sp_arn = f"arn:aws:savingsplans::{ACCOUNT}:savingsplan/00000000-aaaa-bbbb-cccc-000000000001"
    for n, it in enumerate(items):
        covered = it.line_type == "SavingsPlanCoveredUsage"
        row = {
            "identity_line_item_id": f"li{n:08d}",
            "identity_time_interval": f"{_z(it.start)}/{_z(it.end)}",
            "bill_bill_type": "Anniversary",
            "bill_billing_entity": "AWS",
            "bill_billing_period_start_date": PERIOD_START.replace(tzinfo=None),
            "bill_billing_period_end_date": PERIOD_END.replace(tzinfo=None),
            "bill_payer_account_id": ACCOUNT,
            "line_item_usage_account_id": ACCOUNT,
            "line_item_line_item_type": it.line_type,
            "line_item_usage_start_date": it.start.replace(tzinfo=None),
            "line_item_usage_end_date": it.end.replace(tzinfo=None),
            "line_item_product_code": it.product,
            "line_item_usage_type": f"USE1-{it.usage_type}"
            if it.usage_type not in ("Tax", "Credit")
            else it.usage_type,
            "line_item_operation": it.operation,
            "line_item_resource_id": it.resource_id or "",
            "line_item_usage_amount": it.amount,
            "line_item_currency_code": it.currency,
            "line_item_unblended_rate": repr(it.rate),
            "line_item_unblended_cost": it.cost,
            "line_item_net_unblended_cost": it.cost,
            "line_item_line_item_description": f"{it.service} {it.usage_type}",
            "product": [("product_name", it.service), ("region", it.region)],
            "product_servicecode": it.product,
            "pricing_public_on_demand_cost": it.public_cost,
            "pricing_unit": it.unit,
            "reservation_effective_cost": 0.0,
            "reservation_reservation_a_r_n": "",
            "savings_plan_savings_plan_a_r_n": sp_arn if covered else "",
            "savings_plan_savings_plan_effective_cost": it.effective_cost if covered else 0.0,
            "savings_plan_total_commitment_to_date": 0.0,
            "savings_plan_used_commitment": 0.0,
            "resource_tags": [(f"user_{k}", v) for k, v in it.tags.items()]
            + [("aws_createdBy", "IAMUser:pockit")],
            "cost_category": [],
        }
        for key, (_, values) in cols.items():
            values.append(row[key])
    return pa.table({k: pa.array(v, type=t) for k, (t, v) in cols.items()})


def write_cur2(
    root: Path, items: list[Item], *, bucket: str = "pockit-billing", prefix: str = "exports"
) -> Path:
    """CUR 2.0 layout with its Manifest.json (dataFiles as s3:// URIs, as AWS writes them)."""
    import pyarrow.parquet as pq

    period = "BILLING_PERIOD=2026-05"
    data_dir = root / EXPORT / "data" / period
    meta_dir = root / EXPORT / "metadata" / period
    data_dir.mkdir(parents=True, exist_ok=True)
    meta_dir.mkdir(parents=True, exist_ok=True)
    name = f"{EXPORT}-00001.snappy.parquet"
    table = cur2_table(items)
    pq.write_table(table, data_dir / name, compression="snappy")
    manifest = {
        "executionId": "00000000-1111-2222-3333-444444444444",
        "exportArn": f"arn:aws:bcm-data-exports:us-east-1:{ACCOUNT}:export/{EXPORT}-0000",
        "exportName": EXPORT,
        "query": "SELECT identity_line_item_id, ... FROM COST_AND_USAGE_REPORT",
        "tableConfigurations": {
            "COST_AND_USAGE_REPORT": {"TIME_GRANULARITY": "HOURLY", "INCLUDE_RESOURCES": "TRUE"}
        },
        "billingPeriod": {"start": "2026-05-01T00:00:00Z", "end": "2026-06-01T00:00:00Z"},
        "dataFiles": [f"s3://{bucket}/{prefix}/{EXPORT}/data/{period}/{name}"],
        "columns": [{"name": f.name, "type": str(f.type)} for f in table.schema],
    }
    (meta_dir / f"{EXPORT}-Manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return root / EXPORT


# -- legacy CUR ----------------------------------------------------------------------------------

LEGACY_TAG_KEYS = ("poc", "team", "Cost Center")


def legacy_rows(items: list[Item]) -> list[dict[str, Any]]:
    """Legacy CUR CSV rows (``category/Column`` headers, ``resourceTags/user:Key``)."""
    rows = []
    for n, it in enumerate(items):
        covered = it.line_type == "SavingsPlanCoveredUsage"
        row: dict[str, Any] = {
            "identity/LineItemId": f"li{n:08d}",
            "identity/TimeInterval": f"{_z(it.start)}/{_z(it.end)}",
            "bill/BillType": "Anniversary",
            "bill/PayerAccountId": ACCOUNT,
            "bill/BillingPeriodStartDate": _z(PERIOD_START),
            "bill/BillingPeriodEndDate": _z(PERIOD_END),
            "lineItem/UsageAccountId": ACCOUNT,
            "lineItem/LineItemType": it.line_type,
            "lineItem/UsageStartDate": _z(it.start),
            "lineItem/UsageEndDate": _z(it.end),
            "lineItem/ProductCode": it.product,
            "lineItem/UsageType": it.usage_type,
            "lineItem/Operation": it.operation,
            "lineItem/ResourceId": it.resource_id or "",
            "lineItem/UsageAmount": it.amount,
            "lineItem/CurrencyCode": it.currency,
            "lineItem/UnblendedRate": it.rate,
            "lineItem/UnblendedCost": it.cost,
            "lineItem/NetUnblendedCost": it.cost,
            "lineItem/LineItemDescription": f"{it.service} {it.usage_type}",
            "product/ProductName": it.service,
            "product/region": it.region,
            "pricing/publicOnDemandCost": it.public_cost,
            "pricing/unit": it.unit,
            "reservation/EffectiveCost": 0.0,
            "savingsPlan/SavingsPlanEffectiveCost": it.effective_cost if covered else 0.0,
        }
        for key in LEGACY_TAG_KEYS:
            row[f"resourceTags/user:{key}"] = it.tags.get(key, "")
        rows.append(row)
    return rows


def write_legacy_csv(path: Path, items: list[Item]) -> None:
    import csv

    rows = legacy_rows(items)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def athena_name(header: str) -> str:
    """Legacy CUR column name as Athena spells it: lineItem/UsageStartDate → line_item_usage_start_date."""
    import re

    if header.startswith("resourceTags/user:"):
        key = re.sub(r"[^a-z0-9]+", "_", header.split(":", 1)[1].lower()).strip("_")
        return f"resource_tags_user_{key}"
    cat, _, col = header.partition("/")

    def snake(s: str) -> str:
        return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", s).lower()

    return f"{snake(cat)}_{snake(col)}"


def write_athena_parquet(path: Path, items: list[Item]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = legacy_rows(items)
    data: dict[str, list[Any]] = {athena_name(k): [] for k in rows[0]}
    for row in rows:
        for k, v in row.items():
            data[athena_name(k)].append(v)
    table = pa.table(data)
    for col in ("line_item_usage_start_date", "line_item_usage_end_date"):
        idx = table.schema.get_field_index(col)
        parsed = pa.array(
            [
                datetime.fromisoformat(v.replace("Z", "+00:00")).replace(tzinfo=None)
                for v in data[col]
            ],
            type=pa.timestamp("ms"),
        )
        table = table.set_column(idx, col, parsed)
    pq.write_table(table, path)


# -- Cost Explorer, metrics, price book ------------------------------------------------------------


def cost_explorer_response(
    items: list[Item], tag: tuple[str, str] = ("poc", "checkout-async")
) -> dict[str, Any]:
    """What GetCostAndUsage returns for DAILY, a tag filter, grouped by SERVICE."""
    days: dict[str, dict[str, dict[str, float]]] = {}
    for it in items:
        if it.tags.get(tag[0]) != tag[1] or it.line_type in ("Tax", "Credit"):
            continue
        day = it.start.strftime("%Y-%m-%d")
        svc = days.setdefault(day, {}).setdefault(
            it.service, {"UnblendedCost": 0.0, "AmortizedCost": 0.0, "UsageQuantity": 0.0}
        )
        svc["UnblendedCost"] += it.cost
        svc["AmortizedCost"] += it.effective_cost
        svc["UsageQuantity"] += it.amount
    results = []
    for day in sorted(days):
        nxt = (datetime.fromisoformat(day) + timedelta(days=1)).strftime("%Y-%m-%d")
        groups = [
            {
                "Keys": [svc],
                "Metrics": {
                    "UnblendedCost": {"Amount": f"{m['UnblendedCost']:.10f}", "Unit": "USD"},
                    "AmortizedCost": {"Amount": f"{m['AmortizedCost']:.10f}", "Unit": "USD"},
                    "UsageQuantity": {"Amount": f"{m['UsageQuantity']:.4f}", "Unit": "N/A"},
                },
            }
            for svc, m in sorted(days[day].items())
        ]
        results.append(
            {
                "TimePeriod": {"Start": day, "End": nxt},
                "Total": {},
                "Groups": groups,
                "Estimated": False,
            }
        )
    return {
        "GroupDefinitions": [{"Type": "DIMENSION", "Key": "SERVICE"}],
        "ResultsByTime": results,
        "DimensionValueAttributes": [],
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }


def cloudwatch_response(seed: int = SEED) -> dict[str, Any]:
    rng = random.Random(seed + 2)
    stamps = [START + timedelta(hours=10, minutes=m) for m in range(60)]
    results = []
    for qid, label, base in (
        ("p95", "Duration:p95", 180.0),
        ("avg", "Duration:Average", 95.0),
        ("inv", "Invocations:Sum", 3000.0),
    ):
        results.append(
            {
                "Id": qid,
                "Label": label,
                "Timestamps": [_z(t) for t in stamps],
                "Values": [round(base * rng.uniform(0.85, 1.2), 3) for _ in stamps],
                "StatusCode": "Complete",
            }
        )
    return {"MetricDataResults": results, "Messages": []}


def prometheus_response(seed: int = SEED) -> dict[str, Any]:
    rng = random.Random(seed + 3)
    t0 = (START + timedelta(hours=10)).timestamp()
    result = []
    for variant in ("baseline", "async"):
        for code in ("200", "500"):
            rate = (40.0 if code == "200" else 0.4) * (1.0 if variant == "baseline" else 1.05)
            values = [[t0 + 15 * i, f"{rate * rng.uniform(0.9, 1.1):.4f}"] for i in range(240)]
            result.append(
                {
                    "metric": {
                        "__name__": "pockit_demo_requests_per_second",
                        "variant": variant,
                        "code": code,
                        "job": "demo",
                    },
                    "values": values,
                }
            )
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


PRICEBOOK = """\
# Cost model for the sample PoC (USD, us-east-1 on-demand list prices as of writing).
currency: USD
candidates:
  checkout-baseline:          # two m6i.large behind a load balancer
    per_instance_hour: 0.096
    rps_per_instance: 120
    min_instances: 2
    fixed_per_hour: 0.0225    # load balancer hour
    egress_gb_per_request: 0.000004
    per_gb_egress: 0.09
  checkout-async:             # Lambda, 512 MB
    per_request: 0.0000002
    per_gb_second: 0.0000166667
    memory_gb: 0.5
    duration_ms: 110
    egress_gb_per_request: 0.000004
    per_gb_egress: 0.09
    logs_gb_per_request: 0.0000002
    per_gb_logs: 0.50
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "datasets"))
    args = parser.parse_args(argv)
    out = Path(args.out)
    billing, metrics = out / "billing", out / "metrics"
    billing.mkdir(parents=True, exist_ok=True)
    metrics.mkdir(parents=True, exist_ok=True)
    items = line_items()
    write_focus(billing / "focus-sample.csv", items)
    write_cur2(billing / "cur2", items)
    write_legacy_csv(billing / "cur-legacy.csv", items)
    write_athena_parquet(billing / "cur-athena.parquet", items)
    (billing / "cost-explorer-response.json").write_text(
        json.dumps(cost_explorer_response(items), indent=1) + "\n"
    )
    (metrics / "cloudwatch-getmetricdata.json").write_text(
        json.dumps(cloudwatch_response(), indent=1) + "\n"
    )
    (metrics / "prometheus-query-range.json").write_text(json.dumps(prometheus_response()) + "\n")
    (out / "pricebook.yaml").write_text(PRICEBOOK)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({total / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
