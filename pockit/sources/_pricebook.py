"""A price-book cost model: cost per 1k requests as a function of request rate, and break-even.

For when billing cannot be had (yet), and to project beyond the rates a test reached. Each
candidate lists its unit prices and its usage per request; the hidden costs (egress, logs) are
first-class. A YAML price book::

    currency: USD
    candidates:
      serverless:
        per_request: 0.0000002          # $ per invocation
        per_gb_second: 0.0000166667     # $ per GB-second of compute
        memory_gb: 0.5
        duration_ms: 120                # billed duration per request (measured p50, say)
        egress_gb_per_request: 0.00002
        per_gb_egress: 0.09
        logs_gb_per_request: 0.000001
        per_gb_logs: 0.50
      containers:
        per_instance_hour: 0.0416
        rps_per_instance: 150           # what one instance holds at the latency target
        min_instances: 2
        egress_gb_per_request: 0.00002
        per_gb_egress: 0.09

Cost per hour at ``rps`` = rps·3600·(per-request costs) + instances(rps)·per_instance_hour +
fixed_per_hour, with instances(rps) = max(min_instances, ceil(rps / rps_per_instance)).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from pockit._errors import InputError, UsageError

SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True, kw_only=True)
class CandidatePrices:
    """Unit prices and usage per request of one candidate; every field defaults to 0 (not used)."""

    per_request: float = 0.0
    per_gb_second: float = 0.0
    memory_gb: float = 0.0
    duration_ms: float = 0.0
    per_instance_hour: float = 0.0
    rps_per_instance: float = 0.0
    min_instances: int = 0
    egress_gb_per_request: float = 0.0
    per_gb_egress: float = 0.0
    logs_gb_per_request: float = 0.0
    per_gb_logs: float = 0.0
    fixed_per_hour: float = 0.0

    def instances(self, rps: float) -> int:
        """Instances needed at ``rps`` (0 when the candidate is not priced per instance)."""
        if self.per_instance_hour <= 0:
            return 0
        if self.rps_per_instance <= 0:
            return max(self.min_instances, 1)
        return max(self.min_instances, math.ceil(rps / self.rps_per_instance - 1e-9))

    def per_request_cost(self) -> float:
        """Cost that scales with each request: invocation, compute, egress, logs."""
        compute = self.memory_gb * self.duration_ms / 1000.0 * self.per_gb_second
        return (
            self.per_request
            + compute
            + self.egress_gb_per_request * self.per_gb_egress
            + self.logs_gb_per_request * self.per_gb_logs
        )

    def cost_per_hour(self, rps: float) -> float:
        return (
            rps * SECONDS_PER_HOUR * self.per_request_cost()
            + self.instances(rps) * self.per_instance_hour
            + self.fixed_per_hour
        )

    def breakdown_per_1k(self, rps: float) -> dict[str, float]:
        """Cost per 1k requests split by what it pays for (the hidden costs made visible)."""
        k = 1000.0
        per_hour_requests = rps * SECONDS_PER_HOUR
        out = {
            "requests": self.per_request * k,
            "compute": self.memory_gb * self.duration_ms / 1000.0 * self.per_gb_second * k,
            "egress": self.egress_gb_per_request * self.per_gb_egress * k,
            "logs": self.logs_gb_per_request * self.per_gb_logs * k,
        }
        fixed = self.instances(rps) * self.per_instance_hour + self.fixed_per_hour
        out["instances"] = fixed / per_hour_requests * k if per_hour_requests > 0 else math.inf
        return out


_FIELDS = {f.name for f in fields(CandidatePrices)}


@dataclass(frozen=True, kw_only=True)
class PriceBook:
    """Prices per candidate. ``PriceBook.load("prices.yaml").cost_per_1k("serverless", 50)``."""

    currency: str = "USD"
    candidates: Mapping[str, CandidatePrices] = field(default_factory=dict)
    path: str | None = None

    @classmethod
    def load(cls, path: str | Path) -> PriceBook:
        """Read a YAML price book; InputError names the candidate and field that is wrong."""
        import yaml

        p = Path(path)
        try:
            data = yaml.safe_load(p.read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(f"{p}: cannot read the price book ({exc})") from None
        return cls.from_dict(data, source=str(p))

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "price book") -> PriceBook:
        if not isinstance(data, dict) or not isinstance(data.get("candidates"), dict):
            raise InputError(
                f"{source}: expected a mapping with 'candidates: {{name: {{prices}}}}'"
            )
        cands: dict[str, CandidatePrices] = {}
        for name, raw in data["candidates"].items():
            if not isinstance(raw, dict):
                raise InputError(f"{source}: candidates.{name}: expected a mapping of prices")
            unknown = set(raw) - _FIELDS
            if unknown:
                raise InputError(
                    f"{source}: candidates.{name}: unknown field(s) {', '.join(sorted(unknown))}; "
                    f"known: {', '.join(sorted(_FIELDS))}"
                )
            values: dict[str, Any] = {}
            for key, value in raw.items():
                if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                    raise InputError(
                        f"{source}: candidates.{name}.{key}: expected a number >= 0, got {value!r}"
                    )
                values[key] = int(value) if key == "min_instances" else float(value)
            cands[str(name)] = CandidatePrices(**values)
        return cls(currency=str(data.get("currency", "USD")), candidates=cands, path=source)

    def entry_for(self, name: str, tags: Mapping[str, str] | None = None) -> str | None:
        """The entry that prices a spec candidate: its name, else one of its tag values (so a price
        book keyed like the billing tags serves too); None when neither is priced."""
        return next((k for k in (name, *(tags or {}).values()) if k in self.candidates), None)

    def prices(self, candidate: str, usage: Mapping[str, float] | None = None) -> CandidatePrices:
        """The candidate's prices, with measured ``usage`` (e.g. ``{"duration_ms": 87}``) overriding."""
        if candidate not in self.candidates:
            raise UsageError(
                f"price book has no candidate {candidate!r}; it has {', '.join(self.candidates)}"
            )
        base = self.candidates[candidate]
        if usage:
            unknown = set(usage) - _FIELDS
            if unknown:
                raise UsageError(
                    f"unknown usage field(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(_FIELDS))}"
                )
            changes: dict[str, Any] = {
                k: (int(v) if k == "min_instances" else float(v)) for k, v in usage.items()
            }
            base = replace(base, **changes)
        return base

    def cost_per_hour(
        self, candidate: str, rps: float, usage: Mapping[str, float] | None = None
    ) -> float:
        return self.prices(candidate, usage).cost_per_hour(rps)

    def cost_per_1k(
        self, candidate: str, rps: float, usage: Mapping[str, float] | None = None
    ) -> float:
        """Cost per 1,000 requests for ``candidate`` sustaining ``rps`` requests per second.

        An hour's cost over an hour's requests, through the one :func:`pockit.analysis.cost_per_1k`.
        """
        from pockit.analysis import cost_per_1k  # imported when used: analysis loads polars

        if rps <= 0:
            raise UsageError(f"request rate must be > 0, got {rps}")
        return cost_per_1k(self.cost_per_hour(candidate, rps, usage), rps * SECONDS_PER_HOUR)

    def curve(
        self, candidate: str, rates: list[float], usage: Mapping[str, float] | None = None
    ) -> list[dict[str, float]]:
        """``[{rps, cost_per_1k}]`` over ``rates`` (for a plot of cost against load)."""
        return [{"rps": r, "cost_per_1k": self.cost_per_1k(candidate, r, usage)} for r in rates]


