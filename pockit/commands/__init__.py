"""One module per ``pockit`` sub-command. Each has ``register(subparsers)`` and ``run(args) -> int``.

Modules are imported only when the CLI starts, and heavy libraries only inside ``run``.
"""

from __future__ import annotations

#: Sub-command modules, in the order ``pockit --help`` lists them.
COMMANDS = (
    "demo",
    "validate",
    "schema",
    "run",
    "worker",
    "gather",
    "stats",
    "cost",
    "decide",
    "plan",
    "report",
    "batch",
    "import_",
)
