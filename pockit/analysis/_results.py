"""What ``pockit stats`` returns: figures per group, per candidate, and for the whole set of runs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pockit.analysis._quantiles import Estimate
from pockit.analysis._stats import METHOD_STATS


@dataclass(frozen=True)
class GroupStats:
    """Figures for one group of requests (everything, one endpoint, one candidate, one run)."""

    n: int
    n_ok: int
    duration_s: float
    success_rate: Estimate
    error_rate: Estimate
    throughput_rps: Estimate
    latency_ms: dict[str, Estimate]
    latency_intended_ms: dict[str, Estimate] | None = None
    #: successful requests whose latency is unknown: in ``n`` and the rates, not in ``latency_ms``
    latency_skipped: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n": self.n,
            "n_ok": self.n_ok,
            "n_failed": self.n - self.n_ok,
            "latency_skipped": self.latency_skipped,
            "duration_s": _num(self.duration_s),
            "success_rate": _num(self.success_rate.value),
            "success_rate_ci": _ci(self.success_rate),
            "error_rate": _num(self.error_rate.value),
            "error_rate_ci": _ci(self.error_rate),
            "throughput_rps": _num(self.throughput_rps.value),
            "throughput_rps_ci": _ci(self.throughput_rps),
            "latency_ms": {k: v.to_dict() for k, v in self.latency_ms.items()},
        }
        if self.latency_intended_ms is not None:
            out["latency_intended_ms"] = {
                k: v.to_dict() for k, v in self.latency_intended_ms.items()
            }
        return out


@dataclass(frozen=True)
class CandidateStats:
    """One candidate: its pooled figures, each run's, and the spread across runs."""

    name: str
    pooled: GroupStats
    runs: list[str]
    unit: str  # "pooled" or "run"
    per_run: dict[str, GroupStats] = field(default_factory=dict)
    spread: dict[str, dict[str, float | None]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.pooled.to_dict(),
            "runs": self.runs,
            "unit": self.unit,
            "per_run": {rid: _brief(g) for rid, g in self.per_run.items()},
            "spread": self.spread,
            "warnings": self.warnings,
        }


@dataclass(frozen=True)
class RunStats:
    """Everything ``pockit stats`` reports; ``to_dict()`` is its ``--json`` shape."""

    overall: GroupStats
    endpoints: dict[str, GroupStats]
    candidates: dict[str, CandidateStats]
    runs: list[str]
    percentiles: tuple[float, ...]
    confidence: float
    #: successful requests skipped by the latency percentiles, by reason (null, nan, infinite, negative)
    latency_skipped: dict[str, int]
    #: failed requests with no usable latency (counted as failures; nothing to skip)
    failed_without_latency: int
    warnings: list[str]
    method: str = METHOD_STATS
    #: denies, throttles, error classes and retries, overall and per endpoint (analysis/_classes.py)
    request_classes: dict[str, Any] = field(default_factory=dict)

    # convenient views of the headline figures
    @property
    def n(self) -> int:
        return self.overall.n

    @property
    def success_rate(self) -> float:
        return self.overall.success_rate.value

    @property
    def throughput_rps(self) -> float:
        return self.overall.throughput_rps.value

    @property
    def latency_ms(self) -> dict[str, Estimate]:
        return self.overall.latency_ms

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.overall.to_dict(),
            "endpoints": {name: g.to_dict() for name, g in self.endpoints.items()},
            "candidates": {name: c.to_dict() for name, c in self.candidates.items()},
            "runs": self.runs,
            "percentiles": list(self.percentiles),
            "confidence": self.confidence,
            "latency_skipped_by_reason": self.latency_skipped,
            "failed_without_latency": self.failed_without_latency,
            "warnings": self.warnings,
            "method": self.method,
            "request_classes": self.request_classes,
        }

    def _repr_html_(self) -> str:
        """JupyterLab: candidates side by side with units and intervals (a missing end footnoted)."""
        from pockit._display import stats_html

        data = self.to_dict()
        per = data["candidates"] or {"all runs": data}
        return stats_html(per, method=self.method)

    def __repr__(self) -> str:
        p95 = self.overall.latency_ms.get("p95")
        tail = f", p95={p95.value:.4g} ms" if p95 is not None else ""
        return (
            f"RunStats(n={self.n}, runs={len(self.runs)}, candidates={list(self.candidates)}, "
            f"success_rate={self.success_rate:.4f}, throughput_rps={self.throughput_rps:.4g}{tail})"
        )


def _num(x: float) -> float | None:
    return float(x) if isinstance(x, int | float) and math.isfinite(x) else None


def _ci(e: Estimate) -> dict[str, float | None]:
    return {"ci_low": _num(e.ci_low), "ci_high": _num(e.ci_high)}


def _brief(g: GroupStats) -> dict[str, Any]:
    return {
        "n": g.n,
        "success_rate": _num(g.success_rate.value),
        "throughput_rps": _num(g.throughput_rps.value),
        "latency_ms": {k: _num(v.value) for k, v in g.latency_ms.items()},
    }
