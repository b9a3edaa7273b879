"""``pockit report SPEC RUN_DIR... --out FILE.html``: the self-contained HTML decision report."""

from __future__ import annotations

import argparse
from typing import Any

from pockit.commands._output import add_json_flag, emit, open_run_args


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "report",
        help="build the HTML decision report from run directories",
        description="Execute notebooks/poc_report.ipynb over the run directories (papermill) and export "
        "one self-contained HTML file (no code, no scripts, charts inline). Exit code by verdict: "
        "0 GO, 1 NO-GO, 2 INCONCLUSIVE; 71 when a notebook cell fails (the cell is printed); 64 when "
        "--out does not end in .html. The executed notebook is kept beside it as NAME.executed.ipynb.",
    )
    parser.add_argument("spec", help="the spec the runs were made from (poc.yaml)")
    parser.add_argument(
        "run_dirs", nargs="+", metavar="RUN_DIR", help="run directories, or folders of them"
    )
    parser.add_argument(
        "--out",
        required=True,
        help="where to write the report, ending in .html, e.g. reports/poc.html",
    )
    parser.add_argument(
        "--email-out", default=None, metavar="DIR", help="also write the report as a .eml into DIR"
    )
    parser.add_argument(
        "--smtp",
        action="store_true",
        help="send the email over SMTP (settings from POCKIT_SMTP_HOST/PORT/STARTTLS/USER/PASSWORD/FROM/TO)",
    )
    parser.add_argument(
        "--billing-label",
        default=None,
        help="label shown next to every cost (e.g. 'generated sample')",
    )
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="fail a notebook cell that runs longer (0: no limit; default 300 s plus 1 s per "
        "million samples in the runs)",
    )
    add_kernel_option(parser)
    add_json_flag(parser)
    parser.set_defaults(func=run)


def add_kernel_option(parser: argparse.ArgumentParser) -> None:
    """``--kernel``, for every command that executes a notebook (``report``, ``batch``)."""
    parser.add_argument(
        "--kernel",
        default=None,
        help="Jupyter kernel (default: 'pockit' when registered, else python3)",
    )


def run(args: argparse.Namespace) -> int:
    from pockit._constants import VERDICT_EXIT
    from pockit.report import (
        REPORT_NOTEBOOK,
        SmtpSettings,
        build_email,
        build_report,
        report_paths,
        send_email,
    )
    from pockit.spec import load_spec

    report_paths(args.out, REPORT_NOTEBOOK)  # --out checked first: a bad one costs no work
    if args.cell_timeout is not None and not args.cell_timeout >= 0:  # NaN too
        from pockit._errors import UsageError

        raise UsageError(f"--cell-timeout {args.cell_timeout:g}: give seconds >= 0 (0: no limit)")
    settings = SmtpSettings.from_env() if args.smtp else None  # fail before the work, not after
    spec = load_spec(args.spec)
    runs = open_run_args(args.run_dirs)
    result = build_report(
        spec,
        runs,
        args.out,
        kernel_name=args.kernel,
        billing_label=args.billing_label,
        email_out=args.email_out,
        cell_timeout_s=args.cell_timeout,
    )
    data: dict[str, Any] = {**result.to_dict()}
    if args.email_out:
        from pathlib import Path

        emls = sorted(Path(args.email_out).glob("*.eml"), key=lambda p: p.stat().st_mtime)
        data["email"] = str(emls[-1]) if emls else None
    if settings is not None:
        send_email(build_email(result, result.executed_notebook), settings)
        data["sent_to"] = list(settings.to)
    human = (
        f"verdict: {result.verdict}\nreport:  {result.path} ({result.size_bytes / 1024:.0f} KiB)"
    )
    if data.get("email"):
        human += f"\nemail:   {data['email']}"
    if data.get("sent_to"):
        human += f"\nsent to: {', '.join(data['sent_to'])}"
    emit(args, data, human)
    return VERDICT_EXIT.get(result.verdict, 2)
