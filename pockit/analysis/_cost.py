"""Cost per 1k requests: the attributed cost of a candidate's run windows over its requests."""

from __future__ import annotations

import math


def cost_per_1k(total: float, requests: int) -> float:
    """``total / requests * 1000``; NaN when there were no requests (undefined, not free)."""
    if requests <= 0 or not math.isfinite(total):
        return math.nan
    return total / requests * 1000.0
