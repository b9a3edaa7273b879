"""Billing and metrics from cloud exports and APIs, normalised to the frames of architecture.md contract 2.

Billing: one reader per format (FOCUS 1.0–1.2, AWS CUR 2.0, legacy CUR CSV and Athena, Cost
Explorer, Athena queries), chosen by name or by sniffing the columns, all producing the same lazy
frame; attribution to a test's window and tags; a price-book cost model. Metrics: CloudWatch
``GetMetricData`` and Prometheus ``query_range``.

>>> from pockit.sources import read_billing, attribute_cost
>>> lf = read_billing("datasets/billing/focus-sample.csv")                       # doctest: +SKIP
>>> attribute_cost(lf, start=t0, end=t1, tags={"poc": "checkout-async"}).total   # doctest: +SKIP

Names load lazily, so importing this package pulls in neither polars nor boto3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pockit._util import lazy_exports

_EXPORTS: dict[str, str] = {
    # the frames
    "billing_schema": "pockit.sources._frame",
    "tags_to_dict": "pockit.sources._frame",
    # readers
    "read_billing": "pockit.sources._billing",
    "register_reader": "pockit.sources._registry",
    "readers": "pockit.sources._billing",
    "ReadContext": "pockit.sources._registry",
    "write_focus_export": "pockit.sources._focus",
    "fetch_cost_explorer": "pockit.sources._costexplorer",
    "query_athena": "pockit.sources._athena",
    # attribution
    "attribute_cost": "pockit.sources._attribution",
    "CostResult": "pockit.sources._cost_result",
    # deprecated here: the one cost_per_1k is pockit.analysis.cost_per_1k (this name is an alias)
    "cost_per_1k": "pockit.analysis",
    "attach_billing": "pockit.sources._attach",
    "load_attached_billing": "pockit.sources._attach",
    "attached_cost": "pockit.sources._attach",
    "attach_metrics": "pockit.sources._attach",
    "attach_spec_metrics": "pockit.sources._attach",
    "load_attached_metrics": "pockit.sources._attach",
    "attach_observability": "pockit.sources._observability",
    "fetch_observability": "pockit.sources._observability",
    # cost model
    "PriceBook": "pockit.sources._pricebook",
    "break_even": "pockit.sources._pricebook",
    # metrics
    "read_metrics": "pockit.sources._metrics",
    "fetch_cloudwatch": "pockit.sources._cloudwatch",
    "fetch_prometheus": "pockit.sources._prometheus",
    # AWS access with the standard credential chain and errors a user can act on (load's S3 gather)
    "aws_client": "pockit.sources._aws",
    "aws_errors": "pockit.sources._aws",
}

__all__ = [
    "CostResult",
    "PriceBook",
    "ReadContext",
    "attach_billing",
    "attach_metrics",
    "attach_observability",
    "attach_spec_metrics",
    "attached_cost",
    "attribute_cost",
    "aws_client",
    "aws_errors",
    "billing_schema",
    "break_even",
    "cost_per_1k",
    "fetch_cloudwatch",
    "fetch_cost_explorer",
    "fetch_observability",
    "fetch_prometheus",
    "load_attached_billing",
    "load_attached_metrics",
    "query_athena",
    "read_billing",
    "read_metrics",
    "readers",
    "register_reader",
    "tags_to_dict",
    "write_focus_export",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from pockit.analysis import cost_per_1k
    from pockit.sources._athena import query_athena
    from pockit.sources._attach import (
        attach_billing,
        attach_metrics,
        attach_spec_metrics,
        attached_cost,
        load_attached_billing,
        load_attached_metrics,
    )
    from pockit.sources._attribution import attribute_cost
    from pockit.sources._aws import aws_client, aws_errors
    from pockit.sources._billing import read_billing, readers
    from pockit.sources._cloudwatch import fetch_cloudwatch
    from pockit.sources._cost_result import CostResult
    from pockit.sources._costexplorer import fetch_cost_explorer
    from pockit.sources._focus import write_focus_export
    from pockit.sources._frame import billing_schema, tags_to_dict
    from pockit.sources._metrics import read_metrics
    from pockit.sources._observability import attach_observability, fetch_observability
    from pockit.sources._pricebook import PriceBook, break_even
    from pockit.sources._prometheus import fetch_prometheus
    from pockit.sources._registry import ReadContext, register_reader
