"""Finding processes a test left behind: real children must be gone when a run or the demo ends."""

from __future__ import annotations

import os

import psutil


def leftovers(marker: str) -> list[str]:
    """Command lines of running processes (not this one) that mention ``marker``, e.g. a tmp folder."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            cmd = " ".join(proc.info["cmdline"] or [])
        except psutil.Error:
            continue
        if marker in cmd and proc.pid != os.getpid():
            found.append(cmd)
    return found
