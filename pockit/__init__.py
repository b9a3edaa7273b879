"""pockit: turn a Proof-of-Concept question into a measured go/no-go decision.

The public API is the names in ``__all__``; everything else is private. Names load lazily on first
use, so ``import pockit`` stays light and has no side effects (Locust is never imported here: its
gevent monkey-patching would hang a notebook kernel).

>>> import pockit
>>> spec = pockit.load_spec("poc.yaml")                      # doctest: +SKIP
>>> runs = pockit.run_candidate(spec, "async")              # doctest: +SKIP
>>> decision = pockit.decide(spec, runs)                    # doctest: +SKIP
>>> decision.verdict                                        # doctest: +SKIP
'GO'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pockit._util import lazy_exports

__version__ = "0.2.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # errors
    "PockitError": "pockit._errors",
    "UsageError": "pockit._errors",
    "SpecError": "pockit._errors",
    "FieldError": "pockit._errors",
    "InputError": "pockit._errors",
    "SourceError": "pockit._errors",
    "MixedCurrencyError": "pockit._errors",
    "GuardrailError": "pockit._errors",
    "LoadError": "pockit._errors",
    "ReportError": "pockit._errors",
    # spec
    "Spec": "pockit.spec",
    "load_spec": "pockit.spec",
    "parse_spec": "pockit.spec",
    # run directory
    "RunDir": "pockit._rundir",
    "open_runs": "pockit._rundir",
    "SAMPLE_SCHEMA": "pockit._rundir",
    # load
    "run_candidate": "pockit.load",
    "run_spec": "pockit.load",
    "import_runs": "pockit.load",
    # sources
    "read_billing": "pockit.sources",
    "attribute_cost": "pockit.sources",
    "attach_billing": "pockit.sources",
    "CostResult": "pockit.sources",
    "read_metrics": "pockit.sources",
    "PriceBook": "pockit.sources",
    "break_even": "pockit.sources",
    "cost_per_1k": "pockit.sources",
    "attached_cost": "pockit.sources",
    "write_focus_export": "pockit.sources",
    # analysis
    "run_stats": "pockit.analysis",
    "RunStats": "pockit.analysis",
    "timeline": "pockit.analysis",
    # decision
    "decide": "pockit.decision",
    "Decision": "pockit.decision",
    # report
    "build_report": "pockit.report",
    "plots": "pockit.report",
    # demo
    "DemoService": "pockit.demo",
    "run_demo": "pockit.demo",
}

__all__ = [
    "CostResult",
    "Decision",
    "DemoService",
    "FieldError",
    "GuardrailError",
    "InputError",
    "LoadError",
    "MixedCurrencyError",
    "PockitError",
    "PriceBook",
    "ReportError",
    "RunDir",
    "RunStats",
    "SAMPLE_SCHEMA",
    "SourceError",
    "Spec",
    "SpecError",
    "UsageError",
    "__version__",
    "attach_billing",
    "attached_cost",
    "attribute_cost",
    "break_even",
    "build_report",
    "cost_per_1k",
    "decide",
    "import_runs",
    "load_spec",
    "open_runs",
    "parse_spec",
    "plots",
    "read_billing",
    "read_metrics",
    "run_candidate",
    "run_demo",
    "run_spec",
    "run_stats",
    "timeline",
    "write_focus_export",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from pockit._errors import (
        FieldError,
        GuardrailError,
        InputError,
        LoadError,
        MixedCurrencyError,
        PockitError,
        ReportError,
        SourceError,
        SpecError,
        UsageError,
    )
    from pockit._rundir import (
        SAMPLE_SCHEMA,
        RunDir,
        open_runs,
    )
    from pockit.analysis import (
        RunStats,
        run_stats,
        timeline,
    )
    from pockit.decision import (
        Decision,
        decide,
    )
    from pockit.demo import (
        DemoService,
        run_demo,
    )
    from pockit.load import (
        import_runs,
        run_candidate,
        run_spec,
    )
    from pockit.report import (
        build_report,
        plots,
    )
    from pockit.sources import (
        CostResult,
        PriceBook,
        attach_billing,
        attached_cost,
        attribute_cost,
        break_even,
        cost_per_1k,
        read_billing,
        read_metrics,
        write_focus_export,
    )
    from pockit.spec import (
        Spec,
        load_spec,
        parse_spec,
    )
