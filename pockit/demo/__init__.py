"""The demo: a real HTTP service with candidate variants and fault knobs, and ``pockit demo``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pockit._util import lazy_exports

__all__ = [
    "DEMO_ALERT_RULES",
    "DEMO_SERVE_PORTS",
    "PrometheusServer",
    "VARIANTS",
    "DemoResult",
    "DemoService",
    "run_demo",
    "write_demo_billing",
]

_EXPORTS = {
    "DemoService": "pockit.demo._service",
    "DemoResult": "pockit.demo._run",
    "run_demo": "pockit.demo._run",
    "write_demo_billing": "pockit.demo._run",
    "DEMO_SERVE_PORTS": "pockit.demo._run",
    "VARIANTS": "pockit.demo._service",
    "PrometheusServer": "pockit.demo._prometheus",
    "DEMO_ALERT_RULES": "pockit.demo._prometheus",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:  # pragma: no cover
    from pockit.demo._prometheus import DEMO_ALERT_RULES, PrometheusServer
    from pockit.demo._run import DEMO_SERVE_PORTS, DemoResult, run_demo, write_demo_billing
    from pockit.demo._service import VARIANTS, DemoService
