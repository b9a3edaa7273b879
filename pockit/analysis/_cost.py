"""Cost per 1k requests: the one place the figure is computed (docs/architecture.md: analysis owns it).

Attributed billing (``pockit.decision.candidate_costs``), the price-book projection
(``PriceBook.cost_per_1k``), ``decide`` and the report all divide through :func:`cost_per_1k_or_reason`,
so no two of them can disagree on what "cost per 1k" means or on when it is undefined.
"""

from __future__ import annotations

import math

#: Why there is no estimate (the reason a criterion quotes when it is INCONCLUSIVE).
NO_REQUESTS = "no requests to divide the cost by"
NOT_FINITE = "the cost total is not a finite number ({total})"


def cost_per_1k_or_reason(total: float, requests: float) -> tuple[float, str | None]:
    """``(total / requests * 1000, None)``, or ``(NaN, why)`` when that is undefined.

    Undefined when there were no requests (not free: nothing was bought) or the total is NaN or
    infinite (an export or a model that could not be read gives no figure, never a number).
    ``requests`` may be fractional (a rate × time in a projection).
    """
    if not math.isfinite(total):
        return math.nan, NOT_FINITE.format(total=total)
    if not requests > 0:
        return math.nan, NO_REQUESTS
    return total / requests * 1000.0, None


def cost_per_1k(total: float, requests: float) -> float:
    """``total / requests * 1000``; NaN when undefined (see :func:`cost_per_1k_or_reason`).

    >>> cost_per_1k(12.0, 48_000)       # $12 for 48,000 requests
    0.25
    >>> cost_per_1k(5.0, 0)             # nothing was bought: no figure, not "free"
    nan
    >>> cost_per_1k_or_reason(5.0, 0)[1]
    'no requests to divide the cost by'
    """
    return cost_per_1k_or_reason(total, requests)[0]
