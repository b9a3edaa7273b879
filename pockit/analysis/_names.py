"""The latency percentile names a user may write (``latency_p95_ms``, ``latency_p99.9_intended_ms``).

Defined here, below ``pockit.criteria`` and ``pockit.spec``, because the anytime-valid share test
(:func:`pockit.analysis.share_test`, used by ``load.stop_when`` and ``pockit plan``) reads the
quantile from the name too; the latency criterion (``pockit/criteria/_latency.py``) and the spec
take it from here, so the grammar is spelt once.
"""

from __future__ import annotations

import re

LATENCY_METRIC = re.compile(r"latency_p(\d{1,2}(?:\.\d+)?)(_intended)?_ms")
#: Any name shaped like a latency percentile, so ``latency_p100_ms`` is refused as out of range.
LATENCY_SHAPE = re.compile(r"latency_p(\d+(?:\.\d+)?)(_intended)?_ms")


def latency_quantile(name: str) -> float | None:
    """0.95 for ``latency_p95_ms``; None when ``name`` is not a latency percentile in (0, 100)."""
    match = LATENCY_METRIC.fullmatch(name)
    quantile = float(match.group(1)) / 100.0 if match else 0.0
    return quantile if 0 < quantile < 1 else None
