"""The report in a real headless Chromium with every non-file request blocked and counted."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pockit.report import build_report

from .conftest import CHROMIUM, CHROMIUM_ARGS, SPEC_TEXT, make_run

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_report_opens_offline_in_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import Dialog, Route, sync_playwright

    if not Path(CHROMIUM).exists():  # a real browser is the point: fail, never skip
        pytest.fail(
            "Debian chromium is not installed (make test installs it): apt-get install chromium"
        )

    (tmp_path / "locustfile.py").write_text("x = 1\n")
    spec = tmp_path / "poc.yaml"
    spec.write_text(SPEC_TEXT.format(locustfile=tmp_path / "locustfile.py"))
    runs = [
        make_run(tmp_path / "runs", "baseline", median_ms=60.0, seed=1),
        make_run(
            tmp_path / "runs",
            "async",
            median_ms=30.0,
            seed=2,
            start=datetime(2026, 1, 5, 10, 1, tzinfo=UTC),
        ),
    ]
    result = build_report(spec, runs, tmp_path / "report.html")

    requests: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})

            def block(route: Route) -> None:
                url = route.request.url
                if url.startswith("file://"):
                    route.continue_()
                else:
                    requests.append(url)
                    route.abort()

            def dismiss(dialog: Dialog) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.route("**/*", block)
            page.on(
                "request",
                lambda r: (
                    None if r.url.startswith(("file://", "data:")) else requests.append(r.url)
                ),
            )
            page.on("dialog", dismiss)
            page.goto(result.path.as_uri(), wait_until="load")
            page.wait_for_timeout(300)
            banner = page.locator("#verdict .verdict")
            assert banner.is_visible()
            assert banner.inner_text().strip() == result.verdict
            assert (
                page.locator("text=<script>alert(1)</script>").count() >= 1
            )  # escaped: shown as text
            images = page.locator("img")
            assert images.count() >= 5
            # a section with nothing to plot says so in text, not in a picture of text
            assert page.locator("p.pockit-note", has_text="Server-side metrics").count() == 1
            broken = page.evaluate(
                "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).length"
            )
            assert broken == 0
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
            shutil.copy(result.path, ARTIFACTS / "report.html")
        finally:
            browser.close()
    assert requests == []
    assert dialogs == []
