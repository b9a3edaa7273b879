"""Small helpers more than one part needs; standard library only, so any part may import them."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def plain_dict(obj: Any) -> dict[str, Any] | None:
    """``obj`` as a plain dict when it is a mapping or its ``to_dict()`` returns one, else None.

    Parts read each other's result objects (and callers' dicts) through this, so a result type may
    change shape without its readers importing it.
    """
    if isinstance(obj, Mapping):
        return dict(obj)
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        data = to_dict()
        if isinstance(data, Mapping):
            return dict(data)
    return None


def stop_processes(
    procs: Iterable[subprocess.Popen[Any]], *, grace_s: float, kill_wait_s: float
) -> None:
    """SIGTERM every child still running, give each ``grace_s`` to exit, then SIGKILL it.

    All are signalled before any is waited for, so several children shut down side by side.
    """
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=kill_wait_s)


def lazy_exports(
    module: str, exports: Mapping[str, str], names: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's PEP 562 ``__getattr__`` and ``__dir__``: each public name in ``exports``
    (name -> the module defining it) is imported on first use and then kept in the package, so
    importing the package itself stays light.

    >>> import sys, types
    >>> pkg = types.ModuleType("lazy_demo"); sys.modules["lazy_demo"] = pkg
    >>> pkg.__getattr__, pkg.__dir__ = lazy_exports("lazy_demo", {"sqrt": "math"}, ["sqrt"])
    >>> pkg.sqrt(9.0), "sqrt" in vars(pkg)
    (3.0, True)
    """
    import importlib
    import sys

    namespace = sys.modules[module].__dict__
    public = list(names)

    def __getattr__(name: str) -> Any:
        where = exports.get(name)
        if where is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return list(public)

    return __getattr__, __dir__
