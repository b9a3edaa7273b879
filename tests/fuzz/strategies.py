"""Hypothesis strategies for hostile input: strings, YAML values, and mutations of valid files."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

#: Strings reviewers found trouble with, mixed into every generated text.
NASTY = [
    "",
    " ",
    "\r\n",
    "\n",
    "\x00",
    "\x1b[31m",
    "\u202e",
    "\ufeff",
    "$^$",
    "cost $5 vs $6",
    "see url(http://x)",
    "@import 'x.css'",
    "<script>alert(1)</script>",
    "{candidate}",
    "'\"",
    "../../../etc/passwd",
    "/etc/passwd",
    "yesterday",
    "nan",
    ".nan",
    "-.inf",
    "1e309",
    "1e30",
    "-1",
    "0",
    "70000",
    "12ms",
    "9" * 40,
    "true",
    "null",
    "~",
    "2026-13-45T25:61:61Z",
    "2026-05-04T00:00:00",
    "Ω" * 50,
    "a" * 300,
]

nasty_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=20),
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=12),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    nasty_text,
)

#: Any value a YAML or JSON document could hold, a little nested.
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(nasty_text, inner, max_size=3),
    max_leaves=6,
)


def paths_of(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a nested dict/list document (the root excluded)."""
    out: list[tuple[Any, ...]] = []
    items = (
        doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    )
    for key, value in items:
        out.append((*prefix, key))
        out += paths_of(value, (*prefix, key))
    return out


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


@st.composite
def mutated(draw: st.DrawFn, doc: Any, *, max_ops: int = 3) -> Any:
    """``doc`` (a dict) with 1..max_ops fields replaced, deleted or added."""
    import copy

    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, max_ops))):
        paths = paths_of(doc)
        op = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if not paths or op == "add":
            target = draw(st.sampled_from([()] + [p for p in paths if _is_dict(doc, p)]))
            node = _get(doc, target)
            if isinstance(node, dict):
                node[draw(nasty_text)] = draw(values)
            continue
        path = draw(st.sampled_from(paths))
        parent = _parent(doc, path)
        if op == "delete":
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(values)
    return doc


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _is_dict(doc: Any, path: tuple[Any, ...]) -> bool:
    return isinstance(_get(doc, path), dict)


@st.composite
def text_mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` with a few byte-level accidents: an insertion, a cut, a duplicated line, a BOM."""
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["insert", "truncate", "dup_line", "bom", "delete"]))
        pos = draw(st.integers(0, max(len(text), 0)))
        if op == "insert":
            text = text[:pos] + draw(nasty_text) + text[pos:]
        elif op == "truncate":
            text = text[:pos]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 20)) :]
        elif op == "bom":
            text = "\ufeff" + text
        else:
            lines = text.splitlines(keepends=True)
            if lines:
                i = draw(st.integers(0, len(lines) - 1))
                lines.insert(i, lines[i])
                text = "".join(lines)
    return text


@st.composite
def csv_mutated(draw: st.DrawFn, text: str) -> str:
    """A CSV with cells replaced by hostile text (quoted or not), a column dropped or a header renamed."""
    lines = text.splitlines()
    rows = [line.split(",") for line in lines]
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["cell", "cell", "cell", "drop_col", "rename", "ragged"]))
        r = draw(st.integers(0, len(rows) - 1))
        c = draw(st.integers(0, max(len(rows[r]) - 1, 0)))
        if op == "cell" and rows[r]:
            value = str(draw(scalars))
            rows[r][c] = '"' + value.replace('"', '""') + '"' if draw(st.booleans()) else value
        elif op == "drop_col":
            rows = [row[:c] + row[c + 1 :] for row in rows]
        elif op == "rename" and rows[0]:
            rows[0][c] = draw(nasty_text).replace(",", ";")
        elif op == "ragged":
            rows[r] = rows[r][: draw(st.integers(0, len(rows[r])))]
    return "\n".join(",".join(row) for row in rows) + "\n"


#: What a hostile ``ts`` looks like: wrong types, impossible dates, no zone, far out of range.
hostile_ts = st.one_of(
    values,
    st.sampled_from(
        ["2026-13-45T99:00:00Z", "not a time", "", "2026-01-05T10:00:00", "9999-12-31T23:59:59Z",
         "0001-01-01T00:00:00+14:00", "2026-01-05T10:00:00.123456789Z", "NaN", "1e309"]
    ),
)  # fmt: skip


@st.composite
def events_mutated(draw: st.DrawFn, events: list[dict[str, Any]]) -> str:
    """``events.jsonl`` text from ``events`` with a few made hostile: a bad ``ts``, an unknown
    ``kind``, fields of the wrong type, a line that is JSON but no object, or not JSON at all."""
    lines: list[str] = []
    for event in events or [{"ts": "2026-01-05T10:00:00Z", "kind": "phase"}]:
        op = draw(st.sampled_from(["keep", "ts", "kind", "fields", "not_object", "garbage"]))
        doc: Any = dict(event)
        if op == "ts":
            doc["ts"] = draw(hostile_ts)
        elif op == "kind":
            doc["kind"] = draw(st.one_of(nasty_text, values))
        elif op == "fields":
            doc = draw(mutated(doc))
        elif op == "not_object":
            doc = draw(st.one_of(scalars, st.lists(scalars, max_size=3)))
        line = draw(nasty_text) if op == "garbage" else json.dumps(doc, default=str)
        lines.append(line)
        if draw(st.integers(0, 4)) == 0:  # a duplicated line: a writer that retried
            lines.append(line)
    return "\n".join(lines) + "\n"
