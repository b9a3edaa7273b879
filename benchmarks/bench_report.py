"""pockit's report build vs a bare papermill execute + nbconvert export of the same notebook.

Both sides run ``poc_report.ipynb`` with the same parameters over the same run directories
(two candidates, demo-sized), alternated round by round on the same kernel, so the figure is a
ratio measured in one run rather than an absolute time on a shared machine. The bare side is
``papermill.execute_notebook`` then nbconvert's default ``HTMLExporter``; pockit's is
:func:`pockit.report.build_report` (papermill, then the ``pockit`` template with images embedded
and the self-containment check). Prints every round and the median ratio; exits 1 when the
median ratio is above the target or the report exceeds 1 MiB.
Run: ``.venv/bin/python benchmarks/bench_report.py [--rounds N] [--samples N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: pockit may take at most this much longer than the bare pipeline (its template, embedded
#: images and checks): ``pockit / bare`` median.
TARGET_RATIO = 1.5
#: Demo-sized: two candidates, 15 s at ~10 users ≈ 1,500–3,000 requests each.
SAMPLES_PER_RUN = 3000
SIZE_LIMIT = 1_000_000


def _bare(notebook: Path, work: Path, params: dict[str, Any], kernel: str) -> float:
    """papermill + nbconvert's default HTML export, nothing else; seconds."""
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    t0 = time.perf_counter()
    out = work / "bare.ipynb"
    pm.execute_notebook(
        str(notebook), str(out), parameters=params, kernel_name=kernel, progress_bar=False,
        cwd=str(work), config=Config({"KernelManager": {"transport": "ipc"}}),  # as pockit does
    )  # fmt: skip
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(out, as_version=4))  # type: ignore[no-untyped-call]
    (work / "bare.html").write_text(body)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each side (default 3)")
    parser.add_argument("--samples", type=int, default=SAMPLES_PER_RUN, help="samples per run")
    args = parser.parse_args(argv)
    # nbconvert's default template cannot show pockit's own mimetype: expected, not news
    warnings.filterwarnings("ignore", message="Your element with mimetype")

    from pockit.report import build_report, pick_kernel
    from pockit.report._build import REPORT_NOTEBOOK, notebook_path
    from tests.report.conftest import SPEC_TEXT, make_run  # the report tests' run-directory factory

    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        work = Path(tmp)
        (work / "locustfile.py").write_text("x = 1\n")
        spec = work / "poc.yaml"
        spec.write_text(SPEC_TEXT.format(locustfile=work / "locustfile.py"))
        start = datetime(2026, 1, 5, 10, 1, tzinfo=UTC)
        runs = [
            make_run(work / "runs", "baseline", n=args.samples, seconds=15, median_ms=60.0, seed=1),
            make_run(
                work / "runs", "async", n=args.samples, seconds=15, median_ms=30.0, seed=2,
                start=start,
            ),
        ]  # fmt: skip
        out = work / "report.html"
        params = {
            "spec_path": str(spec),
            "run_dirs": [str(r.path) for r in runs],
            "billing_label": "",
            "title": "",
            "report_path": str(out),
        }
        kernel = pick_kernel()
        notebook = notebook_path(REPORT_NOTEBOOK)
        print(f"kernel: {kernel}; runs: 2 x {args.samples} samples; {args.rounds} round(s)")
        ratios = []
        for i in range(args.rounds):
            bare = _bare(notebook, work, params, kernel)
            t0 = time.perf_counter()
            build_report(spec, runs, out, kernel_name=kernel)
            ours = time.perf_counter() - t0
            ratios.append(ours / bare)
            print(
                f"round {i + 1}: bare {bare:6.2f} s, pockit {ours:6.2f} s, ratio {ours / bare:.2f}"
            )
        size = out.stat().st_size
    ratio = statistics.median(ratios)
    print(
        f"ratio pockit / bare (median of {len(ratios)}): {ratio:.2f} (target <= {TARGET_RATIO:g})"
    )
    print(f"report size: {size:,} bytes (limit {SIZE_LIMIT:,})")
    return 0 if ratio <= TARGET_RATIO and size <= SIZE_LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
