"""Billing and metrics through boto3 against a real moto server (S3, Cost Explorer, Athena, CloudWatch)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from pockit._errors import SourceError, UsageError
from pockit.sources import (
    attribute_cost,
    fetch_cloudwatch,
    fetch_cost_explorer,
    query_athena,
    read_billing,
)
from tests._typed import Window

from .conftest import DATASETS, free_port, moto_static

W: Window = {"start": "2026-05-04T10:00:00Z", "end": "2026-05-04T12:00:00Z"}
T0 = datetime(2026, 5, 4, 10, tzinfo=UTC)


def _upload_cur2(bucket: str) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    root = DATASETS / "billing" / "cur2"
    for path in root.rglob("*"):
        if path.is_file():
            s3.upload_file(str(path), bucket, "exports/" + path.relative_to(root).as_posix())


def test_s3_cur2_export_via_manifest(aws: str) -> None:
    _upload_cur2("pockit-billing")  # the manifest's dataFiles name this bucket
    s3 = boto3.client("s3", region_name="us-east-1")
    # a stale delivery that the manifest does not list
    s3.put_object(
        Bucket="pockit-billing",
        Key="exports/pockit-cur2/data/BILLING_PERIOD=2026-05/old-00001.snappy.parquet",
        Body=(next((DATASETS / "billing" / "cur2").rglob("*.parquet"))).read_bytes(),
    )
    for url in (
        "s3://pockit-billing/exports/pockit-cur2",
        "s3://pockit-billing/exports/pockit-cur2/metadata/BILLING_PERIOD=2026-05/pockit-cur2-Manifest.json",
    ):
        r = attribute_cost(
            read_billing(url, column="billed"), **W, tags={"poc": "checkout-baseline"}
        )
        assert r.rows == 6
        assert r.by_service["AmazonEC2"] == pytest.approx(4 * 0.096)


def test_s3_single_file_and_missing_key(aws: str) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="focus")
    s3.upload_file(str(DATASETS / "billing" / "focus-sample.csv"), "focus", "2026/05/focus.csv")
    r = attribute_cost(
        read_billing("s3://focus/2026/05/focus.csv"), **W, tags={"poc": "checkout-async"}
    )
    assert r.rows > 0
    with pytest.raises(SourceError, match="404|NoSuchKey"):
        read_billing("s3://focus/2026/05/missing.csv")
    with pytest.raises(SourceError, match="no billing data files"):
        read_billing("s3://focus/empty-prefix")


def test_wrong_endpoint_says_what_to_check(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(SourceError, match="AWS_ENDPOINT_URL"):
        read_billing("s3://focus/x.csv")


def test_no_credentials_says_what_to_set() -> None:
    # Raised directly: the test does not touch the machine's credential chain.
    from botocore.exceptions import ClientError, NoCredentialsError

    from pockit.sources._aws import aws_errors

    with (
        pytest.raises(SourceError, match="no AWS credentials.*AWS_PROFILE"),
        aws_errors("reading s3://b/k"),
    ):
        raise NoCredentialsError()
    denied = ClientError(
        {"Error": {"Code": "InvalidAccessKeyId", "Message": "bad key"}}, "GetObject"
    )
    with (
        pytest.raises(SourceError, match="InvalidAccessKeyId.*AWS_ACCESS_KEY_ID"),
        aws_errors("reading s3://b/k"),
    ):
        raise denied


def _ce_page(day: str, amount: str, token: str | None) -> dict[str, Any]:
    page: dict[str, Any] = {
        "ResultsByTime": [
            {
                "TimePeriod": {
                    "Start": day,
                    "End": (datetime.fromisoformat(day) + timedelta(days=1)).strftime("%Y-%m-%d"),
                },
                "Total": {},
                "Groups": [
                    {
                        "Keys": ["AWS Lambda"],
                        "Metrics": {
                            "AmortizedCost": {"Amount": amount, "Unit": "USD"},
                            "UsageQuantity": {"Amount": "10", "Unit": "N/A"},
                        },
                    },
                    {
                        "Keys": ["Amazon CloudWatch"],
                        "Metrics": {
                            "AmortizedCost": {"Amount": "0.24", "Unit": "USD"},
                            "UsageQuantity": {"Amount": "1", "Unit": "N/A"},
                        },
                    },
                ],
                "Estimated": False,
            }
        ],
        "DimensionValueAttributes": [],
    }
    if token:
        page["NextPageToken"] = token
    return page


def test_cost_explorer_pages_and_filters(aws: str) -> None:
    # moto hands out one queued result per distinct request: page 2 is asked with NextPageToken.
    moto_static(
        aws,
        "ce/cost-and-usage-results",
        {
            "results": [
                _ce_page("2026-05-04", "4.80", "page-2"),
                _ce_page("2026-05-05", "2.40", None),
            ]
        },
    )
    frame = fetch_cost_explorer(
        T0, T0 + timedelta(days=1, hours=2), tags={"poc": "checkout-async"}, column="effective"
    )
    assert frame.height == 4  # 2 days × 2 services: both pages read
    assert set(frame["cost_column"]) == {"AmortizedCost"}
    r = attribute_cost(
        frame.lazy(),
        start="2026-05-04T00:00:00Z",
        end="2026-05-05T00:00:00Z",
        tags={"poc": "checkout-async"},
    )
    assert r.total == pytest.approx(4.80 + 0.24)
    # one hour of a day prorates
    r1 = attribute_cost(frame.lazy(), start="2026-05-04T10:00:00Z", end="2026-05-04T11:00:00Z")
    assert r1.total == pytest.approx((4.80 + 0.24) / 24)


def test_cost_explorer_through_read_billing_needs_window(aws: str) -> None:
    from pockit._errors import UsageError

    with pytest.raises(UsageError, match="window"):
        read_billing("cost-explorer")
    with pytest.raises(UsageError, match="no 'list' cost|use one of"):
        read_billing("cost-explorer", column="list", start=T0, end=T0 + timedelta(hours=1))


def _athena_rows() -> dict[str, Any]:
    header = [
        "line_item_usage_start_date",
        "line_item_usage_end_date",
        "cost",
        "line_item_currency_code",
        "line_item_product_code",
        "line_item_resource_id",
        "line_item_usage_amount",
        "pricing_unit",
        "line_item_line_item_type",
    ]
    data = [
        [
            "2026-05-04 10:00:00.000",
            "2026-05-04 11:00:00.000",
            "0.096",
            "USD",
            "AmazonEC2",
            "i-1",
            "1.0",
            "Hrs",
            "Usage",
        ],
        [
            "2026-05-04 11:00:00.000",
            "2026-05-04 12:00:00.000",
            "0.096",
            "USD",
            "AmazonEC2",
            "i-1",
            "1.0",
            "Hrs",
            "Usage",
        ],
        [
            "2026-05-04 10:00:00.000",
            "2026-05-04 11:00:00.000",
            "0.018",
            "USD",
            "AWSDataTransfer",
            "",
            "0.2",
            "GB",
            "Usage",
        ],
    ]
    rows = [{"Data": [{"VarCharValue": v} for v in row]} for row in [header, *data]]
    return {
        "results": [
            {
                "rows": rows,
                "column_info": [
                    {
                        "Name": h,
                        "Label": h,
                        "Type": "varchar",
                        "CatalogName": "hive",
                        "SchemaName": "",
                        "TableName": "",
                        "Nullable": "UNKNOWN",
                        "CaseSensitive": True,
                        "Precision": 0,
                        "Scale": 0,
                    }
                    for h in header
                ],
            }
        ]
    }


def test_athena_query_polls_and_reads(aws: str) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="athena-out")
    moto_static(aws, "athena/query-results", _athena_rows())
    frame = query_athena(
        "cur",
        "cur2_table",
        start=T0,
        end=T0 + timedelta(hours=2),
        tags={"poc": "checkout-baseline"},
        output="s3://athena-out/q/",
    )
    assert frame.height == 3
    r = attribute_cost(
        frame.lazy(), start=T0, end=T0 + timedelta(hours=2), tags={"poc": "checkout-baseline"}
    )
    assert r.total == pytest.approx(0.21)
    assert r.by_service == pytest.approx({"AmazonEC2": 0.192, "AWSDataTransfer": 0.018})
    assert frame["resource_id"].null_count() == 1


def test_athena_sql_is_parameterised() -> None:
    from pockit._errors import UsageError
    from pockit.sources._athena import build_query

    sql, params = build_query(
        "cur",
        "t",
        start=T0,
        end=T0 + timedelta(hours=1),
        tags={"poc": "it's"},
        column="billed",
        schema="cur2",
    )
    assert "it's" not in sql and "'it''s'" in params
    assert "element_at(resource_tags, ?)" in sql and "'user_poc'" in params
    legacy, _ = build_query(
        "cur",
        "t",
        start=T0,
        end=T0 + timedelta(hours=1),
        tags={"Cost Center": "x"},
        column="effective",
        schema="legacy",
        columns=_CUR_COLUMNS,
    )
    assert "resource_tags_user_cost_center = ?" in legacy and "SavingsPlanCoveredUsage" in legacy
    with pytest.raises(UsageError, match="identifier"):
        build_query("cur; drop", "t", start=T0, end=T0, tags={}, column="billed", schema="cur2")


_SP = [
    "savings_plan_savings_plan_effective_cost",
    "savings_plan_total_commitment_to_date",
    "savings_plan_used_commitment",
]
_RI = [
    "reservation_effective_cost",
    "reservation_unused_amortized_upfront_fee_for_billing_period",
    "reservation_unused_recurring_fee",
    "reservation_reservation_a_r_n",
]
_BASE = [
    "line_item_usage_start_date",
    "line_item_usage_end_date",
    "line_item_unblended_cost",
    "line_item_line_item_type",
    "line_item_currency_code",
]
_CUR_COLUMNS = _BASE + _SP + _RI


def test_athena_effective_sql_matches_the_local_reader() -> None:
    from pockit.sources._athena import build_query

    notes: list[str] = []
    sql, params = build_query(
        "cur",
        "t",
        start=datetime(2026, 5, 31, 23, tzinfo=UTC),
        end=datetime(2026, 6, 1, 1, tzinfo=UTC),
        tags={},
        column="effective",
        schema="cur2",
        columns=[*_CUR_COLUMNS, "billing_period"],
        notes=notes,
    )
    # an RI's upfront Fee row is amortized into DiscountedUsage/RIFee: 0 here, as in _cur.py
    assert (
        "WHEN 'Fee' THEN CASE WHEN coalesce(reservation_reservation_a_r_n, '') <> '' THEN 0" in sql
    )
    assert "billing_period IN (?, ?)" in sql and params[-2:] == ["'2026-05'", "'2026-06'"]
    assert not notes
    # a table without Savings Plan / reservation columns: no clause names them
    bare, _ = build_query(
        "cur", "t", start=T0, end=T0 + timedelta(hours=1), tags={}, column="effective",
        schema="legacy", columns=[*_BASE, "year", "month"],
    )  # fmt: skip
    assert "savings_plan" not in bare and "reservation" not in bare
    assert "(year = ? AND month IN (?, ?))" in bare
    # columns unknown: unblended, and a note says so
    unknown, _ = build_query(
        "cur", "t", start=T0, end=T0 + timedelta(hours=1), tags={}, column="effective",
        schema="cur2", columns=None, notes=notes,
    )  # fmt: skip
    assert "line_item_unblended_cost AS cost" in unknown and "billing_period" not in unknown
    assert any("glue:GetTable" in n for n in notes)


def test_athena_reads_the_table_columns_from_glue(aws: str) -> None:
    """moto's Athena returns static results, so the SQL it was sent is what is checked here."""
    glue = boto3.client("glue", region_name="us-east-1")
    glue.create_database(DatabaseInput={"Name": "curdb"})
    glue.create_table(
        DatabaseName="curdb",
        TableInput={
            "Name": "legacy_cur",
            "StorageDescriptor": {"Columns": [{"Name": c, "Type": "string"} for c in _BASE]},
            "PartitionKeys": [
                {"Name": "year", "Type": "string"},
                {"Name": "month", "Type": "string"},
            ],
        },
    )
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="athena-out2")
    moto_static(aws, "athena/query-results", _athena_rows())
    notes: list[str] = []
    frame = query_athena(
        "curdb", "legacy_cur", start=T0, end=T0 + timedelta(hours=2), schema="legacy",
        output="s3://athena-out2/q/", notes=notes,
    )  # fmt: skip
    assert frame.height == 3 and not notes
    athena = boto3.client("athena", region_name="us-east-1")
    ids = athena.list_query_executions()["QueryExecutionIds"]
    sqls = [athena.get_query_execution(QueryExecutionId=i)["QueryExecution"]["Query"] for i in ids]
    sent = next(q for q in sqls if '"curdb"."legacy_cur"' in q)
    assert "savings_plan" not in sent and "reservation" not in sent
    assert "(year = ? AND month IN (?, ?))" in sent
    assert frame["cost_column"][0].startswith("amortized")


