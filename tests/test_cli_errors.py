"""An unexpected exception is a bug: exit 70 and one line on stderr, never a traceback exiting 1."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pockit.cli
from pockit._errors import EXIT_INTERNAL, LoadError, PockitError

# The broken command is patched in on purpose (a mock): no real input is meant to reach an
# internal error, and the real ones the fuzz tests found are fixed where they were.


def _boom(_args: argparse.Namespace) -> int:
    raise RuntimeError("simulated bug\nsecond line")


@pytest.fixture
def broken_validate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr("pockit.commands.validate.run", _boom)
    return tmp_path / "cache" / "pockit"


def _crash_file(stderr: str) -> Path:
    m = re.search(r"traceback in (\S+);", stderr)
    assert m, stderr
    return Path(m.group(1))


def test_internal_error_exits_70_with_one_line_and_a_traceback_file(
    broken_validate: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = pockit.cli.main(["validate", "poc.yaml"])
    err = capsys.readouterr().err
    assert code == EXIT_INTERNAL == 70
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "pockit validate: internal error at test_cli_errors.py:" in err
    assert "RuntimeError: simulated bug second line" in err
    saved = _crash_file(err)
    assert saved.parent == broken_validate and saved.is_file()
    text = saved.read_text()
    assert "Traceback (most recent call last)" in text and "simulated bug" in text


def test_debug_prints_the_traceback(
    broken_validate: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = pockit.cli.main(["--debug", "validate", "poc.yaml"])
    err = capsys.readouterr().err
    assert code == 70
    assert "Traceback (most recent call last)" in err and "_boom" in err
    assert not broken_validate.exists() or not any(broken_validate.iterdir())


def test_pockit_errors_keep_their_codes_and_load_failure_is_not_70() -> None:
    assert LoadError.exit_code == 69
    classes: list[type[PockitError]] = [PockitError, *_subclasses(PockitError)]
    codes = {cls.exit_code for cls in classes}
    assert EXIT_INTERNAL not in codes and not codes & {0, 1, 2}


def _subclasses(cls: type[PockitError]) -> list[type[PockitError]]:
    out: list[type[PockitError]] = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


def test_internal_error_in_a_real_process(tmp_path: Path) -> None:
    """The installed entry point, in its own process: exit 70 reaches the shell, stderr is one line."""
    script = textwrap.dedent(
        """
        import sys
        import pockit.commands.stats as stats

        def broken(args):
            return {}["no such key"]  # a bug of the plainest kind

        stats.run = broken
        from pockit.cli import main
        sys.exit(main(["stats", "runs/"]))
        """
    )
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    env["PYTHONPATH"] = str(Path(pockit.cli.__file__).resolve().parents[1])
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env
    )
    assert out.returncode == 70, out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr, out.stderr
    assert "pockit stats: internal error" in out.stderr and "KeyError" in out.stderr
    saved = _crash_file(out.stderr)
    assert saved.is_file() and str(saved).startswith(str(tmp_path / "cache" / "pockit"))
    assert "no such key" in saved.read_text()


def test_a_command_module_that_fails_to_register_exits_70(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Building the parser runs every command's ``register``: a bug there is 70, not a traceback exit 1."""
    import pockit.commands.validate as validate

    def _broken(sub: object) -> None:
        raise ValueError("register broke")

    monkeypatch.setattr(validate, "register", _broken)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    code = pockit.cli.main(["validate", "poc.yaml"])
    err = capsys.readouterr().err
    assert code == EXIT_INTERNAL
    assert err.startswith("pockit (parser): internal error") and "ValueError: register broke" in err
    assert err.count("\n") == 1
