"""The ``cost``, ``metrics`` and ``observability`` sections: where billing and server-side metrics come from."""

from pathlib import Path
from typing import Any, cast

from pockit._vocabulary import BILLING_FORMATS, COST_CHOICES, FORMAT_ALIASES
from pockit.spec._convert import (
    _choice,
    _flag,
    _positive_duration,
    _prose,
    _resolve,
    _str_list,
    _str_map,
    _text,
)
from pockit.spec._keys import COST_KEYS, METRIC_KEYS, OBSERVABILITY_KEYS
from pockit.spec._model import CostSource, MetricSource, Observability
from pockit.spec._reader import _Reader


def _build_cost(r: _Reader, top: dict[str, Any], base: Path) -> CostSource | None:
    if "cost" not in top:
        return None
    c = r.mapping(top["cost"], "cost", COST_KEYS)
    source = r.get(
        c,
        "cost",
        "source",
        _text,
        "",
        required=True,
        what="a path, s3:// URL, cost-explorer, athena or model",
    )
    price_book = r.get(c, "cost", "price_book", _text, None)
    if source == "model" and not price_book:
        r.error("cost.price_book", "source 'model' needs price_book: a YAML price book")
    return CostSource(
        source=_resolve(base, source) if source else source,
        format=r.get(c, "cost", "format", _choice(*BILLING_FORMATS, *FORMAT_ALIASES), None),
        column=cast(Any, r.get(c, "cost", "column", _choice(*COST_CHOICES), "effective")),
        price_book=_resolve(base, price_book) if price_book else None,
        lag_ok=r.get(c, "cost", "lag_ok", _flag, False),
    )


def _build_metrics(r: _Reader, top: dict[str, Any], base: Path) -> list[MetricSource]:
    out: list[MetricSource] = []
    for field, item in r.items(top.get("metrics"), "metrics"):
        m = r.mapping(item, field, METRIC_KEYS)
        kind = r.get(
            m,
            field,
            "kind",
            _choice("prometheus", "cloudwatch", "file"),
            "prometheus",
            required=True,
        )
        path = r.get(m, field, "path", _text, None)
        if kind == "prometheus" and not m.get("query"):
            r.error(f"{field}.query", "a prometheus source needs query (PromQL)")
        if kind == "file" and not path:
            r.error(f"{field}.path", "a file source needs path")
        out.append(
            MetricSource(
                kind=cast(Any, kind),
                name=r.get(m, field, "name", _text, f"metric{len(out)}", required=True),
                url=r.get(m, field, "url", _text, None),
                query=r.get(m, field, "query", _prose, None),
                path=_resolve(base, path) if path else None,
                namespace=r.get(m, field, "namespace", _text, None),
                metric_name=r.get(m, field, "metric_name", _text, None),
                dimensions=r.get(m, field, "dimensions", _str_map, {}),
                stat=r.get(m, field, "stat", _text, "Average"),
                step_s=r.get(m, field, "step", _positive_duration, 1.0),
                unit=r.get(m, field, "unit", _text, None),
            )
        )
    return out


def _build_observability(r: _Reader, top: dict[str, Any]) -> Observability | None:
    if "observability" not in top:
        return None
    o = r.mapping(top["observability"], "observability", OBSERVABILITY_KEYS)
    url = r.get(o, "observability", "url", _text, "", required=True, what="the Prometheus URL")
    if url and not url.startswith(("http://", "https://")):
        r.error("observability.url", f"expected a Prometheus URL such as http://{url}")
    services = r.get(o, "observability", "services", _str_list, tuple[str, ...]())
    seen: set[str] = set()
    for i, service in enumerate(services):
        if service in seen:
            r.error(f"observability.services[{i}]", f"{service!r} is listed twice")
        seen.add(service)
    return Observability(
        url=url.rstrip("/"),
        services=services,
        step_s=r.get(o, "observability", "step", _positive_duration, 1.0),
    )