def test_cloudwatch_get_metric_data(aws: str) -> None:
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    now = datetime.now(UTC).replace(microsecond=0)
    data = [
        {
            "MetricName": "Duration",
            "Dimensions": [{"Name": "FunctionName", "Value": "checkout"}],
            "Timestamp": now - timedelta(minutes=m),
            "Value": float(10 + m),
            "Unit": "Milliseconds",
        }
        for m in range(1, 6)
    ]
    cw.put_metric_data(Namespace="AWS/Lambda", MetricData=data)
    queries = [
        {
            "id": "avg",
            "namespace": "AWS/Lambda",
            "metric": "Duration",
            "dimensions": {"FunctionName": "checkout"},
            "stat": "Average",
            "period": 60,
            "unit": "Milliseconds",
        },
        {
            "id": "n",
            "namespace": "AWS/Lambda",
            "metric": "Duration",
            "dimensions": {"FunctionName": "checkout"},
            "stat": "SampleCount",
            "period": 3600,
        },
    ]
    frame = fetch_cloudwatch(
        queries, start=now - timedelta(minutes=10), end=now + timedelta(minutes=1)
    )
    avg = frame.filter(frame["metric"] == "Duration:Average")
    assert sorted(avg["value"].to_list()) == [11.0, 12.0, 13.0, 14.0, 15.0]
    assert set(avg["unit"]) == {"Milliseconds"}
    assert frame.filter(frame["metric"] == "Duration:SampleCount")["value"].sum() == 5


