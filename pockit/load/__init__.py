"""Load: Locust as a child process, the capture plugin, shapes, workers, faults and guardrails.

>>> import pockit.load
>>> runs = pockit.load.run_candidate("poc.yaml", "async", duration_s=10)   # doctest: +SKIP

Importing this package imports nothing heavy and never Locust (its gevent monkey-patching would
hang a notebook kernel); Locust only ever runs in the child processes started here. Names load
lazily, so the plugins inside Locust can import :mod:`pockit.load._protocol` without the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pockit._util import lazy_exports

_EXPORTS: dict[str, str] = {
    "Plan": "pockit.load._plan",
    "make_plan": "pockit.load._plan",
    "run_candidate": "pockit.load._run",
    "run_spec": "pockit.load._run",
    "RunInterrupted": "pockit.load._run",
    "summarize": "pockit.load._summary",
    "gather": "pockit.load._gather",
    "gather_samples": "pockit.load._gather",
    "GatherResult": "pockit.load._gather",
    "upload_worker_output": "pockit.load._gather",
    "remote_worker_command": "pockit.load._protocol",
    "remote_worker_env": "pockit.load._protocol",
    "import_runs": "pockit.load._import",
}

__all__ = [
    "GatherResult",
    "Plan",
    "RunInterrupted",
    "gather",
    "gather_samples",
    "import_runs",
    "make_plan",
    "remote_worker_command",
    "remote_worker_env",
    "run_candidate",
    "run_spec",
    "summarize",
    "upload_worker_output",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from pockit.load._gather import GatherResult, gather, gather_samples, upload_worker_output
    from pockit.load._import import import_runs
    from pockit.load._plan import Plan, make_plan
    from pockit.load._protocol import remote_worker_command, remote_worker_env
    from pockit.load._run import RunInterrupted, run_candidate, run_spec
    from pockit.load._summary import summarize
