"""Run directories → executed ``poc_report.ipynb`` (papermill) → self-contained HTML (nbconvert).

The notebook holds the report's narrative and calls pockit's public API; this module only finds it,
executes it with literal parameters, and exports the result. A failing cell becomes a ReportError
that quotes the cell, so ``pockit report`` says what broke and where.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pockit._errors import InputError, PockitError, ReportError, UsageError
from pockit.report.model import HEADLINE_MIME, Headline

__all__ = ["ReportResult", "build_report", "notebook_path", "notebooks_dir", "pick_kernel"]

REPORT_NOTEBOOK = "poc_report.ipynb"
#: The executed notebook kept beside a report: ``reports/poc.html`` → ``reports/poc.executed.ipynb``.
EXECUTED_SUFFIX = ".executed.ipynb"
#: Per-cell execution limit: a cell that runs longer is stuck, not slow.
CELL_TIMEOUT_S = 300
#: ``build_report``'s default cell timeout grows by this many seconds per million samples in the
#: runs: the first cell reads them all (statistics, decision, timeline; bench_scale.py times it)
CELL_TIMEOUT_S_PER_M = 1.0


@dataclass(frozen=True, kw_only=True)
class ReportResult:
    """What :func:`build_report` produced: the HTML, the verdict it shows, its size, the executed notebook."""

    path: Path
    verdict: str
    size_bytes: int
    executed_notebook: Path | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "report": str(self.path),
            "verdict": self.verdict,
            "size_bytes": self.size_bytes,
            "executed_notebook": str(self.executed_notebook) if self.executed_notebook else None,
        }


def notebooks_dir() -> Path:
    """The bundled notebooks: ``notebooks/`` next to the package (editable) or ``pockit/_notebooks`` (wheel)."""
    pkg = Path(__file__).resolve().parents[1]  # the pockit package folder
    for candidate in (pkg.parent / "notebooks", pkg / "_notebooks"):
        if (candidate / REPORT_NOTEBOOK).is_file():
            return candidate
    raise ReportError(
        f"cannot find pockit's notebooks (looked in {pkg.parent / 'notebooks'} and {pkg / '_notebooks'}); "
        "reinstall pockit (pip install -e . or the wheel)"
    )


def notebook_path(name: str) -> Path:
    """Path of one bundled notebook, e.g. ``notebook_path("poc_run.ipynb")``."""
    path = notebooks_dir() / name
    if not path.is_file():
        raise ReportError(f"no bundled notebook {name!r} in {path.parent}")
    return path


def pick_kernel(kernel_name: str | None = None) -> str:
    """The kernel to execute notebooks with: the one asked for, else ``pockit`` when registered, else ``python3``."""
    if kernel_name:
        return kernel_name
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        specs = KernelSpecManager().find_kernel_specs()  # type: ignore[no-untyped-call]
    except Exception:  # no jupyter data dirs at all: papermill will say what is missing
        return "python3"
    return "pockit" if "pockit" in specs else "python3"


def _spec_path(spec: Any) -> Path:
    if isinstance(spec, str | os.PathLike):
        path = Path(spec)
    else:
        raw = getattr(spec, "path", None)
        if not raw:
            raise InputError(
                "build_report needs a spec loaded from a file (spec.path is empty); use pockit.load_spec(path)"
            )
        path = Path(raw)
    if not path.is_file():
        raise InputError(f"{path}: spec file not found")
    return path.resolve()


def _run_paths(runs: Sequence[Any]) -> list[str]:
    paths = []
    for run in runs:
        path = Path(getattr(run, "path", run))
        if not path.exists():
            raise InputError(f"{path}: run directory not found")
        paths.append(str(path.resolve()))
    if not paths:
        raise InputError("build_report needs at least one run directory")
    return paths


def _failing_cell(exc: Exception, nb_path: Path) -> str | None:
    """Source of the cell papermill stopped at (it marks it in the executed notebook)."""
    try:
        nb = json.loads(nb_path.read_text())
    except (OSError, ValueError):
        return None
    index = getattr(exc, "exec_count", None)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        has_error = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        if has_error or (index is not None and cell.get("execution_count") == index):
            src = cell.get("source", "")
            return "".join(src) if isinstance(src, list) else str(src)
    return None


def _recorded(nb_path: Path) -> Headline:
    """The headline ``facts.record_verdict`` left in the executed notebook (verdict, title, ...)."""
    try:
        nb = json.loads(nb_path.read_text())
    except (OSError, ValueError):
        return Headline()
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            data = out.get("data", {}) if isinstance(out, dict) else {}
            payload = data.get(HEADLINE_MIME)
            if isinstance(payload, dict) and payload.get("verdict"):
                return Headline.from_dict(payload)
    meta = nb.get("metadata", {}).get("pockit") or {}
    return Headline.from_dict(meta)


def report_paths(out: str | Path, notebook: str) -> tuple[Path, Path]:
    """The HTML path for ``--out`` and the executed notebook beside it, checked before any work.

    ``out`` must end in ``.html`` (``--out r.ipynb`` would have written the HTML over the executed
    notebook). The executed notebook is ``<name>.executed.ipynb``; a file of that name that is not
    an executed ``notebook`` from pockit (papermill's record says which) is never overwritten.
    """
    out_html = Path(out).resolve()
    if out_html.suffix.lower() != ".html" or out_html.name.lower() == ".html":
        raise UsageError(f"--out {out}: the report is one HTML file; give a name ending in .html")
    if out_html.is_dir():
        raise UsageError(f"--out {out}: is a directory; give a file name ending in .html")
    executed = out_html.with_name(out_html.name[: -len(".html")] + EXECUTED_SUFFIX)
    if (executed.exists() or executed.is_symlink()) and not _executed_by_pockit(executed, notebook):
        raise UsageError(
            f"{executed}: exists and is not a notebook pockit executed from {notebook}; pockit "
            f"keeps the executed notebook there and will not overwrite it. Move it, or choose "
            f"another --out"
        )
    return out_html, executed


def _executed_by_pockit(path: Path, notebook: str) -> bool:
    """Whether ``path`` is a regular file papermill wrote by executing pockit's ``notebook``."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        source = meta.get("papermill", {}).get("input_path") or ""
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(source, str) and Path(source).name == notebook


def _cell_timeout(run_paths: Sequence[str]) -> float:
    """The default cell timeout for a report over ``run_paths`` (see :func:`build_report`)."""
    from pockit._rundir import open_runs
    from pockit.analysis import sample_rows

    paths: list[str | Path] = list(run_paths)
    try:
        rows = sample_rows(open_runs(paths))
    except PockitError:  # the notebook's first cell names what is wrong with them
        rows = 0
    return CELL_TIMEOUT_S + CELL_TIMEOUT_S_PER_M * rows / 1e6


def page_title(name: str | None, verdict: str) -> str:
    """The HTML ``<title>``: the PoC's name first (what a browser tab or a mail client shows)."""
    return f"{name} — {verdict} — pockit report" if name else f"pockit report — {verdict}"


def execute_notebook(
    notebook: Path,
    out_ipynb: Path,
    parameters: dict[str, Any],
    *,
    kernel_name: str | None = None,
    cwd: Path | None = None,
    progress: bool = False,
    cell_timeout_s: float | None = CELL_TIMEOUT_S,
) -> Path:
    """Execute ``notebook`` with papermill into ``out_ipynb``; a failing cell becomes ReportError.

    A cell running longer than ``cell_timeout_s`` seconds (None or 0: no limit) fails the notebook.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError
    from traitlets.config import Config

    out_ipynb.parent.mkdir(parents=True, exist_ok=True)
    try:
        pm.execute_notebook(
            str(notebook),
            str(out_ipynb),
            parameters=parameters,
            kernel_name=pick_kernel(kernel_name),
            progress_bar=progress,
            cwd=str(cwd) if cwd else None,
            execution_timeout=math.ceil(cell_timeout_s) if cell_timeout_s else None,  # an int
            log_output=False,
            # the kernel is local: Unix sockets, not unencrypted TCP on loopback (and no warning)
            config=Config({"KernelManager": {"transport": "ipc"}}),
        )
    except PapermillExecutionError as exc:
        cell = _failing_cell(exc, out_ipynb)
        raise ReportError(
            f"{notebook.name}: cell {exc.exec_count} failed with {exc.ename}: {exc.evalue} "
            f"(executed notebook kept at {out_ipynb})",
            cell=cell,
        ) from None
    except Exception as exc:  # kernel would not start, notebook unreadable, ...
        raise ReportError(
            f"{notebook.name}: papermill could not execute it ({type(exc).__name__}: {exc}); "
            "is the Jupyter kernel registered? (make lab / python -m ipykernel install --user --name pockit)"
        ) from None
    return out_ipynb


def build_report(
    spec: Any,
    runs: Sequence[Any],
    out: str | Path,
    *,
    kernel_name: str | None = None,
    billing_label: str | None = None,
    email_out: str | Path | None = None,
    progress: bool = False,
    title: str | None = None,
    cell_timeout_s: float | None = None,
) -> ReportResult:
    """Execute ``poc_report.ipynb`` over ``runs`` and export it to ``out`` (one self-contained HTML file).

    ``spec`` is a loaded Spec or a path; ``runs`` are run directories (paths or RunDir). ``out`` must
    end in ``.html`` (UsageError otherwise). The executed notebook is kept beside the HTML as
    ``<name>.executed.ipynb`` for anyone who wants the evidence in JupyterLab; an existing file of
    that name that pockit did not execute is never overwritten (UsageError). ``billing_label`` marks the cost sections (e.g. "generated sample"). With
    ``email_out`` a ``.eml`` for the report is written into that folder too. A notebook cell may
    run ``cell_timeout_s`` seconds (0: no limit); by default :data:`CELL_TIMEOUT_S` plus
    :data:`CELL_TIMEOUT_S_PER_M` per million samples in the runs.
    """
    from pockit.report._export import export_html

    out_html, executed = report_paths(out, REPORT_NOTEBOOK)
    spec_file = _spec_path(spec)
    run_paths = _run_paths(runs)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    params: dict[str, Any] = {
        "spec_path": str(spec_file),
        "run_dirs": run_paths,
        "billing_label": billing_label or "",
        "title": title or "",
        "report_path": str(out_html),  # the reproducibility commands read from its folder
    }
    with tempfile.TemporaryDirectory(prefix="pockit-report-") as tmp:
        execute_notebook(
            notebook_path(REPORT_NOTEBOOK),
            executed,
            params,
            kernel_name=kernel_name,
            cwd=Path(tmp),
            progress=progress,
            cell_timeout_s=_cell_timeout(run_paths) if cell_timeout_s is None else cell_timeout_s,
        )
    recorded = _recorded(executed)
    verdict = str(recorded.verdict or "INCONCLUSIVE")
    name = title or recorded.title or getattr(spec, "name", None)
    export_html(executed, out_html, title=page_title(str(name) if name else None, verdict))
    result = ReportResult(
        path=out_html,
        verdict=verdict,
        size_bytes=out_html.stat().st_size,
        executed_notebook=executed,
    )
    if email_out is not None:
        from pockit.report._email import write_eml

        write_eml(result, executed, email_out)
    return result