class _PagingCloudWatch:
    """Stand-in for the CloudWatch client, only to drive NextToken paging: moto returns one page."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def get_metric_data(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        n = len(self.calls)
        page: dict[str, Any] = {
            "MetricDataResults": [
                {
                    "Id": "p95",
                    "Label": "Duration:p95",
                    "Timestamps": [T0 + timedelta(minutes=n)],
                    "Values": [100.0 + n],
                    "StatusCode": "Complete",
                }
            ]
        }
        if n < 3:
            page["NextToken"] = f"t{n}"
        return page


def test_cloudwatch_paging_and_limits() -> None:
    fake = _PagingCloudWatch()
    frame = fetch_cloudwatch(
        [{"id": "p95", "namespace": "AWS/Lambda", "metric": "Duration", "stat": "p95"}],
        start=T0,
        end=T0 + timedelta(hours=1),
        cw_client=fake,
    )
    assert frame["value"].to_list() == [101.0, 102.0, 103.0]
    assert [c.get("NextToken") for c in fake.calls] == [None, "t1", "t2"]
    assert all(c["MaxDatapoints"] <= 100_800 for c in fake.calls)
    assert fake.calls[0]["MetricDataQueries"][0]["MetricStat"]["Stat"] == "p95"


def test_cloudwatch_metric_named_like_5xx_rate_is_fetched_under_a_safe_id(
    aws: str, tmp_path: Path
) -> None:
    """GetMetricData ids must match ^[a-z][a-zA-Z0-9_]*$; a spec metric named ``5xx_rate`` used to
    escape as an error after the load had run. pockit makes the id and maps the name back."""
    from pockit._rundir import RunDir, iso
    from pockit.sources import attach_spec_metrics, load_attached_metrics
    from pockit.spec import MetricSource

    cw = boto3.client("cloudwatch", region_name="us-east-1")
    now = datetime.now(UTC).replace(microsecond=0)
    cw.put_metric_data(
        Namespace="App",
        MetricData=[{"MetricName": "5xx", "Timestamp": now - timedelta(seconds=30), "Value": 3.0}],
    )
    run = RunDir.create(
        tmp_path / "runs",
        {
            "candidate": "async",
            "start": iso(now - timedelta(minutes=2)),
            "end": iso(now + timedelta(minutes=1)),
            "status": "completed",
        },
    )
    sources = [
        MetricSource(
            kind="cloudwatch", name=name, namespace="App", metric_name="5xx", stat="Sum", step_s=60
        )
        for name in ("5xx_rate", "5xx-rate", "p95.latency:ms")
    ]
    outcome = attach_spec_metrics(run.path, sources, pad_s=60)
    assert outcome == {s.name: "ok" for s in sources}
    stored = load_attached_metrics(run.path).collect()
    assert set(stored["metric"]) == {"5xx_rate", "5xx-rate", "p95.latency:ms"}
    assert stored.filter(stored["metric"] == "5xx_rate")["value"].sum() == 3.0


def test_cloudwatch_raw_query_with_a_bad_id_is_refused_before_the_call() -> None:
    with pytest.raises(UsageError, match="Id '5xx' must match"):
        fetch_cloudwatch(
            [{"Id": "5xx", "MetricStat": {}}],
            start=datetime(2026, 5, 1, tzinfo=UTC),
            end=datetime(2026, 5, 2, tzinfo=UTC),
        )


def test_athena_non_finite_cost_is_refused_naming_the_result_row(aws: str) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="athena-out")
    body = _athena_rows()
    body["results"][0]["rows"][2]["Data"][2]["VarCharValue"] = "NaN"  # the 2nd data row's cost
    moto_static(aws, "athena/query-results", body)
    with pytest.raises(SourceError, match=r"result row 2 \(AmazonEC2, .*cost is 'NaN'"):
        query_athena(
            "cur", "cur2_table", start=T0, end=T0 + timedelta(hours=2), output="s3://athena-out/q/"
        )
