"""Types tests share: polars aggregates as what a test compares them as, and keyword sets.

``Series.min()``, ``.max()`` and ``.mean()`` are typed as any Python literal or None (the column
could hold dates, strings or nothing at all), so a test that expects a number or a timestamp says
so here, and fails with the value it got if it is something else.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict


def number(value: object) -> float:
    """``value`` if it is an int or a float (a mean, a max), else the test fails naming it."""
    assert isinstance(value, int | float), f"expected a number, got {value!r}"
    return value


def moment(value: object) -> datetime:
    """``value`` if it is a datetime (a min or max of a time column), else the test fails naming it."""
    assert isinstance(value, datetime), f"expected a datetime, got {value!r}"
    return value


class Window(TypedDict):
    """``start`` and ``end`` for ``attribute_cost(billing, **window, ...)``, typed so mypy checks them."""

    start: datetime | str
    end: datetime | str
