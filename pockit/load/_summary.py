"""The end-of-run summary: every figure is ``pockit stats``'s (:func:`pockit.analysis.run_stats`),
so the summary printed after a run and the report never disagree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pockit._contract import RunField
from pockit._rundir import RunDir


def summarize(run_dir: str | Path) -> dict[str, Any]:
    """Requests, rate, error rate and p50/p95/p99 of one run, from its captured samples.

    Every figure is ``pockit stats``'s (:func:`pockit.analysis.run_stats`): throughput over the
    measured load window, percentiles of successful requests, exact (X_(ceil(nq))), so the
    end-of-run summary and the report never disagree. ``rps_method`` says what rps divides by.
    """
    from pockit.analysis import run_stats

    stats = run_stats([run_dir], percentiles=(50.0, 95.0, 99.0), by_endpoint=False)
    g = stats.overall

    def ms(key: str) -> float | None:
        est = g.latency_ms.get(key)
        return est.value if est is not None and est.n else None

    return {
        "requests": g.n,
        "rps": g.throughput_rps.value if g.n else 0.0,
        "rps_method": stats.method,
        "error_rate": g.error_rate.value if g.n else None,
        "p50_ms": ms("p50"),
        "p95_ms": ms("p95"),
        "p99_ms": ms("p99"),
    }


def print_summary(run: RunDir, meta: dict[str, Any]) -> None:
    from pockit._display import throughput_label

    rec = run.record
    try:
        s = summarize(run.path)
    except Exception as exc:  # a summary must never hide the run's own outcome
        print(f"{run.path}: {rec.status} ({rec.stop_reason}); no summary: {exc}")
        return
    counts = meta.get(RunField.COUNTS, {})
    lost = rec.workers_lost
    over = throughput_label(s["rps_method"]).removeprefix("throughput")  # " (requests ÷ ...)"
    lines = [
        f"run {rec.id}: {rec.status} ({rec.stop_reason})",
        f"  candidate {rec.candidate} at {meta.get(RunField.HOST)}, repeat {rec.repeat or 0}, "
        f"{meta.get(RunField.WORKERS, 1)} load process(es)"
        + (f", {len(lost)} lost" if lost else ""),
        f"  requests {s['requests']} (Locust counted {counts.get('locust_requests')}), "
        f"{s['rps']:.1f} req/s{over}, "
        f"errors {(s['error_rate'] or 0):.2%}",
    ]
    if s["p50_ms"] is not None:
        lines.append(
            f"  latency p50 {s['p50_ms']:.2f} ms, p95 {s['p95_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms "
            "(successful requests, exact)"
        )
    lines.append(f"  run directory {run.path}")
    print("\n".join(lines))
