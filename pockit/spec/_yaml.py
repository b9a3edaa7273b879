"""Spec YAML read safely: bounded aliases and nesting, duplicate keys found, each field's line and text.

A spec is small and hand-written, and it is passed around a team, so its reader refuses what a spec
never needs before doing anything that could take long: nesting deeper than :data:`MAX_YAML_DEPTH`
(the recursive composer would raise RecursionError), more than :data:`MAX_YAML_ALIASES` aliases, an
alias that contains itself, and aliases that expand beyond :data:`MAX_YAML_VALUES` values (a
"billion laughs" file of a few hundred bytes). A few anchors and aliases (one ``tags`` block shared
by candidates, ``<<: *common`` in criteria) remain fine.

Each field keeps its line (for error messages) and its YAML node, so text fields can be read as
written: ``tags: {poc: true}`` is the tag value ``"true"``, not Python's ``"True"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from pockit._errors import FieldError

#: Deepest nesting of lists and mappings. A spec needs about 5 (``load.shape.stages[0].users``).
MAX_YAML_DEPTH = 20
#: Most alias uses (``*name``) in one spec.
MAX_YAML_ALIASES = 50
#: Most values (scalars, lists, mappings) in a spec with every alias expanded.
MAX_YAML_VALUES = 50_000

_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"


class _Refused(yaml.YAMLError):
    """A spec refused for its shape, not its syntax; ``line`` is 1-based."""

    def __init__(self, message: str, mark: Any) -> None:  # a yaml Mark (pure or libyaml) or None
        super().__init__(message)
        self.message = message
        self.line = mark.line + 1 if mark is not None else None


class _SpecLoader(yaml.SafeLoader):
    """SafeLoader that counts depth and aliases while composing, before the recursion can run away."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise _Refused(
                    f"more than {MAX_YAML_ALIASES} aliases (*name); a spec needs only a few",
                    event.start_mark,
                )
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _Refused(
                    f"lists and mappings nested deeper than {MAX_YAML_DEPTH} levels",
                    event.start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # A scalar YAML types but cannot build (``2026-13-45``, an int past Python's digit limit)
        # raises ValueError from deep inside PyYAML; say which line instead.
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as exc:
            raise _Refused(f"a value YAML cannot read: {exc}", node.start_mark) from None


@dataclass
class Document:
    """A parsed spec: the plain data, and per field path its line and YAML node."""

    data: Any
    lines: dict[str, int] = field(default_factory=dict)
    nodes: dict[str, yaml.Node] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)


def read_yaml(text: str) -> Document:
    """Parse ``text``; raises :class:`yaml.YAMLError` (``_Refused`` for the bounds above)."""
    loader = _SpecLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(data=None)
        _measure(node, 0, {}, set())
        errors = _duplicates(node, "", set())
        data = loader.construct_document(node)
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]
    doc = Document(data=data, errors=errors)
    _index(node, "", doc)  # after construction: ``<<`` merges are flattened in place by then
    return doc


def refusal(exc: yaml.YAMLError) -> tuple[str, int | None]:
    """A YAML error as the message and 1-based line of a spec error."""
    if isinstance(exc, _Refused):
        return exc.message, exc.line
    mark = getattr(exc, "problem_mark", None)
    return f"not valid YAML: {exc}", mark.line + 1 if mark is not None else None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _measure(
    node: yaml.Node, depth: int, memo: dict[int, tuple[int, int]], open_: set[int]
) -> tuple[int, int]:
    """(values, height) of ``node`` with aliases expanded, computed once per node (linear time)."""
    key = id(node)
    if key in open_:
        raise _Refused("an alias (*name) refers to a value that contains itself", node.start_mark)
    if key not in memo:
        open_.add(key)
        size, height = 1, 0
        for child in _children(node):
            child_size, child_height = _measure(child, depth + 1, memo, open_)
            size += child_size
            height = max(height, child_height + 1)
            if size > MAX_YAML_VALUES:
                raise _Refused(
                    f"aliases expand this spec to more than {MAX_YAML_VALUES} values",
                    node.start_mark,
                )
        open_.discard(key)
        memo[key] = (size, height)
    size, height = memo[key]
    if depth + height > MAX_YAML_DEPTH:
        raise _Refused(
            f"lists and mappings nested deeper than {MAX_YAML_DEPTH} levels (through an alias)",
            node.start_mark,
        )
    return size, height


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _key(node: yaml.Node) -> str:
    """A mapping key as a path segment (a list or mapping as a key has no useful name)."""
    return str(node.value) if isinstance(node, yaml.ScalarNode) else "?"


def _duplicates(node: yaml.Node, path: str, seen: set[int]) -> list[FieldError]:
    """Keys written twice in one mapping: YAML would keep the last one silently."""
    if id(node) in seen:
        return []
    seen.add(id(node))
    out: list[FieldError] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = _key(key_node)
            line = key_node.start_mark.line + 1
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE_TAG:
                if key in first:
                    out.append(
                        FieldError(
                            _join(path, key),
                            f"duplicate key {key!r}: first at line {first[key]}, again at "
                            f"line {line}; YAML would keep only the last, so remove one",
                            line,
                        )
                    )
                else:
                    first[key] = line
            out += _duplicates(value_node, _join(path, key), seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out += _duplicates(item, f"{path}[{i}]", seen)
    return out


def _index(node: yaml.Node, path: str, doc: Document) -> None:
    """Field path → line and node (aliases followed; :func:`_measure` has bounded them)."""
    if path:
        doc.lines.setdefault(path, node.start_mark.line + 1)
        doc.nodes.setdefault(path, node)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = _join(path, _key(key_node))
            doc.lines[child] = key_node.start_mark.line + 1
            doc.nodes[child] = value_node
            _index(value_node, child, doc)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, f"{path}[{i}]", doc)


def as_written(node: yaml.Node) -> Any:
    """The node's scalars as the text written (``true``, ``007``, ``1.50``); null is ``""``.

    Lists become lists and mappings dicts of the same; a mapping key that is not a scalar is kept
    as its node so the caller's type check refuses it.
    """
    if isinstance(node, yaml.ScalarNode):
        return "" if node.tag == _NULL_TAG else str(node.value)
    if isinstance(node, yaml.SequenceNode):
        return [as_written(item) for item in node.value]
    if isinstance(node, yaml.MappingNode):
        return {
            as_written(k) if isinstance(k, yaml.ScalarNode) else k: as_written(v)
            for k, v in node.value
        }
    return node.value
