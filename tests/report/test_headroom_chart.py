"""The headroom chart: utilisation with its P95 and the band the criteria accept; the series count."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from pockit.criteria import OBS_SERIES
from pockit.decision import decide
from pockit.report import plots
from pockit.report.plots.headroom import utilisation_band
from tests.analysis.helpers import T0, make_run, make_spec

SPEC = """name: h
hypothesis: room is left
candidates: [{name: a, host: "http://127.0.0.1:1"}]
load: {locustfile: l.py, users: 1, duration: 60s}
metrics: [{kind: prometheus, name: slots, url: "http://127.0.0.1:9", query: up}]
observability: {url: "http://127.0.0.1:9", services: [a]}
"""


def _metrics() -> pd.DataFrame:
    ts = [T0 + timedelta(seconds=i) for i in range(60)]
    rng = np.random.default_rng(3)
    util = pl.DataFrame({"ts": ts, "metric": "slots", "value": rng.uniform(0.5, 0.7, 60)})
    series = pl.DataFrame({"ts": ts, "metric": OBS_SERIES, "value": np.linspace(100.0, 110.0, 60)})
    return pl.concat([util, series]).with_columns(pl.lit("a").alias("candidate")).to_pandas()


def test_band_peak_and_series_panels(tmp_path: Path) -> None:
    spec = make_spec(
        tmp_path,
        SPEC
        + "criteria:\n"
        + '  - {metric: "headroom:slots", op: ">=", threshold: 0.2}\n'
        + '  - {metric: "headroom:slots", op: "<=", threshold: 0.4}\n'
        + "  - {metric: cardinality_peak, op: <, threshold: 1000}\n",
    )
    run = make_run(tmp_path / "runs", "a", np.full(100, 10.0))
    metrics = _metrics()
    d = decide(spec, [run.path], metrics=pl.from_pandas(metrics))
    assert utilisation_band(d, "slots") == (0.6, 0.8)
    fig = plots.headroom(metrics, d)
    assert fig is not None
    util_ax, series_ax = fig.axes
    legend = util_ax.get_legend()
    assert legend is not None
    labels = [t.get_text() for t in legend.get_texts()]
    assert "accepted utilisation" in labels and "a P95" in labels
    peak = [ln for ln in util_ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(peak) == 1
    assert np.asarray(peak[0].get_ydata())[0] == 1 - d.criteria[0].estimate
    assert series_ax.get_ylabel() == "series"
    assert np.asarray(series_ax.get_lines()[0].get_ydata()).max() == 110.0


def test_no_chart_without_those_criteria(tmp_path: Path) -> None:
    spec = make_spec(
        tmp_path, SPEC + "criteria:\n  - {metric: success_rate, op: '>=', threshold: 0.9}\n"
    )
    run = make_run(tmp_path / "runs", "a", np.full(100, 10.0))
    assert plots.headroom(_metrics(), decide(spec, [run.path])) is None
    # the server-metrics chart leaves Prometheus's own series count to this one
    server = plots.server_metrics(_metrics())
    assert [ax.get_ylabel() for ax in server.axes][0].startswith("slots")
    assert len(server.axes) == 2  # slots, then client latency
