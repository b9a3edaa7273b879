"""The README's run-directory tables are the contract's own (``python -m pockit._contract``): a key,
type or meaning changed in ``pockit/_contract`` and not in the README fails here."""

from __future__ import annotations

from pathlib import Path

from pockit._contract import contract_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_holds_the_generated_contract_tables() -> None:
    tables = contract_markdown()
    text = README.read_text()
    missing = [line for line in tables.splitlines() if line and line not in text]
    assert not missing, "README.md is behind `python -m pockit._contract`:\n" + "\n".join(missing)
    assert "| `metrics_errors` | object |" in tables  # what run.json holds there: a mapping
