"""Time from run directories on disk to the HTML report: kernel start + execution, then export.

Target (issue 6): <= 10 s for demo-sized runs. Prints each stage and the report's size; exits 1
when the target is missed. Run: ``.venv/bin/python benchmarks/bench_report.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "report"))

TARGET_S = 10.0
#: Demo-sized: two candidates, 15 s at ~10 users ≈ 1,500–3,000 requests each.
SAMPLES_PER_RUN = 3000


def main() -> int:
    from conftest import SPEC_TEXT, make_run  # the report tests' run-directory factory

    from pockit.report import pick_kernel
    from pockit.report._build import execute_notebook, notebook_path
    from pockit.report._export import export_html

    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        work = Path(tmp)
        (work / "locustfile.py").write_text("x = 1\n")
        spec = work / "poc.yaml"
        spec.write_text(SPEC_TEXT.format(locustfile=work / "locustfile.py"))
        runs = [
            make_run(
                work / "runs", "baseline", n=SAMPLES_PER_RUN, seconds=15, median_ms=60.0, seed=1
            ),
            make_run(
                work / "runs",
                "async",
                n=SAMPLES_PER_RUN,
                seconds=15,
                median_ms=30.0,
                seed=2,
                start=datetime(2026, 1, 5, 10, 1, tzinfo=UTC),
            ),
        ]
        params = {
            "spec_path": str(spec),
            "run_dirs": [str(r.path) for r in runs],
            "billing_label": "",
            "title": "",
        }
        kernel = pick_kernel()
        t0 = time.perf_counter()
        executed = execute_notebook(
            notebook_path("poc_report.ipynb"),
            work / "report.ipynb",
            params,
            kernel_name=kernel,
            cwd=work,
        )
        t1 = time.perf_counter()
        out = export_html(executed, work / "report.html")
        t2 = time.perf_counter()
        size = out.stat().st_size
    total = t2 - t0
    print(f"kernel: {kernel}")
    print(f"runs: 2 x {SAMPLES_PER_RUN} samples")
    print(f"kernel start + execution: {t1 - t0:6.2f} s")
    print(f"nbconvert export:         {t2 - t1:6.2f} s")
    print(f"run dirs -> HTML total:   {total:6.2f} s (target <= {TARGET_S:g} s)")
    print(f"report size:              {size / 1024:6.0f} KiB (limit 1024 KiB)")
    return 0 if total <= TARGET_S and size <= 1_000_000 else 1


if __name__ == "__main__":
    sys.exit(main())
