"""The import formats pockit ships: importing this module registers them, in this order.

The order is the order of ``--format``'s names in messages and the order formats are sniffed in.
"""

from __future__ import annotations

# isort: off
import pockit.load._import.locust  # noqa: F401
import pockit.load._import.jmeter  # noqa: F401
import pockit.load._import.jmeter_xml  # noqa: F401
import pockit.load._import.k6  # noqa: F401

# isort: on
