"""observability_coverage, cardinality_peak and cardinality_growth on synthetic points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pockit._contract import RunField, RunMeta
from pockit.analysis import FrameRequests, RunInfo
from pockit.criteria import OBS_SERIES, OBS_UP, CandidateData, Judgement, MetricInput, Rule, lookup

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def _info(rid: str, start: datetime, seconds: int, **raw: Any) -> RunInfo:
    meta = {"id": rid, "candidate": "a", "start": start.isoformat(), "status": "completed"}
    meta["end"] = (start + timedelta(seconds=seconds)).isoformat()
    record = RunMeta.from_dict({**meta, **raw})
    end = start + timedelta(seconds=seconds)
    return RunInfo(rid, "a", start, end, "completed", None, Path("."), record=record)


def up_rows(targets: dict[tuple[str, str], list[float]]) -> list[dict[str, Any]]:
    rows = []
    for (job, instance), values in targets.items():
        for i, v in enumerate(values):
            dims = [{"key": "job", "value": job}, {"key": "instance", "value": instance}]
            rows.append(
                {"ts": T0 + timedelta(seconds=i), "metric": OBS_UP, "value": v, "dimensions": dims}
            )
    return rows


def series_rows(values: list[float], start: datetime = T0) -> list[dict[str, Any]]:
    return [
        {"ts": start + timedelta(seconds=i), "metric": OBS_SERIES, "value": v, "dimensions": []}
        for i, v in enumerate(values)
    ]


def data_of(rows: list[dict[str, Any]], infos: list[RunInfo] | None = None) -> CandidateData:
    frame = pl.DataFrame(rows) if rows else None
    return CandidateData(
        name="a",
        requests=FrameRequests(pl.DataFrame()),
        infos=infos or [_info("r1", T0, 60)],
        durations={},
        unit="pooled",
        metrics=frame,
    )


def judged(
    metric: str, data: CandidateData, op: str, thr: float, services: tuple[str, ...] = ()
) -> Judgement:
    found = lookup(metric)
    assert found is not None
    rule = Rule(metric=metric, op=op, threshold=thr)
    return found.compute(
        MetricInput(rule=rule, data=data, requests=data.requests, services=services)
    )


def test_coverage_counts_job_or_instance_up_at_least_once() -> None:
    rows = up_rows(
        {
            ("checkout", "10.0.0.1:9100"): [1, 1, 1],
            ("pockit", "127.0.0.1:8081"): [0, 1, 0],  # scraped once: instrumented
            ("payments", "10.0.0.2:9100"): [0, 0, 0],  # never scraped: not instrumented
        }
    )
    got = judged(
        "observability_coverage",
        data_of(rows),
        ">=",
        0.5,
        services=("checkout", "127.0.0.1:8081", "payments", "ledger"),
    )
    assert got.estimate == pytest.approx(0.5) and got.ci_low == got.ci_high == got.estimate
    assert got.outcome == "PASS" and got.n == 4
    assert "not instrumented: payments, ledger" in got.reason
    per = got.details["services"]
    assert per["127.0.0.1:8081"] == {"instrumented": True, "points": 3, "up_points": 1}
    assert per["ledger"]["points"] == 0


def test_coverage_missing_data_is_inconclusive_with_the_fetch_error() -> None:
    info = _info(
        "r1", T0, 60, **{RunField.METRICS_ERRORS: {"observability": "cannot reach Prometheus"}}
    )
    got = judged("observability_coverage", data_of([], [info]), ">=", 1, services=("x",))
    assert got.outcome == "INCONCLUSIVE" and "cannot reach Prometheus" in got.reason
    none = judged("observability_coverage", data_of(up_rows({("x", "y"): [1]})), ">=", 1)
    assert none.outcome == "INCONCLUSIVE" and "observability.services" in none.reason


def test_cardinality_peak_and_growth() -> None:
    data = data_of(series_rows([100, 120, 150, 140, 130]))
    peak = judged("cardinality_peak", data, "<", 200)
    assert (peak.estimate, peak.outcome, peak.n) == (150, "PASS", 5)
    assert judged("cardinality_peak", data, "<", 150).outcome == "FAIL"
    growth = judged("cardinality_growth", data, "<=", 0.5)
    assert growth.estimate == pytest.approx(0.3) and growth.outcome == "PASS"
    assert judged("cardinality_growth", data, "<=", 0.2).outcome == "FAIL"


def test_growth_is_the_worst_run_and_only_inside_load_windows() -> None:
    t1 = T0 + timedelta(hours=1)
    rows = series_rows([100, 110, 1000]) + series_rows([200, 300], start=t1)
    # run r1's load window ends before the 1000 point (2 s after T0)
    infos = [
        _info(
            "r1",
            T0,
            60,
            load_window={
                "start": T0.isoformat(),
                "end": (T0 + timedelta(seconds=1)).isoformat(),
                "seconds": 1,
            },
        ),
        _info("r2", t1, 60),
    ]
    growth = judged("cardinality_growth", data_of(rows, infos), "<=", 1)
    assert growth.estimate == pytest.approx(0.5)  # r2: 200 -> 300; r1 only 100 -> 110
    assert set(growth.details["runs"]) == {"r1", "r2"}
    assert judged("cardinality_peak", data_of(rows, infos), "<", 1e9).estimate == 300


def test_growth_needs_two_points() -> None:
    got = judged("cardinality_growth", data_of(series_rows([100])), "<=", 1)
    assert got.outcome == "INCONCLUSIVE" and "fewer than 2 points" in got.reason
    absent = judged("cardinality_peak", data_of([]), "<", 10)
    assert absent.outcome == "INCONCLUSIVE" and "series count" in absent.reason
