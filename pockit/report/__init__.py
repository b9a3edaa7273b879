"""The report: a typed model of what it shows, charts, escaped HTML pieces, the papermill/nbconvert
pipeline and the email.

Stages, one module each: :mod:`model` (the frozen types of :class:`ReportModel`), :mod:`evidence`
(:func:`build_model`, the one place the report asks ``analysis``, ``sources`` and ``decision`` for
anything), :mod:`facts` (risks, reproducibility, the headline), :mod:`plots` (matplotlib figures,
one module per subject), :mod:`render` (escaped HTML banners and tables), :mod:`batch_view`
(what ``compare.ipynb`` shows), ``_export`` (nbconvert with the ``pockit`` template), ``_build``
(papermill, then export), ``_email`` (the .eml and SMTP), ``_batch`` (a papermill grid of ``poc_run.ipynb``).

Nothing heavy is imported here: every name loads on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "build_report": "pockit.report._build",
    "ReportResult": "pockit.report._build",
    "notebooks_dir": "pockit.report._build",
    "notebook_path": "pockit.report._build",
    "pick_kernel": "pockit.report._build",
    "execute_notebook": "pockit.report._build",
    "report_paths": "pockit.report._build",
    "REPORT_NOTEBOOK": "pockit.report._build",
    "export_html": "pockit.report._export",
    "check_html": "pockit.report._export",
    "TEMPLATE_DIR": "pockit.report._export",
    "build_email": "pockit.report._email",
    "write_eml": "pockit.report._email",
    "send_email": "pockit.report._email",
    "SmtpSettings": "pockit.report._email",
    "run_batch": "pockit.report._batch",
    "BatchResult": "pockit.report._batch",
    "parse_grid": "pockit.report._batch",
    "show": "pockit.report.plots",
    "build_model": "pockit.report.evidence",
    "ReportModel": "pockit.report.model",
}
_SUBMODULES = ("batch_view", "evidence", "facts", "model", "plots", "render")

__all__ = [
    "REPORT_NOTEBOOK",
    "TEMPLATE_DIR",
    "BatchResult",
    "ReportModel",
    "ReportResult",
    "SmtpSettings",
    "batch_view",
    "build_email",
    "build_model",
    "build_report",
    "check_html",
    "execute_notebook",
    "evidence",
    "export_html",
    "facts",
    "notebook_path",
    "notebooks_dir",
    "parse_grid",
    "model",
    "pick_kernel",
    "plots",
    "render",
    "report_paths",
    "run_batch",
    "send_email",
    "show",
    "write_eml",
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"pockit.report.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pockit.report' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover
    from pockit.report import batch_view, evidence, facts, model, plots, render
    from pockit.report._batch import BatchResult, parse_grid, run_batch
    from pockit.report._build import (
        REPORT_NOTEBOOK,
        ReportResult,
        build_report,
        execute_notebook,
        notebook_path,
        notebooks_dir,
        pick_kernel,
        report_paths,
    )
    from pockit.report._email import SmtpSettings, build_email, send_email, write_eml
    from pockit.report._export import TEMPLATE_DIR, check_html, export_html
    from pockit.report.evidence import build_model
    from pockit.report.model import ReportModel
    from pockit.report.plots import show
