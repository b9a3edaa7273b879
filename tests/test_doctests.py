"""The docstring examples run (``--doctest-modules``, done here so the modules that load inside a
Locust process are left out: importing Locust monkey-patches the test process with gevent).

Examples marked ``# doctest: +SKIP`` need a running service or a run directory; the rest run, and
the count of examples that ran is checked so the doc cannot quietly turn into all-skipped text.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import pockit

PKG = Path(pockit.__file__).parent
#: Modules that import Locust or gevent at import time: they run inside Locust, never here.
_LOCUST = re.compile(r"^\s*(?:import|from)\s+(?:locust|gevent)\b", re.MULTILINE)
#: At least this many examples run (not skipped) over the package: raise it as examples are added.
MIN_RUN = 25


def _modules() -> list[str]:
    names = ["pockit"]
    for info in pkgutil.walk_packages([str(PKG)], prefix="pockit."):
        path = PKG.joinpath(*info.name.split(".")[1:])
        source = path / "__init__.py" if info.ispkg else path.with_suffix(".py")
        if source.is_file() and _LOCUST.search(source.read_text(encoding="utf-8")):
            continue
        if info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return names


def test_docstring_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    finder = doctest.DocTestFinder(exclude_empty=True)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    failures: list[str] = []
    ran = 0
    for name in _modules():
        module = importlib.import_module(name)
        tests = [t for t in finder.find(module, name) if t.examples]
        for test in tests:
            runner = doctest.DocTestRunner(optionflags=flags)
            out: list[str] = []
            result = runner.run(test, out=out.append)
            ran += result.attempted  # skipped examples are not attempted
            if result.failed:
                failures.append("".join(out))
    assert not failures, "\n".join(failures)
    assert ran >= MIN_RUN, f"only {ran} docstring examples ran (the rest are +SKIP)"
