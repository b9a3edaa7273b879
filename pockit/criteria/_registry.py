"""The metric registry: what a criterion may name, its unit, what data it needs, how it is judged.

Each metric module (``pockit/criteria/_*.py``) calls :func:`register` once per metric it defines;
this module imports none of them (``pockit/criteria/__init__.py`` imports them, once). Spec
validation, the decision and the report's units all read the registry, so a new metric is one new
module plus its line in ``__init__``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pockit._display import unit_of
from pockit._registry import Registry
from pockit.criteria._base import Judgement, MetricInput

#: What a metric is computed from; ``pockit validate`` notes a criterion whose spec cannot produce it.
Need = Literal[
    "samples",
    "cost",
    "faults",
    "idle_gaps",
    "slo_target",
    "server_metrics",
    "capacity",
    "observability",
]


@dataclass(frozen=True, kw_only=True)
class Metric:
    """One metric a criterion may name, or a family of them (``matches`` set).

    ``compute`` judges a criterion on a :class:`MetricInput`. With ``per_request`` the decision first
    narrows the requests to the criterion's endpoint and answers "no requests recorded" itself;
    without it (cost, faults, cold start, server metrics) ``compute`` gets every request of the
    candidate and the endpoint plays no part.
    """

    name: str  #: the name, or for a family the shape users write (``latency_pNN_ms``)
    unit: str  #: unit of its values, as the report prints it (``ms``, ``%``, ``USD``, ...)
    doc: str  #: one line for the docs
    compute: Callable[[MetricInput], Judgement]
    needs: frozenset[Need] = field(default_factory=lambda: frozenset({"samples"}))
    per_request: bool = True
    matches: Callable[[str], bool] | None = None  #: a family: which names it takes
    example: str | None = None  #: a family: one name of it, for messages


#: Every metric, by name (a family by its shape), in registration order: the extension point's
#: :class:`pockit._registry.Registry`, like the billing readers' and the import formats'.
METRICS: Registry[Metric] = Registry("metric")


def register(metric: Metric) -> Metric:
    """Add ``metric`` (a name registered twice is a programming error)."""
    return METRICS.add(metric.name, metric)


def lookup(name: str) -> Metric | None:
    """The metric a criterion naming ``name`` is judged by, or None when there is none."""
    fixed = METRICS.get(name)
    if fixed is not None and fixed.matches is None:
        return fixed
    for m in METRICS.values():
        if m.matches is not None and m.matches(name):
            return m
    return None


def metrics() -> tuple[Metric, ...]:
    """Every registered metric, in registration order."""
    return tuple(METRICS.values())


def fixed_names() -> tuple[str, ...]:
    """The metrics with one fixed name, in registration order (``success_rate``, ...)."""
    return tuple(m.name for m in METRICS.values() if m.matches is None)


def family_names() -> tuple[str, ...]:
    """The families' shapes (``latency_pNN_ms``, ``latency_pNN_intended_ms``, ``server:NAME``)."""
    return tuple(m.name for m in METRICS.values() if m.matches is not None)


def known(name: str) -> bool:
    """Whether a criterion may name ``name``."""
    return lookup(name) is not None


def needs(name: str) -> frozenset[Need]:
    """What ``name`` is computed from (empty for an unknown name)."""
    m = lookup(name)
    return m.needs if m is not None else frozenset()


def expected_text() -> str:
    """What a criterion may name, for an "unknown metric" message: the request families (with an
    example), the fixed names, then the other families (``server:NAME``)."""
    fams = [m for m in METRICS.values() if m.matches is not None]
    first = [m.name + (f" (e.g. {m.example})" if m.example else "") for m in fams if m.per_request]
    last = [m.name for m in fams if not m.per_request]
    return f"{', '.join([*first, *fixed_names()])} or {' or '.join(last)}"


def unit(name: str) -> str:
    """The unit of ``name``'s values (``ms``, ``%``, ``USD``, ``req/s``, ``s``, ``× budget``); for a
    server metric or a name no metric takes, what the name's suffix says (``_display.unit_of``)."""
    m = lookup(name)
    return m.unit if m is not None and m.unit else unit_of(name)
