"""The built wheel carries what the bundled notebooks need by default, where pockit looks for it.

``billing_explore.ipynb`` defaults to ``datasets/billing/focus-sample.csv``; from an installed
package ``pockit.report.facts.locate`` finds it under ``pockit/_datasets``. This builds the real
wheel (pip, the project's build backend) and reads it from an unpacked copy, not the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_BILLING = "datasets/billing/focus-sample.csv"


@pytest.mark.slow
def test_wheel_bundles_the_notebook_default_billing_file(tmp_path: Path) -> None:
    out = tmp_path / "whl"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = out.glob("pockit-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        inside = f"pockit/_datasets/{DEFAULT_BILLING}"
        assert inside in names
        assert zf.read(inside) == (REPO / DEFAULT_BILLING).read_bytes()
        assert "pockit/_notebooks/billing_explore.ipynb" in names
        site = tmp_path / "site"
        zf.extractall(site)

    # the installed layout, away from the checkout: locate() must find the bundled copy
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pockit; from pockit.report import facts; "
            f"print(pockit.__file__); print(facts.locate({DEFAULT_BILLING!r}))",
        ],
        cwd=elsewhere,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.split()
    assert found[0] == str(site / "pockit" / "__init__.py")
    assert Path(found[1]) == site / "pockit" / "_datasets" / DEFAULT_BILLING
