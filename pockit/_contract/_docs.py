"""The README's run-directory tables, generated from the contract (``python -m pockit._contract``)."""

from __future__ import annotations

import typing
from typing import Any

from pockit._contract._events import (
    EVENT_FIELDS,
    EventKind,
    event_fields,
)
from pockit._contract._layout import (
    SCHEMA_VERSION,
)
from pockit._contract._runjson import (
    RUN_FIELDS,
)


# ----------------------------------------------------------------------------------------------
# documentation
# ----------------------------------------------------------------------------------------------
def _type_text(annotation: Any) -> str:
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "?")
    return text.replace(" | ", " or ")


def contract_markdown() -> str:
    """The README tables: event kinds with their fields, run.json's fields, the schema version."""
    lines = [
        f"Contract version: `schema: {SCHEMA_VERSION}` in run.json (absent: 1). "
        "Defined in `pockit/_contract/`; `python -m pockit._contract` prints these tables.",
        "",
        "| event `kind` | fields besides `ts`, `kind` (`?` optional) | what |",
        "|---|---|---|",
    ]
    for kind in EventKind:
        td = EVENT_FIELDS[kind]
        parts = [
            f"`{name}{'' if req else '?'}` {_type_text(td.__annotations__[name])}"
            for name, req in event_fields(kind).items()
        ]
        doc = " ".join((td.__doc__ or "").split()).replace("``", "`")
        lines.append(f"| `{kind.value}` | {', '.join(parts) or '—'} | {doc} |")
    lines += ["", "| run.json field | type | meaning |", "|---|---|---|"]
    for key, (jtype, meaning) in RUN_FIELDS.items():
        lines.append(f"| `{key.value}` | {jtype} | {meaning} |")
    return "\n".join(lines) + "\n"
