"""Small helpers more than one part needs; standard library only, so any part may import them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def plain_dict(obj: Any) -> dict[str, Any] | None:
    """``obj`` as a plain dict when it is a mapping or its ``to_dict()`` returns one, else None.

    Parts read each other's result objects (and callers' dicts) through this, so a result type may
    change shape without its readers importing it.
    """
    if isinstance(obj, Mapping):
        return dict(obj)
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        data = to_dict()
        if isinstance(data, Mapping):
            return dict(data)
    return None
