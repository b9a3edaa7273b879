"""``pockit stats`` on 10M samples vs straightforward pandas code for the same figures.

Figures: per-endpoint and overall p50/p95/p99 of successful requests with 95% order-statistic
intervals, success rate with its Wilson interval, and a 1 s timeline (requests, errors,
p50/p95/p99). Both sides read the same run directory (5 Parquet files) from disk, and the
pandas side is checked to give the same numbers. Run: ``.venv/bin/python benchmarks/bench_stats.py``.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    import pandas as pd

ENDPOINTS = {  # name: (median ms, share of traffic)
    "GET /api/items": (35.0, 0.30),
    "GET /api/items/{id}": (22.0, 0.20),
    "POST /api/cart": (80.0, 0.12),
    "GET /api/cart": (30.0, 0.10),
    "POST /api/checkout": (240.0, 0.05),
    "GET /api/search": (120.0, 0.13),
    "GET /health": (2.0, 0.05),
    "POST /api/login": (150.0, 0.05),
}
QS = (0.50, 0.95, 0.99)


def make_run_dir(root: Path, n: int, files: int = 5, duration_s: float = 600.0) -> Path:
    """A run directory of ``n`` samples over ``duration_s`` seconds, in ``files`` Parquet batches."""
    from datetime import UTC, datetime, timedelta

    from pockit._rundir import SAMPLE_SCHEMA, RunDir, iso

    start = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    run = RunDir.create(
        root,
        {
            "candidate": "async",
            "start": iso(start),
            "end": iso(start + timedelta(seconds=duration_s)),
        },
    )
    rng = np.random.default_rng(42)
    names = list(ENDPOINTS)
    probs = np.array([ENDPOINTS[k][1] for k in names])
    medians = np.array([ENDPOINTS[k][0] for k in names])
    t0 = np.datetime64(start.replace(tzinfo=None), "ns").astype(np.int64)
    bounds = np.linspace(0, n, files + 1).astype(np.int64)
    for i in range(files):
        m = int(bounds[i + 1] - bounds[i])
        idx = rng.choice(len(names), size=m, p=probs).astype(np.int32)
        lat = medians[idx] * rng.lognormal(0.0, 0.45, m)
        ok = rng.random(m) > 0.01
        offs = np.sort(rng.uniform(bounds[i] / n, bounds[i + 1] / n, m)) * duration_s * 1e9
        status = np.where(ok, 200, 503).astype(np.int16)
        table = pa.table(
            {
                "t_start": pa.array(t0 + offs.astype(np.int64), pa.int64()).cast(
                    pa.timestamp("ns", tz="UTC")
                ),
                "latency_ms": pa.array(lat),
                "name": pa.DictionaryArray.from_arrays(pa.array(idx), pa.array(names)),
                "method": pa.DictionaryArray.from_arrays(
                    pa.array(np.zeros(m, np.int32)), pa.array(["GET"])
                ),
                "status": pa.array(status),
                "ok": pa.array(ok),
                "bytes": pa.array(np.full(m, 512, np.int64)),
                "error": pa.DictionaryArray.from_arrays(
                    pa.array(np.zeros(m, np.int32), mask=ok), pa.array(["HTTP 503"])
                ),
                "worker": pa.array(np.zeros(m, np.int16)),
                "t_intended": pa.nulls(m, pa.timestamp("ns", tz="UTC")),
            }
        ).cast(SAMPLE_SCHEMA)
        pq.write_table(table, run.samples_dir / f"batch-{i:05d}.parquet", row_group_size=1 << 20)
    run.update_meta(status="completed")
    return run.path


def pockit_figures(run_dir: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """The public API as a user calls it: read the run once, then statistics and timeline."""
    from pockit.analysis import load_samples, run_stats, timeline

    samples = load_samples([run_dir])
    stats = run_stats(samples)
    tl = timeline(samples, 1.0)
    return stats.to_dict(), tl


def pockit_figures_by_path(run_dir: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """The same figures, each function given the path (so the run is read twice)."""
    from pockit.analysis import run_stats, timeline

    return run_stats([run_dir]).to_dict(), timeline([run_dir], 1.0)


def pandas_figures(run_dir: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    """What an analyst would write: read with pandas, group, sort, index the ranks.

    Exact type-1 percentiles with order-statistic intervals overall and per endpoint (the same
    figures as pockit). The timeline uses pandas' own ``groupby().quantile()`` (interpolated, no
    intervals): less work than pockit does per bucket, so the comparison favours pandas there.
    """
    import pandas as pd
    from scipy import stats

    df = pd.read_parquet(run_dir / "samples", columns=["t_start", "latency_ms", "name", "ok"])

    def quantiles(values: np.ndarray) -> dict[str, dict[str, float]]:
        s = np.sort(values)
        n = len(s)
        out = {}
        for q in QS:
            est = s[max(1, math.ceil(n * q - 1e-9)) - 1]
            u = int(stats.binom.ppf(0.975, n, q)) + 1
            k = int(stats.binom.ppf(0.025, n, q))
            lo = k if stats.binom.cdf(k, n, q) <= 0.025 + 1e-12 else k - 1
            out[f"p{q * 100:g}"] = {
                "value": float(est),
                "ci_low": float(s[lo]) if lo >= 0 else -math.inf,
                "ci_high": float(s[u - 1]) if u <= n else math.inf,
            }
        return out

    df["ts"] = df["t_start"].dt.floor("1s")
    ok = df[df["ok"]]
    result: dict[str, Any] = {"n": len(df), "success_rate": float(df["ok"].mean())}
    z = stats.norm.ppf(0.975)
    p, n = result["success_rate"], len(df)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    result["success_rate_ci"] = (centre - half, centre + half)
    result["latency_ms"] = quantiles(ok["latency_ms"].to_numpy())
    result["endpoints"] = {
        str(name): quantiles(g.to_numpy())
        for name, g in ok.groupby("name", observed=True)["latency_ms"]
    }
    counts = (
        df.assign(err=~df["ok"]).groupby("ts").agg(requests=("ok", "size"), errors=("err", "sum"))
    )
    lat = ok.groupby("ts")["latency_ms"].quantile(np.array(QS)).unstack()
    tl = counts.join(lat)
    return result, tl


def check_same(pk: dict[str, Any], tl: pd.DataFrame, pdres: dict[str, Any], tl2: Any) -> None:
    """Both sides must give the same figures (exact where both compute them exactly)."""
    pairs = [(pk["latency_ms"], pdres["latency_ms"], "overall")]
    pairs += [(pk["endpoints"][n]["latency_ms"], f, n) for n, f in pdres["endpoints"].items()]
    assert set(pk["endpoints"]) == set(pdres["endpoints"])
    for got, want, name in pairs:
        for key, e in want.items():
            g = got[key]
            lo = -math.inf if g["ci_low"] is None else g["ci_low"]
            hi = math.inf if g["ci_high"] is None else g["ci_high"]
            assert (g["value"], lo, hi) == (e["value"], e["ci_low"], e["ci_high"]), (name, key)
    assert pk["n"] == pdres["n"] and pk["success_rate"] == pdres["success_rate"]
    ci = pk["success_rate_ci"]
    assert math.isclose(ci["ci_low"], pdres["success_rate_ci"][0], rel_tol=1e-12)
    assert math.isclose(ci["ci_high"], pdres["success_rate_ci"][1], rel_tol=1e-12)
    ts = tl["ts"].to_numpy()
    assert (ts == tl2.index.to_numpy()).all()
    assert (tl["requests"].to_numpy() == tl2["requests"].to_numpy()).all()
    assert (tl["errors"].to_numpy() == tl2["errors"].to_numpy()).all()
    # pandas interpolates between neighbouring order statistics: inside pockit's exact interval
    for q in QS:
        key = f"p{q * 100:g}"
        mid = tl2[q].to_numpy()
        assert ((tl[f"{key}_lo"].to_numpy() <= mid) & (mid <= tl[f"{key}_hi"].to_numpy())).all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=10_000_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed repetitions (best and median reported)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        run_dir = make_run_dir(Path(tmp), args.samples)
        print(f"generated {args.samples:,} samples in {time.perf_counter() - t:.1f} s: {run_dir}")
        pockit_figures(run_dir)  # warm the imports (scipy, polars) once; both sides then run warm
        pandas_figures(run_dir)
        pk_times, pd_times, path_times = [], [], []
        for _ in range(args.repeat):  # interleaved, so load from other processes hits both sides
            t = time.perf_counter()
            pk, tl = pockit_figures(run_dir)
            pk_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            pdres, tl2 = pandas_figures(run_dir)
            pd_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            pockit_figures_by_path(run_dir)
            path_times.append(time.perf_counter() - t)
        check_same(pk, tl, pdres, tl2)
        best_pk, best_pd, best_path = min(pk_times), min(pd_times), min(path_times)
        med_pk, med_pd = sorted(pk_times)[len(pk_times) // 2], sorted(pd_times)[len(pd_times) // 2]
        print("same figures on both sides: checked")
        print(
            "pockit load_samples + run_stats + timeline (per-endpoint p50/p95/p99 + CIs, "
            f"success rate, 1 s timeline): best {best_pk:.2f} s, median {med_pk:.2f} s"
        )
        print(
            f"pockit run_stats(path) + timeline(path) (reads the run twice): best {best_path:.2f} s"
        )
        print(f"straightforward pandas, same figures: best {best_pd:.2f} s, median {med_pd:.2f} s")
        print(
            f"ratio pandas / pockit: {best_pd / best_pk:.1f}x best-to-best, "
            f"{med_pd / med_pk:.1f}x median-to-median  (targets: pockit <= 2 s, ratio >= 3x)"
        )


if __name__ == "__main__":
    main()
