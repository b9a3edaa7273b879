"""The streaming ``run_stats`` (bounded memory) gives exactly the in-memory path's figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pockit.analysis import _exact, run_stats
from tests.analysis.helpers import make_run

NAMES = ["GET /a", "GET /b", "POST /c", "GET /d"]


def _runs(tmp: Path, seed: int, *, intended: bool = False, ties: bool = True) -> list[Any]:
    rng = np.random.default_rng(seed)
    out = []
    for cand, reps in (("fast", 3), ("slow", 2)):
        for rep in range(reps):
            n = int(rng.integers(2000, 6000))
            lat = rng.lognormal(3.0 if cand == "fast" else 3.5, 0.6, n)
            if ties:  # whole milliseconds: many equal values, bins crowded by one value
                lat = np.round(lat)
            bad = rng.random(n)
            lat[bad < 0.01] = np.nan
            lat[(bad >= 0.01) & (bad < 0.015)] = -1.0
            lat[(bad >= 0.015) & (bad < 0.018)] = np.inf
            ok = rng.random(n) > 0.03
            names = np.array(NAMES)[rng.integers(0, len(NAMES) - (rep == 1), n)]
            ti = None
            if intended:
                t0 = np.datetime64("2026-11-26T06:00:00", "ns")
                ts = t0 + (np.linspace(0, 60, n, endpoint=False) * 1e9).astype("timedelta64[ns]")
                lag = rng.integers(-2_000_000, 40_000_000, n).astype("timedelta64[ns]")
                ti = ts - lag
                out.append(
                    make_run(tmp, cand, lat, ok=ok, names=names, t_start=ts, t_intended=ti, files=3)
                )
                continue
            out.append(make_run(tmp, cand, lat, ok=ok, names=names, repeat=rep, files=3))
    return out


def _same(runs: list[Any], **kw: Any) -> dict[str, Any]:
    old = run_stats(runs, stream=False, **kw).to_dict()
    new = run_stats(runs, stream=True, **kw).to_dict()
    assert new == old
    return new


def test_stream_equals_memory_with_ties_failures_and_bad_latencies(tmp_path: Path) -> None:
    out = _same(_runs(tmp_path, 1), percentiles=(50, 90, 95, 99, 99.9))
    assert out["latency_skipped"] > 0 and out["failed_without_latency"] > 0
    assert len(out["endpoints"]) == 4 and len(out["candidates"]) == 2


def test_stream_equals_memory_one_candidate_intended_latency(tmp_path: Path) -> None:
    runs = [r for r in _runs(tmp_path, 2, intended=True) if r.candidate == "fast"]
    out = _same(runs)
    assert out["latency_intended_ms"]["p95"]["value"] is not None


@pytest.mark.parametrize("cap", [7, 300])
def test_split_bins_when_cells_exceed_the_collect_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cap: int
) -> None:
    # a real constant lowered so the finer histogram levels (and the last, value-exact one) run
    monkeypatch.setattr(_exact, "COLLECT_CAP", cap)
    _same(_runs(tmp_path, 3, ties=cap != 300), percentiles=(50, 99))
    _same(_runs(tmp_path / "i", 4, intended=True, ties=False))


def test_one_run_no_endpoints_and_empty(tmp_path: Path) -> None:
    run = make_run(tmp_path, "c", np.array([5.0, 5.0, 1.0, np.nan]), ok=[True, True, False, True])
    _same([run], by_endpoint=False)
    empty = make_run(tmp_path / "e", "c", np.array([]))
    out = _same([empty])
    assert out["n"] == 0
