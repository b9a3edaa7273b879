"""Names from data reach matplotlib as written: a ``$`` is a dollar sign, never mathtext."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from matplotlib import cbook
from matplotlib.text import Text

from pockit.report import plots

NAMES = ["async ($^$ tier)", "cost $5 vs $6"]


def _texts(fig: Any) -> list[str]:
    """Every text the figure drew (tick labels are made at draw time, so after rendering)."""
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def _shown(raw: str) -> str:
    """What matplotlib displays for ``raw`` when it is not mathtext (``\\$`` → ``$``)."""
    assert not cbook.is_math_text(raw), f"{raw!r} would be parsed as mathtext"
    return raw.replace(r"\$", "$")


def _assert_literal(fig: Any, expected: list[str]) -> None:
    png = plots.figure_png(fig)  # the old code raised ValueError here for '$^$'
    assert png.startswith(b"\x89PNG")
    shown = [_shown(t) for t in _texts(fig) if "$" in t]
    for name in expected:
        assert any(name in s for s in shown), (name, shown)


def test_candidates_chart_with_dollar_names() -> None:
    stats = {
        name: {
            "latency_ms": {"p95": {"value": 10.0 + i, "ci_low": 9.0, "ci_high": 12.0 + i}},
            "success_rate": 0.99,
        }
        for i, name in enumerate(NAMES)
    }
    _assert_literal(plots.candidates(stats), NAMES)


def test_pareto_and_distribution_with_dollar_names() -> None:
    points = [
        {"candidate": n, "p95": 10.0 + i, "cost_per_1k": 0.1 + i} for i, n in enumerate(NAMES)
    ]
    _assert_literal(plots.pareto(points, frontier=NAMES), NAMES)
    rng = np.random.default_rng(0)
    lat = {n: rng.lognormal(3, 0.3, 300) for n in NAMES}
    _assert_literal(plots.latency_distribution(lat), NAMES)


def test_cost_breakdown_with_dollar_service_and_label() -> None:
    cost = {
        "currency": "US$",
        "column": "effective",
        "by_service": {"Amazon $EC2$": 1.5, "plain": 0.5},
        "by_hour": {"2026-01-05T10:00:00+00:00": 2.0},
    }
    fig = plots.cost_breakdown(cost, label="cost $5 vs $6", candidate="async ($^$ tier)")
    _assert_literal(fig, ["Amazon $EC2$", "cost $5 vs $6", "async ($^$ tier)", "US$"])


def test_message_keeps_the_raw_text_for_html() -> None:
    fig = plots.message("x $a$", "billing $missing$")
    assert getattr(fig, "pockit_message", None) == ("x $a$", "billing $missing$")
    _assert_literal(fig, ["x $a$", "billing $missing$"])


@pytest.mark.parametrize("raw", ["$", "a\\$b$", "$$", "\\", "no dollar"])
def test_lit_is_never_mathtext(raw: str) -> None:
    assert _shown(plots.lit(raw)) == raw
