"""The demo's candidate variants: how each behaves (latency) and what each request costs."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COST_PER_REQUEST_USD", "VARIANTS", "Variant"]


@dataclass(frozen=True)
class Variant:
    """A candidate's behaviour: lognormal latency around ``median_ms`` with shape ``sigma``."""

    name: str
    median_ms: float
    sigma: float
    checkout_factor: float = 1.5


#: The two demo candidates. baseline ~20-40 ms, async ~8-15 ms (central 95%).
VARIANTS: dict[str, Variant] = {
    "baseline": Variant("baseline", median_ms=28.0, sigma=0.18),
    "async": Variant("async", median_ms=11.0, sigma=0.15),
}

#: What one request costs on each variant, used to generate the demo's billing export.
#: async runs on fewer, busier instances, so it is cheaper per request as well as faster.
COST_PER_REQUEST_USD: dict[str, float] = {"baseline": 0.000042, "async": 0.000025}
