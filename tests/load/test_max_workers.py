"""``guardrails.max_workers``: ``load.workers: 100000`` would start that many processes (default cap 4 × CPUs)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pockit import GuardrailError, load_spec
from pockit.load import make_plan


def test_workers_past_the_default_cap_exit_67_before_anything_starts(
    make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = make_spec({"a": "http://127.0.0.1:9"}, load={"workers": 100000})
    done = subprocess.run(
        [sys.executable, "-m", "pockit", "run", str(spec), "--runs-dir", str(tmp_path / "r")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    cap = 4 * (os.cpu_count() or 1)
    assert done.returncode == 67, done.stderr
    assert f"100000 local workers exceeds guardrails.max_workers ({cap}" in done.stderr
    assert not (tmp_path / "r").exists()


def test_max_workers_from_the_spec_caps_the_override(make_spec: Callable[..., Path]) -> None:
    spec = load_spec(
        make_spec(
            {"a": "http://127.0.0.1:9"},
            guardrails={"max_workers": 2, "allowed_hosts": ["127.0.0.1"]},
        )
    )
    assert spec.guardrails.max_workers == 2
    assert make_plan(spec, workers=2).workers == 2
    with pytest.raises(
        GuardrailError, match=r"3 local workers exceeds guardrails.max_workers \(2\)"
    ):
        make_plan(spec, workers=3)
