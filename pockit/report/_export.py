"""Executed notebook → one self-contained HTML file through the ``pockit`` nbconvert template.

The template hides code, drops stderr and every script; :func:`check_html` then proves it: no
``<script>``, nothing fetched from a URL, images inline. A report that fails the check is not written.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from pockit._errors import ReportError
from pockit.report.model import HEADLINE_MIME

#: Folder that holds the ``pockit`` template (``templates/pockit/conf.json``, ``index.html.j2``).
TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "pockit"

_SCRIPT = re.compile(r"<\s*script\b", re.IGNORECASE)
_LINK = re.compile(r"<\s*link\b", re.IGNORECASE)
_IFRAME = re.compile(r"<\s*(iframe|object|embed)\b", re.IGNORECASE)
#: Attributes whose value the browser fetches or navigates to (``xlink:href`` included).
_URL_ATTRS = {"src", "href", "xlink:href", "srcset", "poster", "action", "data", "formaction"}
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^)"']*)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"@import", re.IGNORECASE)


def _is_inline(url: str) -> bool:
    """A reference that loads nothing: a data: URI or an in-page #anchor."""
    u = url.strip().lower()
    return u == "" or u.startswith("data:") or u.startswith("#")


def _css_problems(css: str, where: str) -> list[str]:
    problems = [f"{where}: CSS @import"] if _CSS_IMPORT.search(css) else []
    for m in _CSS_URL.finditer(css):
        if not _is_inline(m.group(2)):
            problems.append(f"{where}: CSS url() points outside the file: {m.group(2)[:80]!r}")
    return problems


class _FetchScanner(HTMLParser):
    """Walks the markup that can make a browser fetch: tags' URL attributes, ``style=`` attributes
    and ``<style>`` blocks. Text nodes are data, not markup: ``see url(http://x)`` in a request
    name or ``@import`` in a note (escaped by the template) loads nothing and is not looked at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if value is None:
                continue
            if name in _URL_ATTRS and not _is_inline(value):
                self.problems.append(f"{name}= points outside the file: {value[:80]!r}")
            elif name == "style":
                self.problems += _css_problems(value, f"<{tag} style>")
        if tag == "meta" and any(
            n == "http-equiv" and (v or "").lower() == "refresh" for n, v in attrs
        ):
            self.problems.append("contains a <meta http-equiv=refresh> (navigates away)")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.problems += _css_problems(data, "<style>")


def check_html(html: str) -> list[str]:
    """Every way ``html`` is not self-contained (empty when it is)."""
    problems: list[str] = []
    if _SCRIPT.search(html):
        problems.append("contains a <script> element")
    if _LINK.search(html):
        problems.append("contains a <link> element")
    if _IFRAME.search(html):
        problems.append("contains an <iframe>/<object>/<embed> element")
    scanner = _FetchScanner()
    scanner.feed(html)
    scanner.close()
    return problems + scanner.problems


#: Outputs pockit leaves in a notebook for itself (the verdict for build_report), never rendered.
_PRIVATE_MIME = {HEADLINE_MIME}


def _drop_noise(nb: Any) -> None:
    """Remove outputs a reader should not see: stderr (warnings, progress bars), pockit's own records."""
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"] = [
            out
            for out in cell.get("outputs", [])
            if not (out.get("output_type") == "stream" and out.get("name") == "stderr")
            and not (set(out.get("data", {})) and set(out.get("data", {})) <= _PRIVATE_MIME)
        ]


def export_html(
    notebook_path: str | Path, out_html: str | Path, *, title: str | None = None
) -> Path:
    """Export an executed notebook to ``out_html`` with the ``pockit`` template; returns the path.

    Raises ReportError when the notebook cannot be read or the HTML would not be self-contained.
    """
    import nbformat
    from nbconvert import HTMLExporter

    src = Path(notebook_path)
    try:
        nb = nbformat.read(src, as_version=4)  # type: ignore[no-untyped-call]
    except (OSError, ValueError) as exc:
        raise ReportError(f"{src}: cannot read the executed notebook ({exc})") from None
    _drop_noise(nb)
    if title:
        nb.metadata["title"] = title
    exporter = HTMLExporter(  # type: ignore[no-untyped-call]
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    try:
        body, _resources = exporter.from_notebook_node(
            nb, resources={"metadata": {"name": src.stem}}
        )
    except Exception as exc:  # nbconvert raises template and filter errors of many kinds
        raise ReportError(
            f"{src}: nbconvert could not export the report ({type(exc).__name__}: {exc})"
        ) from None
    problems = check_html(body)
    if problems:
        listed = "; ".join(problems[:5])
        raise ReportError(
            f"{src}: the exported HTML is not self-contained ({listed}); "
            "a notebook cell displays raw HTML or JavaScript — render it through pockit.report.render"
        )
    out = Path(out_html)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(body, encoding="utf-8")
    tmp.replace(out)
    return out
