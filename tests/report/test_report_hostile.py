"""`pockit report` with hostile-but-harmless names and paths: one real build (papermill + nbconvert).

- a request name ``see url(http://x)`` and a note with ``@import`` are text, not markup: the
  self-containment check does not fail the report on them (it did, exit 71);
- candidates named ``async ($^$ tier)`` and ``cost $5 vs $6`` render (``$^$`` failed the report);
- ``--out X.html`` leaves the user's ``X.ipynb`` alone and keeps the executed notebook in
  ``X.executed.ipynb``; ``--out r.ipynb`` is refused (64) before any work.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pockit._errors import UsageError
from pockit.report import check_html
from pockit.report._build import report_paths

from .conftest import make_run

pytestmark = pytest.mark.slow

CANDIDATES = ("async ($^$ tier)", "cost $5 vs $6")
SPEC = """\
name: hostile-text
hypothesis: "Names with url( and $ signs are data."
candidates:
  - {{name: "async ($^$ tier)", host: "http://127.0.0.1:9"}}
  - {{name: "cost $5 vs $6", host: "http://127.0.0.1:9"}}
load: {{locustfile: {locustfile}, users: 5, duration: 10s}}
criteria:
  - {{metric: latency_p95_ms, op: "<", threshold: 300, key: true}}
notes:
  - "@import rules are not used; see url(http://wiki.example/poc) for the design."
"""


def _pockit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pockit", *args], capture_output=True, text=True, timeout=240
    )


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("hostile-report")
    (work / "locustfile.py").write_text("x = 1\n")
    spec = work / "poc.yaml"
    spec.write_text(SPEC.format(locustfile=work / "locustfile.py"))
    runs = [
        make_run(
            work / "runs",
            name,
            median_ms=30.0 + 10 * i,
            seed=i,
            endpoint="see url(http://x) @import 'y.css'",
            start=datetime(2026, 1, 5, 10, i, tzinfo=UTC),
        )
        for i, name in enumerate(CANDIDATES)
    ]
    out = work / "out" / "report.html"
    mine = out.with_suffix(".ipynb")  # the user's own notebook beside the report
    mine.parent.mkdir(parents=True)
    mine.write_text('{"mine": true}')
    proc = _pockit("report", str(spec), *(str(r.path) for r in runs), "--out", str(out), "--json")
    return {"proc": proc, "out": out, "mine": mine, "spec": spec, "runs": runs, "work": work}


def test_harmless_text_does_not_fail_the_report(work: dict[str, Any]) -> None:
    proc = work["proc"]
    assert proc.returncode in (0, 1, 2), proc.stderr[-3000:]
    html = work["out"].read_text()
    assert check_html(html) == []
    assert "see url(http://x)" in html  # escaped text, shown as written
    assert "@import rules are not used" in html
    for name in CANDIDATES:
        assert name in html


def test_executed_notebook_has_its_own_name(work: dict[str, Any]) -> None:
    data = json.loads(work["proc"].stdout)
    executed = Path(data["executed_notebook"])
    assert executed == work["out"].with_name("report.executed.ipynb") and executed.is_file()
    assert work["mine"].read_text() == '{"mine": true}', "the user's X.ipynb was overwritten"
    # pockit's own executed notebook may be replaced by the next build of the same report
    assert report_paths(work["out"], "poc_report.ipynb") == (work["out"].resolve(), executed)


def test_out_that_is_not_html_is_refused_before_any_work(work: dict[str, Any]) -> None:
    nb = work["out"].with_name("report.executed.ipynb")
    before = nb.read_bytes()
    runs = [str(r.path) for r in work["runs"]]
    proc = _pockit("report", str(work["spec"]), *runs, "--out", str(nb))
    assert proc.returncode == 64, proc.stderr
    assert "ending in .html" in proc.stderr and "Traceback" not in proc.stderr
    assert nb.read_bytes() == before


def test_a_foreign_executed_name_is_never_overwritten(tmp_path: Path) -> None:
    theirs = tmp_path / "r.executed.ipynb"
    theirs.write_text('{"metadata": {}}')
    with pytest.raises(UsageError, match="will not overwrite it"):
        report_paths(tmp_path / "r.html", "poc_report.ipynb")
    theirs.unlink()
    theirs.symlink_to(tmp_path / "elsewhere.ipynb")
    with pytest.raises(UsageError, match="will not overwrite it"):
        report_paths(tmp_path / "r.html", "poc_report.ipynb")
    assert report_paths(tmp_path / "other.HTML", "poc_report.ipynb")[1].name == (
        "other.executed.ipynb"
    )


def test_check_html_reads_markup_not_text() -> None:
    text = '<p>see url(http://x) and @import "y.css"</p><td>&lt;style&gt;@import x</td>'
    assert check_html(text + "<style>p { color: red }</style>") == []
    for markup, problem in [
        ('<div style="background:u&#114;l(http://x/y.png)"></div>', "url()"),
        ("<style>@import 'x.css';</style>", "@import"),
        ('<img alt="a>b" src="http://x/y.png">', "src="),
        ('<svg><image xlink:href="http://x/y.png"/></svg>', "xlink:href="),
        ('<meta http-equiv="Refresh" content="0; url=http://x">', "refresh"),
    ]:
        assert any(problem in p for p in check_html(markup)), (markup, check_html(markup))
