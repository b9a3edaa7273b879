"""``detect_alert_s:NAME``: fault_start to the first firing of an alert (issue 15), on run
directories built from arrays and metric points attached with the real ``attach_metrics``.

The live Prometheus version is tests/load/test_detect_alert_run.py."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pockit._errors import SpecError
from pockit.criteria import lookup, unit
from pockit.decision import decide
from pockit.sources import attach_metrics
from pockit.spec import Spec
from tests.analysis.helpers import T0, make_run, make_spec

SPEC = """
name: t
hypothesis: h
candidates:
  - {name: fast, host: "http://127.0.0.1:2"}
load: {locustfile: l.py}
metrics:
  - name: page
    kind: prometheus
    url: http://127.0.0.1:9
    query: 'ALERTS{alertname="DemoErrorRateHigh", alertstate="firing"}'
criteria:
  - {metric: "detect_alert_s:page", op: "<=", threshold: 10}
"""

OTHER = "up"  # a metric attached beside the alert source, so the run has metrics attached


def _spec(tmp: Path, text: str = SPEC) -> Spec:
    spec: Spec = make_spec(tmp, text)
    return spec


def _points(name: str, offsets_s: list[float]) -> pl.DataFrame:
    """A metrics frame (contract 2) with value 1 at T0 + each offset."""
    return pl.DataFrame(
        {
            "ts": [T0 + timedelta(seconds=s) for s in offsets_s],
            "metric": [name] * len(offsets_s),
            "value": [1.0] * len(offsets_s),
            "unit": [None] * len(offsets_s),
            "dimensions": [[]] * len(offsets_s),
            "source": ["prometheus"] * len(offsets_s),
        },
        schema_overrides={
            "ts": pl.Datetime("us", "UTC"),
            "unit": pl.String,
            "dimensions": pl.List(pl.Struct({"key": pl.String, "value": pl.String})),
        },
    )


def _run(root: Path, faults: list[tuple[float, float]], firing: list[float]) -> Path:
    """A 60 s run with these (start, end) faults whose attached alert source fires at ``firing``."""
    events = []
    for i, (a, b) in enumerate(faults):
        events.append({"kind": "fault_start", "ts": T0 + timedelta(seconds=a), "fault": i})
        events.append({"kind": "fault_end", "ts": T0 + timedelta(seconds=b), "fault": i})
    run = make_run(root, "fast", np.full(600, 20.0), events=events)
    attach_metrics(run, pl.concat([_points(OTHER, [1.0, 2.0]), _points("page", firing)]))
    return run.path


def test_the_family_is_registered_in_seconds() -> None:
    m = lookup("detect_alert_s:page")
    assert m is not None and m.name == "detect_alert_s:NAME" and unit("detect_alert_s:x") == "s"
    assert lookup("detect_alert_s:") is None


def test_first_firing_after_the_fault_start_with_one_step_bounds(tmp_path: Path) -> None:
    # fault at 20.4 s; the alert series has a point every 1 s from 26 s (firing began in (25, 26])
    run = _run(tmp_path / "r", [(20.4, 30.4)], [26.0 + i for i in range(8)])
    [c] = decide(_spec(tmp_path), [run]).criteria
    assert c.estimate == pytest.approx(5.6) and c.ci_low == pytest.approx(4.6)
    assert c.ci_high == pytest.approx(5.6) and c.n == 1
    assert c.outcome == "PASS", c.reason
    [f] = c.details["faults"]
    assert f["detect_alert_s"] == pytest.approx(5.6) and f["fired_at"].startswith("2026")


def test_an_alert_that_never_fires_is_a_failed_detection(tmp_path: Path) -> None:
    run = _run(tmp_path / "r", [(20.0, 30.0)], [])
    [c] = decide(_spec(tmp_path), [run]).criteria
    assert c.outcome == "FAIL" and math.isinf(c.estimate)
    assert "never fired" in c.reason and "detection failure" in c.reason


def test_a_firing_before_the_fault_is_not_its_detection(tmp_path: Path) -> None:
    """The stretch that fired for an earlier fault ends; the next fault's alert is a new stretch."""
    firing = [12.0, 13.0, 14.0, 15.0] + [46.0, 47.0]
    run = _run(tmp_path / "r", [(10.0, 14.0), (40.0, 44.0)], firing)
    [c] = decide(_spec(tmp_path), [run]).criteria
    assert [f["detect_alert_s"] for f in c.details["faults"]] == [2.0, 6.0]
    assert c.estimate == 6.0 and c.details["mean_s"] == 4.0 and c.outcome == "PASS"


def test_already_firing_through_the_fault_is_inconclusive(tmp_path: Path) -> None:
    run = _run(tmp_path / "r", [(20.0, 25.0)], [float(s) for s in range(15, 40)])
    [c] = decide(_spec(tmp_path), [run]).criteria
    assert c.outcome == "INCONCLUSIVE" and "already firing" in c.reason


def test_a_source_that_could_not_be_fetched_is_missing_data(tmp_path: Path) -> None:
    run = make_run(
        tmp_path / "r",
        "fast",
        np.full(600, 20.0),
        events=[{"kind": "fault_start", "ts": T0 + timedelta(seconds=20), "fault": 0}],
    )
    [c] = decide(_spec(tmp_path), [run.path]).criteria
    assert c.outcome == "INCONCLUSIVE" and "never fetched" in c.reason
    run.update_meta(metrics={"file": "sources/metrics.parquet"}, metrics_errors={"page": "refused"})
    [c] = decide(_spec(tmp_path), [run.path]).criteria
    assert c.outcome == "INCONCLUSIVE" and "fetching 'page' failed (refused)" in c.reason


def test_no_fault_is_inconclusive(tmp_path: Path) -> None:
    run = _run(tmp_path / "r", [], [5.0])
    [c] = decide(_spec(tmp_path), [run]).criteria
    assert c.outcome == "INCONCLUSIVE" and "needs an injected fault" in c.reason


def test_the_spec_names_a_source_that_exists_and_selects_firing_alerts(tmp_path: Path) -> None:
    bad_name = SPEC.replace("detect_alert_s:page", "detect_alert_s:pgae")
    with pytest.raises(SpecError) as err:
        _spec(tmp_path, bad_name)
    [e] = err.value.errors
    assert e.field == "criteria[0].metric" and e.line == 13
    assert "no metrics source named 'pgae'" in e.message and "detect_alert_s:page" in e.message
    pending = SPEC.replace(', alertstate="firing"', "")
    with pytest.raises(SpecError) as err:
        _spec(tmp_path, pending)
    [e] = err.value.errors
    assert e.field == "metrics[0].query" and e.line == 11 and "alertstate" in e.message
