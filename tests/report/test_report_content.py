"""What the report says beyond the criteria (issue 12): the baseline comparison, readable latency
charts, per-candidate endpoints, no empty charts, units and p-values, commands that rerun from the
report's folder, and a print to A4 and Letter with nothing cut (real Chromium, real pdftotext)."""

from __future__ import annotations

import email
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import pockit
from pockit._display import p_value
from pockit._rundir import RunDir
from pockit.report import facts, plots, render

from .conftest import CHROMIUM, CHROMIUM_ARGS, EVIL, SPEC_TEXT, make_run

BASELINE = "baseline: {candidate: baseline, margin: 0.1, metrics: [latency_ms]}\n"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
REPO = Path(__file__).resolve().parents[2]


def _spec(folder: Path) -> Path:
    (folder / "locustfile.py").write_text("x = 1\n")
    path = folder / "poc.yaml"
    path.write_text(SPEC_TEXT.format(locustfile=folder / "locustfile.py") + BASELINE)
    return path


def _runs(folder: Path) -> list[RunDir]:
    """The baseline near 60 ms, the other candidate's tail 50× longer: one chart must hold both."""
    return [
        make_run(folder / "runs", "baseline", median_ms=60.0, seed=1, n=300),
        make_run(
            folder / "runs",
            "async",
            median_ms=3000.0,
            seed=2,
            n=300,
            start=datetime(2026, 1, 5, 10, 1, tzinfo=UTC),
        ),
    ]


def test_p_values_never_print_as_zero() -> None:
    assert p_value(0.0) == "p < 1e-16"
    assert p_value(3e-300) == "p < 1e-16"
    assert p_value(0.0312) == "p = 0.031"
    assert p_value(float("nan")) == "p = —"


def test_results_show_themselves_with_inline_styles(tmp_path: Path) -> None:
    spec = pockit.load_spec(_spec(tmp_path))
    runs = _runs(tmp_path)
    decision = pockit.decide(spec, runs)
    assert decision.verdict == "NO-GO"
    html = decision._repr_html_()
    # the verdict's colour and the badges are inline: JupyterLab themes and mail clients keep them
    assert 'style="background:#b42318;color:#fff;' in html
    assert '<span class="outcome FAIL" style="background:#b42318;' in html
    assert '<span class="outcome PASS" style="background:#1b7f3b;' in html
    assert "<style" not in html and 'class="pockit-comparison"' in html
    assert "regressed" in html and "p &lt; 1e-16" in html and "±10%" in html
    assert repr(decision).startswith("Decision(verdict='NO-GO'")
    (comp,) = decision.comparisons
    assert "p < 1e-16" in repr(comp) and "regressed" in comp._repr_html_()

    evil = [make_run(tmp_path / "evil", EVIL, median_ms=40.0, seed=3, n=50)]
    stats_html = pockit.run_stats(evil)._repr_html_()
    assert EVIL not in stats_html and "&lt;script&gt;" in stats_html
    assert " ms" in stats_html and "req/s" in stats_html
    # 50 requests cannot bound p99 from above: the missing end is marked and footnoted
    assert "—†]" in stats_html and "too few samples above this percentile" in stats_html


def test_comparison_endpoints_and_charts(tmp_path: Path) -> None:
    spec = pockit.load_spec(_spec(tmp_path))
    runs = _runs(tmp_path)
    decision = pockit.decide(spec, runs)
    table = render.comparison_table(decision)
    assert "Hodges–Lehmann" in table and "regressed" in table and "+4" in table

    per_candidate = {"baseline": pockit.run_stats(runs[:1]), "async": pockit.run_stats(runs[1:])}
    endpoints = render.endpoints_table(per_candidate)
    # each endpoint once per candidate (conftest names two endpoints), never pooled across
    assert endpoints.count("<tr>") == 1 + 4 and "&lt;script&gt;" in endpoints

    stats = pockit.run_stats(runs).to_dict()["candidates"]
    fig = plots.latency_intervals(stats)
    assert fig.axes[0].get_xscale() == "log"

    no_hours = {"total": 1.0, "currency": "USD", "by_service": {"compute": 1.0}, "by_hour": []}
    figs = plots.cost_figures({**no_hours, "column": "model"}, candidate="a")
    assert len(figs) == 2  # text, not an empty chart
    assert "price-book" in getattr(figs[1], "pockit_message", ("", ""))[1]


