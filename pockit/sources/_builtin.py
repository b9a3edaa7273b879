"""The billing readers and metric sources pockit ships: importing this module registers them.

A reader registers when its module is first imported, which may be before this list is (through
``write_focus_export``, say); :data:`BILLING_ORDER` fixes the order billing readers are tried in
when a file is sniffed, whatever was imported first. A new format or source is one module and its
line here.
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
from pockit.sources._registry import BILLING_READERS

BILLING_ORDER = (
    "athena",
    "cost-explorer",
    "cost-explorer-json",
    "cur2",
    "cur-athena",
    "cur-csv",
    "focus",
)
BILLING_READERS.put_first(BILLING_ORDER)
