"""The billing readers and metric sources pockit ships: importing this module registers them.

Registration order is the order they are tried in: billing readers' signatures when a file is
sniffed, metric sources' ``selects`` when ``read_metrics`` picks one (the saved-file source, which
takes any path, comes last). A new format or source is one module and its line here.
"""

from __future__ import annotations

# isort: off
import pockit.sources._athena  # noqa: F401
import pockit.sources._costexplorer  # noqa: F401
import pockit.sources._cur  # noqa: F401
import pockit.sources._focus  # noqa: F401
import pockit.sources._prometheus  # noqa: F401
import pockit.sources._cloudwatch  # noqa: F401
import pockit.sources._metric_files  # noqa: F401

# isort: on
