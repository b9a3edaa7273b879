"""The capture's C extension (``pockit/load/_crecord.c``), when it was built.

``pip install`` compiles it (scripts/hatch_build.py: optional, so an install without a C compiler
still succeeds); without it the capture runs its pure-Python recorder, request ``fire`` and host
guard, which write the same rows and refuse the same requests, at about 3.5% of a Locust process's
requests/s, where the C ones cost less than this VM's noise (benchmarks/bench_capture.py).
``POCKIT_PURE_CAPTURE=1`` asks for the pure-Python parts even when it was built (a comparison, or a
suspected fault in the extension).
"""

from __future__ import annotations

import os
from typing import Any

from pockit.load import _protocol as protocol

#: What did the capture's per-request work (``locust/capture-*.json`` and run.json ``capture``
#: ``recorder``): this extension, or the pure-Python fallback.
C_RECORDER, PY_RECORDER = "c", "python"


def native() -> Any | None:
    """``pockit.load._crecord``, or None when it was not built or ``POCKIT_PURE_CAPTURE`` is set."""
    if os.environ.get(protocol.PURE_CAPTURE, "") not in ("", "0"):
        return None
    try:
        from pockit.load import _crecord
    except ImportError:
        return None
    return _crecord


def kind() -> str:
    """What does the capture's per-request work: ``"c"`` or ``"python"`` (run.json ``capture``)."""
    return PY_RECORDER if native() is None else C_RECORDER
