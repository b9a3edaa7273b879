"""The ``criteria`` section: metric names, ops, thresholds; ``server:NAME`` and
``detect_alert_s:NAME`` checked against ``metrics``."""

import difflib
from typing import Any, cast

from pockit.criteria import expected_text, needs
from pockit.spec._convert import _choice, _count, _flag, _number, _positive, _text
from pockit.spec._keys import CRITERION_KEYS
from pockit.spec._model import (
    LATENCY_SHAPE,
    OPS,
    Criterion,
    MetricSource,
    Observability,
    metric_is_known,
)
from pockit.spec._reader import _Reader


def _build_criteria(r: _Reader, top: dict[str, Any]) -> list[Criterion]:
    out: list[Criterion] = []
    if "criteria" not in top:
        r.error("criteria", "required field is missing (a list of {metric, op, threshold})")
    for field, item in r.items(top.get("criteria"), "criteria"):
        c = r.mapping(item, field, CRITERION_KEYS)
        metric = r.get(c, field, "metric", _text, "", required=True)
        if metric and not metric_is_known(metric) and LATENCY_SHAPE.fullmatch(metric):
            r.error(
                f"{field}.metric",
                f"{metric!r}: a latency percentile must be between 0 and 100, both excluded "
                "(latency_p0_ms would always pass); e.g. latency_p95_ms, latency_p99.9_ms",
            )
        elif metric and not metric_is_known(metric):
            r.error(
                f"{field}.metric",
                f"unknown metric {metric!r}; expected {expected_text()}",
            )
        warn = r.get(c, field, "warn", _number, None)
        if warn is not None and warn < 0:
            r.error(f"{field}.warn", "the warning band is a distance from the threshold, so >= 0")
        out.append(
            Criterion(
                metric=metric,
                op=cast(Any, r.get(c, field, "op", _choice(*OPS), "<", required=True)),
                threshold=r.get(c, field, "threshold", _number, 0.0, required=True),
                warn=warn,
                key=r.get(c, field, "key", _flag, False),
                weight=r.get(c, field, "weight", _positive, 1.0),
                min_samples=r.get(c, field, "min_samples", _count, None),
                on_missing=cast(
                    Any,
                    r.get(c, field, "on_missing", _choice("inconclusive", "fail"), "inconclusive"),
                ),
                endpoint=r.get(c, field, "endpoint", _text, None),
            )
        )
    return out


def _check_references(
    r: _Reader,
    criteria: list[Criterion],
    metrics: list[MetricSource],
    observability: Observability | None = None,
) -> None:
    """A ``server:NAME``, ``headroom:NAME`` or ``detect_alert_s:NAME`` criterion when the spec's
    metrics sources have no NAME: a misspelt name would only ever be INCONCLUSIVE ("metric absent"),
    far from the cause. (A spec without ``metrics`` may still be judged on metrics passed to
    ``decide(..., metrics=...)``.) An alert criterion's Prometheus source must select firing alerts:
    a query without ``alertstate="firing"`` also returns pending ones, which would count as
    detections. ``observability_coverage`` counts against ``observability.services``, which only
    the spec gives."""
    names = [m.name for m in metrics]
    by_name = {m.name: m for m in metrics}
    for i, c in enumerate(criteria):
        if c.metric == "observability_coverage" and (
            observability is None or not observability.services
        ):
            r.error(
                f"criteria[{i}].metric",
                "observability_coverage counts the services listed in observability.services; "
                "list them (with observability.url, the Prometheus that scrapes them)",
            )
        if not names or "server_metrics" not in needs(c.metric) or ":" not in c.metric:
            continue
        family, wanted = c.metric.split(":", 1)
        if wanted not in names:
            hint = difflib.get_close_matches(wanted, names, n=1)
            r.error(
                f"criteria[{i}].metric",
                f"no metrics source named {wanted!r} (metrics[].name: {', '.join(names)})"
                + (f"; did you mean '{family}:{hint[0]}'?" if hint else ""),
            )
            continue
        src = by_name[wanted]
        query = (src.query or "").replace(" ", "").replace("'", '"')
        if (
            family == "detect_alert_s"
            and src.kind == "prometheus"
            and ('alertstate="firing"' not in query)
        ):
            j = metrics.index(src)
            r.error(
                f"metrics[{j}].query",
                f"criteria[{i}] ({c.metric}) reads firing alerts from this source: its query must "
                f'select alertstate="firing", e.g. ALERTS{{alertname="MyAlert",alertstate="firing"}}',
            )
