"""Fast checks of the HTML pieces and the exporter: escaping, self-containment, noise removal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from pockit._errors import ReportError
from pockit.report import check_html, export_html, render

EVIL = "<script>alert(1)</script>"

DECISION = {
    "verdict": "NO-GO",
    "spec_sha256": "ab" * 32,
    "recommended": None,
    "criteria": [
        {
            "candidate": EVIL,
            "metric": "latency_p95_ms",
            "endpoint": EVIL,
            "op": "<",
            "threshold": 300,
            "outcome": "FAIL",
            "estimate": 412.5,
            "ci_low": 401.0,
            "ci_high": 430.2,
            "n": 1234,
            "reason": f"P95 too high on {EVIL}",
            "method": "order statistics",
            "key": True,
        }
    ],
}


def test_banner_and_table_escape_every_data_string() -> None:
    banner = render.verdict_banner(DECISION, hypothesis=f"fast & {EVIL}")
    table = render.criteria_table(DECISION)
    for html in (banner, table):
        assert "<script" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "NO-GO" in banner and 'class="pockit-banner nogo"' in banner
    assert "fast &amp; " in banner
    assert (
        '<span class="outcome FAIL" style="background:#b42318;' in table and ">FAIL</span>" in table
    )
    assert "[401 ms, 430.2 ms]" in table  # interval shown with its unit
    assert "1,234" in table


def test_generic_table_escapes_and_truncates() -> None:
    rows = [{"endpoint": EVIL, "n": i} for i in range(60)]
    html = render.table(rows, max_rows=50)
    assert "<script" not in html
    assert html.count("<tr>") == 51  # header + 50 rows
    assert "10 more row(s)" in html


def test_candidates_table_reads_the_stats_shape() -> None:
    stats = {
        "a": {
            "n": 10,
            "success_rate": 0.9,
            "success_rate_ci": {"ci_low": 0.6, "ci_high": 0.98},
            "throughput_rps": 5.0,
            "latency_ms": {"p95": {"value": 12.0, "ci_low": 10.0, "ci_high": 15.0}},
        },
    }
    html = render.candidates_table(stats, cost_per_1k={"a": 0.0123})
    assert "90.00 %" in html and "[60.00 %, 98.00 %]" in html
    assert "latency p95" in html and "[10.0 ms, 15.0 ms]" in html
    assert "0.0123 USD" in html


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        ('<script src="x.js"></script>', "<script>"),
        ('<link rel="stylesheet" href="https://cdn.example/x.css">', "<link>"),
        ('<img src="https://example.com/a.png">', "points outside"),
        ('<img src="chart.png">', "points outside"),
        ("<div style=\"background:url('http://x/y.png')\"></div>", "url()"),
        ("<style>@import 'x.css';</style>", "@import"),
    ],
)
def test_check_html_catches_what_would_load(html: str, problem: str) -> None:
    assert any(problem in p for p in check_html(html))


def test_check_html_accepts_inline_things() -> None:
    ok = '<img src="data:image/png;base64,AAAA"><a href="#verdict">x</a><p>text src=http://x</p>'
    assert check_html(ok) == []


def test_export_hides_code_stderr_and_javascript(tmp_path: Path) -> None:
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Title"),
            new_code_cell(
                "secret_code_line = 1",
                outputs=[
                    new_output("stream", name="stdout", text="visible output\n"),
                    new_output("stream", name="stderr", text="UserWarning: noisy\n"),
                    new_output("display_data", data={"application/javascript": "alert(1)"}),
                    new_output("display_data", data={"text/html": "<b>bold</b>"}),
                ],
            ),
        ]
    )
    src = tmp_path / "n.ipynb"
    nbformat.write(nb, src)
    html = export_html(src, tmp_path / "n.html").read_text()
    assert "visible output" in html and "<b>bold</b>" in html
    assert "secret_code_line" not in html
    assert "noisy" not in html
    assert "alert(1)" not in html
    assert check_html(html) == []


def test_export_refuses_raw_script_from_a_cell(tmp_path: Path) -> None:
    nb = new_notebook(
        cells=[new_code_cell("x", outputs=[new_output("display_data", data={"text/html": EVIL})])]
    )
    src = tmp_path / "bad.ipynb"
    nbformat.write(nb, src)
    with pytest.raises(ReportError, match="not self-contained"):
        export_html(src, tmp_path / "bad.html")
    assert not (tmp_path / "bad.html").exists()


def test_import_is_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pockit.report; pockit.report.__all__; "
        "bad = [m for m in ('matplotlib', 'papermill', 'nbconvert', 'locust', 'seaborn') if m in sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


LONG_METHOD = (
    "share of successful requests under the threshold vs the quantile level, exact one-sided "
    "Clopper-Pearson 95% bound; estimate = exact sample quantile X_(ceil(nq))"
)


def test_criteria_table_shows_short_methods_and_each_full_text_once() -> None:
    first: dict[str, Any] = dict(DECISION["criteria"][0])  # type: ignore[index,arg-type]
    rows = [{**first, "candidate": c, "method": LONG_METHOD} for c in ("a", "b")] + [
        {
            "candidate": "a",
            "metric": "cost_per_1k_usd",
            "op": "<=",
            "threshold": 0.03,
            "outcome": "PASS",
            "estimate": 0.025,
            "ci_low": 0.025,
            "ci_high": 0.025,
            "method": "attributed billing cost / requests * 1000 (a measured total)",
        }
    ]
    html = render.criteria_table({"criteria": rows})
    cells = html.split("</table>")[0]
    assert LONG_METHOD not in cells  # the table cell holds the short name only
    assert cells.count("order statistic / Clopper-Pearson, one-sided 95%") == 2
    assert html.count(LONG_METHOD) == 1  # full text once, as footnote [1]
    assert '<sup class="fn">[1]</sup>' in cells and '<sup class="fn">[2]</sup>' in cells
    assert "exact (no sampling)" in cells  # a measured total has no interval to show


def test_banner_has_one_line_per_candidate_naming_what_did_not_pass() -> None:
    d = {
        "verdict": "GO",
        "recommended": "async",
        "candidates": {"baseline": {"verdict": "NO-GO"}, "async": {"verdict": "GO"}},
        "criteria": [
            {"candidate": "baseline", "metric": "latency_p95_ms", "op": "<", "threshold": 60,
             "outcome": "PASS"},
            {"candidate": "baseline", "metric": "cost_per_1k_usd", "op": "<=", "threshold": 0.03,
             "outcome": "FAIL"},
            {"candidate": "async", "metric": "latency_p95_ms", "op": "<", "threshold": 60,
             "outcome": "PASS"},
        ],
    }  # fmt: skip
    banner = render.verdict_banner(d)
    lines = banner.split("<li>")[1:]
    assert len(lines) == 2
    assert lines[0].startswith("<strong>async</strong> — GO: 1 PASS")  # recommended first
    assert "1 PASS, 1 FAIL" in lines[1] and "cost_per_1k_usd &lt;= 0.03 <strong>FAIL" in lines[1]


def test_latency_chart_labels_faults_not_phases_and_never_stacks_labels_on_one_spot() -> None:
    import pandas as pd

    from pockit.report import plots

    t0 = pd.Timestamp("2026-01-05T10:00:00Z")
    tl = pd.DataFrame(
        {
            "ts": [t0 + pd.Timedelta(seconds=s) for s in range(60)],
            "p95": [20.0] * 60,
            "p50": [10.0] * 60,
            "rps": [30.0] * 60,
            "error_rate": [0.0] * 60,
            "candidate": "a",
            "run_id": "r1",
        }
    )
    ev: list[dict[str, Any]] = [{"ts": str(t0 + pd.Timedelta(seconds=0.1 * i)), "kind": "phase", "phase": f"p{i}"}
          for i in range(12)]  # fmt: skip
    ev += [
        {"ts": str(t0 + pd.Timedelta(seconds=30)), "kind": "fault_start", "fault": 0,
         "fault_kind": "latency", "value": 200},
        {"ts": str(t0 + pd.Timedelta(seconds=40)), "kind": "fault_end", "fault": 0},
        {"ts": str(t0 + pd.Timedelta(seconds=31)), "kind": "worker_lost", "worker": 1},
    ]  # fmt: skip
    events = [{**e, "run_id": "r1", "candidate": "a"} for e in ev]
    fig = plots.latency_over_time(tl, events)
    ax = fig.axes[0]
    texts = [a.get_text() for a in ax.texts]
    assert texts == ["fault: latency 200", "worker_lost"]  # phases draw lines, no labels
    offsets = [getattr(a, "xyann", None) for a in ax.texts]
    assert offsets[0] != offsets[1]  # the two nearby labels sit on different rows
    assert len(ax.patches) == 1  # the fault is one band from start to end