def break_even(
    book: PriceBook,
    a: str,
    b: str,
    *,
    lo_rps: float = 0.01,
    hi_rps: float = 100_000.0,
    usage: Mapping[str, Mapping[str, float]] | None = None,
) -> float | None:
    """The lowest request rate at which ``a`` and ``b`` cost the same per 1k requests, or None.

    Scans a log-spaced grid for a change of sign in the cost difference, then bisects. Instance
    counts step, so the difference is piecewise; the first crossing is returned.
    """
    usage = usage or {}

    def diff(rps: float) -> float:
        return book.cost_per_1k(a, rps, usage.get(a)) - book.cost_per_1k(b, rps, usage.get(b))

    steps = 400
    ratio = float((hi_rps / lo_rps) ** (1.0 / steps))
    prev_r, prev_d = lo_rps, diff(lo_rps)
    if prev_d == 0:
        return lo_rps
    for i in range(1, steps + 1):
        r = float(lo_rps * ratio**i)
        d = diff(r)
        if d == 0:
            return r
        if (d > 0) != (prev_d > 0):
            lo, hi, dlo = prev_r, r, prev_d
            for _ in range(80):
                mid = (lo + hi) / 2
                dm = diff(mid)
                if (dm > 0) == (dlo > 0):
                    lo, dlo = mid, dm
                else:
                    hi = mid
            return (lo + hi) / 2
        prev_r, prev_d = r, d
    return None
