"""``Spec._repr_html_``: the spec shows itself in JupyterLab, inline-styled and escaped (issue 12 item 1)."""

from __future__ import annotations

from pathlib import Path

from pockit import load_spec
from tests.spec.test_spec import GOOD, NO_LOAD, write


def test_spec_html_shows_candidates_load_criteria_with_units_and_guardrails(
    tmp_path: Path,
) -> None:
    text = GOOD.replace(
        "hypothesis: The async", "hypothesis: <script>alert(1)</script> The async"
    ).replace("{poc: checkout-async}", '{poc: "a<b&c"}')
    spec = load_spec(write(tmp_path, text))
    html = spec._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "poc=a&lt;b&amp;c" in html
    assert "baseline" in html and "http://127.0.0.1:8082" in html
    assert "50 user(s)" in html and "90.0 s × 3 repeat(s)" in html
    assert "&lt; 300 ms" in html and "&gt;= 99.00 %" in html and "&lt;= 0.05 USD" in html
    assert "key" in html  # the veto criterion is marked
    assert "guardrails" in html and "127.0.0.1, localhost" in html
    assert 'style="' in html and "<style" not in html  # inline: survives JupyterLab's themes
    assert spec.sha256[:16] in html


def test_spec_html_without_load_says_it_judges_imported_runs(tmp_path: Path) -> None:
    html = load_spec(write(tmp_path, NO_LOAD, locustfile=False))._repr_html_()
    assert "no load section" in html and "&lt; 300 ms" in html
