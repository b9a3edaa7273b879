"""Generated hostile input against the real CLI: profiles, the in-process runner, the checks.

Profiles (``HYPOTHESIS_PROFILE``): ``pockit`` (default, part of ``make test``: a few hundred cases,
derandomized so a run is reproducible) and ``fuzz`` (``make fuzz``: twenty times as many, random).
Every case runs ``pockit.cli.main`` in this process with stdout/stderr captured and a hard time
limit, in a fresh folder, and is held to the same promises (see :func:`check`).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from hypothesis import HealthCheck, Phase, settings

#: What ``pockit`` may exit with (README "Exit codes"). 70 is an internal error: a bug.
DOCUMENTED_EXITS = frozenset({0, 1, 2, 64, 65, 66, 67, 69, 71, 75})
#: One generated case (one command on one input) must finish within this.
CASE_LIMIT_S = 10.0
#: The exit code :func:`run_cli` reports for a case it stopped at its time limit.
TIMED_OUT = -1

_COMMON: dict[str, Any] = {
    "deadline": timedelta(seconds=CASE_LIMIT_S),
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
    # no "explain" phase: it traces every line, which makes a 1 s case look like a 10 s hang
    "phases": [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
}
settings.register_profile("pockit", derandomize=True, database=None, **_COMMON)
settings.register_profile("fuzz", **_COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "pockit")
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """``n`` cases in the bounded profile, twenty times more under ``make fuzz``."""
    return n * 20 if PROFILE == "fuzz" else n


class CaseTimeout(BaseException):  # noqa: N818 - BaseException: pockit's handlers must not eat it
    """The case ran past its time limit (a hang is a failure, not a slow pass)."""


@dataclass
class Outcome:
    argv: list[str]
    code: int
    out: str
    err: str


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def _raise(_sig: int, _frame: FrameType | None) -> None:
        raise CaseTimeout(f"case took longer than {seconds:g} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_cli(argv: Sequence[str], *, cwd: Path, limit_s: float = CASE_LIMIT_S) -> Outcome:
    """``pockit ARGV`` in this process, in ``cwd``, stdout/stderr captured, killed after ``limit_s``."""
    import pockit.cli

    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.chdir(cwd),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        _time_limit(limit_s),
    ):
        try:
            code = pockit.cli.main(list(argv))
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 64
        except CaseTimeout as exc:  # reported by check(), without a traceback pytest chokes on
            code = TIMED_OUT
            err.write(f"\n{exc}")
    return Outcome(list(argv), code, out.getvalue(), err.getvalue())


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` with its size and mtime, to see what a command wrote."""
    files: dict[str, tuple[int, int]] = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            p = Path(dirpath) / name
            with contextlib.suppress(OSError):
                st = p.lstat()
                files[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return files


def check(
    outcome: Outcome,
    before: dict[str, tuple[int, int]],
    after: dict[str, tuple[int, int]],
    *,
    outputs: Sequence[str] = (),
) -> None:
    """The promises every command keeps on any input.

    The exit code is a documented one and never 70 (an internal error is a bug); a non-decision
    code comes with a message on stderr; no traceback; nothing written or changed under the case
    folder except the named ``outputs`` (relative paths or folders).
    """
    where = f"pockit {' '.join(outcome.argv)}"
    assert outcome.code != TIMED_OUT, f"{where}: {outcome.err.strip().splitlines()[-1]} (a hang)"
    assert outcome.code != 70, f"{where}: internal error (a bug)\n{outcome.err[-2000:]}"
    assert outcome.code in DOCUMENTED_EXITS, f"{where}: exit {outcome.code}\n{outcome.err[-2000:]}"
    if outcome.code >= 64:
        assert outcome.err.strip(), f"{where}: exit {outcome.code} without a message on stderr"
    assert "Traceback (most recent call last)" not in outcome.err, f"{where}\n{outcome.err[-3000:]}"
    # other tools' caches (matplotlib's font list under XDG_CACHE_HOME) are theirs, not output;
    # pockit's own folder there only ever holds a crash traceback, which the 70 check catches
    changed = {
        p
        for p, v in after.items()
        if before.get(p) != v
        and not (p.startswith("xdg-cache/") and not p.startswith("xdg-cache/pockit/"))
    }
    stray = sorted(
        p for p in changed if not any(p == o or p.startswith(o.rstrip("/") + "/") for o in outputs)
    )
    assert not stray, f"{where}: wrote outside its outputs: {stray[:10]}"


@contextlib.contextmanager
def case_dir() -> Iterator[Path]:
    """A fresh folder per generated case (pytest's tmp_path is per test, not per example); the
    cache and crash folders point inside it, so nothing a case does lands in the user's home."""
    root = Path(tempfile.mkdtemp(prefix="pockit-fuzz-"))
    (root / "cwd").mkdir()
    saved = {k: os.environ.get(k) for k in ("XDG_CACHE_HOME", "POCKIT_CACHE")}
    os.environ["XDG_CACHE_HOME"] = str(root / "xdg-cache")
    os.environ["POCKIT_CACHE"] = str(root / "pockit-cache")
    try:
        yield root
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(root, ignore_errors=True)
