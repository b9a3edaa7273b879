"""Small helpers more than one part needs; standard library only, so any part may import them."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterable, Mapping
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