def test_commands_rerun_from_the_reports_folder(tmp_path: Path) -> None:
    spec = pockit.load_spec(_spec(tmp_path))
    runs = _runs(tmp_path)
    out = tmp_path / "deliver" / "pocs" / "final.html"
    repro = facts.reproducibility(spec, runs, report_path=out)
    (cmd,) = repro["commands (from the report's folder)"]
    assert cmd.startswith("pockit report ../../poc.yaml ../../runs/")
    assert cmd.endswith("--out final.html")
    assert str(tmp_path) not in cmd  # nothing of the author's machine


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    from pockit.report import build_report

    folder = tmp_path_factory.mktemp("content")
    result = build_report(
        _spec(folder), _runs(folder), folder / "out" / "report.html", email_out=folder / "mail"
    )
    return result, folder


@pytest.mark.slow
def test_email_carries_the_comparison_with_units(built: tuple[Any, Path]) -> None:
    _result, folder = built
    msg = email.message_from_bytes(next((folder / "mail").glob("*.eml")).read_bytes())
    text = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    payload = text.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode()
    assert "Against the baseline (baseline):" in body
    assert "regressed; shift +" in body and "margin ±10%, p < 1e-16 (Holm)" in body
    assert "PASS (98.33 %)" in body and " ms)" in body  # every estimate with its unit
    assert "p=0" not in body


@pytest.mark.slow
@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_report_prints_with_nothing_cut(
    built: tuple[Any, Path], paper: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists() or shutil.which("pdftotext") is None:  # fail, never skip
        pytest.fail("needs Debian chromium and poppler-utils (make system-deps installs both)")
    result, _folder = built
    html = Path(result.path).read_text(encoding="utf-8")
    assert "Against the baseline" in html and "--out report.html" in html
    pdf = tmp_path / f"report-{paper}.pdf"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
        )
        try:
            page = browser.new_page()
            page.goto(Path(result.path).as_uri(), wait_until="load")
            page.pdf(path=str(pdf), format=paper, print_background=True)
        finally:
            browser.close()
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(pdf, ARTIFACTS / pdf.name)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    flat = " ".join(text.split())
    # the last columns of the criteria table reach the paper: method and reason
    assert "Clopper-" in flat and "whole interval >= 0.95" in flat
    assert "Against the baseline" in flat and "regressed" in flat
    # the criteria table starts on page one instead of leaving it blank
    first = text.split("\f")[0]
    assert "Criteria" in first and "PASS" in first


def test_every_notebook_runs_on_the_pockit_kernel() -> None:
    for nb in sorted((REPO / "notebooks").glob("*.ipynb")):
        spec = json.loads(nb.read_text())["metadata"]["kernelspec"]
        assert spec == {
            "display_name": "Python (pockit)",
            "language": "python",
            "name": "pockit",
        }, nb


def test_locate_names_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO / "notebooks")
    found = facts.locate("datasets/billing/focus-sample.csv")
    assert found.resolve() == (REPO / "datasets/billing/focus-sample.csv").resolve()
    with pytest.raises(pockit.InputError) as err:
        facts.locate("datasets/nope.csv", near=[tmp_path])
    assert str(REPO / "notebooks" / "datasets/nope.csv") in str(err.value)
    assert str(tmp_path / "datasets/nope.csv") in str(err.value)


@pytest.mark.slow
def test_billing_explore_runs_with_its_defaults_from_notebooks(tmp_path: Path) -> None:
    import papermill

    from pockit.report import pick_kernel

    out = tmp_path / "billing_explore.out.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / "billing_explore.ipynb"),
        str(out),
        kernel_name=pick_kernel(),
        cwd=str(REPO / "notebooks"),
        progress_bar=False,
    )
    cells = json.loads(out.read_text())["cells"]
    assert not [o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
