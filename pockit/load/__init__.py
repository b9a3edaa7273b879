"""Load: Locust as a child process, the capture plugin, shapes, workers, faults and guardrails.

>>> import pockit.load
>>> runs = pockit.load.run_candidate("poc.yaml", "async", duration_s=10)   # doctest: +SKIP

Importing this package does not import Locust (its gevent monkey-patching would hang a notebook
kernel); Locust only ever runs in the child processes started here.
"""

from __future__ import annotations

from typing import Any

from pockit.load._gather import gather_samples
from pockit.load._run import Plan, make_plan, run_candidate, run_spec, summarize

__all__ = [
    "Plan",
    "gather_samples",
    "import_runs",
    "make_plan",
    "run_candidate",
    "run_spec",
    "summarize",
]


def import_runs(*args: Any, **kwargs: Any) -> Any:
    """Make run directories from other load tools' raw output (see :mod:`pockit.load._import`)."""
    from pockit.load._import import import_runs as f  # type: ignore[import-not-found]

    return f(*args, **kwargs)
