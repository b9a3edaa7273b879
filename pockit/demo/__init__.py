"""The demo: a real HTTP service with candidate variants and fault knobs, and ``pockit demo``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["DemoResult", "DemoService", "run_demo"]

_EXPORTS = {
    "DemoService": "pockit.demo._service",
    "DemoResult": "pockit.demo._run",
    "run_demo": "pockit.demo._run",
}


def __getattr__(name: str) -> Any:
    import importlib

    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pockit.demo' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


if TYPE_CHECKING:  # pragma: no cover
    from pockit.demo._run import DemoResult, run_demo
    from pockit.demo._service import DemoService
