"""Build hook: compile the capture's C extension (``pockit/load/_crecord.c``) into the wheel.

The extension is optional. Without a C compiler or Python's headers, the install still succeeds
and the capture runs its pure-Python recorder, request ``fire`` and host guard (the same rows, about
3.5% of Locust's requests/s, where the C ones cost less than the benchmark's noise:
benchmarks/bench_capture.py); this hook says so on stderr, which
``pip --quiet`` hides (``make install`` checks the import and prints a note).
``POCKIT_BUILD_C=0`` skips the compile on purpose; ``POCKIT_BUILD_C=require`` makes a failed
compile fail the install (a packager who must ship the fast capture).

An editable install (``make install``: ``pip install -e .``) builds the module in place, beside
its source, where the editable install imports pockit from; a regular wheel carries it in
``pockit/load/``. setuptools' ``build_ext`` does the compiling, with the flags this Python was
built with.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MODULE = "pockit.load._crecord"
SOURCE = "pockit/load/_crecord.c"


def build_in_place(root: Path) -> Path:
    """Compile the extension next to its source; the built file's path."""
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    here = Path.cwd()
    os.chdir(root)
    try:
        dist = Distribution(
            {
                "name": "pockit-crecord",
                "ext_modules": [Extension(MODULE, [SOURCE])],
            }
        )
        cmd = build_ext(dist)
        cmd.inplace = True
        cmd.build_temp = str(root / "build" / "crecord")
        cmd.ensure_finalized()
        cmd.run()
        return root / str(cmd.get_ext_filename(MODULE))
    finally:
        os.chdir(here)


class CustomBuildHook(BuildHookInterface):  # type: ignore[misc]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        mode = os.environ.get("POCKIT_BUILD_C", "1").strip().lower()
        if mode in ("0", "no", "false"):
            print(
                "pockit: POCKIT_BUILD_C=0: the capture's C extension is not built", file=sys.stderr
            )
            return
        try:
            built = build_in_place(Path(self.root))
        except Exception as exc:  # no compiler, no headers: the pure-Python capture is used
            if mode == "require":
                raise
            print(
                f"pockit: the capture's C extension ({SOURCE}) was not built: {exc}; the capture "
                "runs in pure Python (the same rows, ~3.5% fewer requests/s per Locust process than in C)",
                file=sys.stderr,
            )
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version != "editable":
            build_data["force_include"][str(built)] = f"pockit/load/{built.name}"
