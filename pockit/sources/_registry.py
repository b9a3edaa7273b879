"""What billing readers and metric sources register into; this module imports none of them.

A billing file reader declares the columns that identify its format (``signature``); an API reader
(Cost Explorer, Athena) the source name that selects it (``cost-explorer``, ``athena://``); a reader
of saved responses the file name's ending. A metric source says which ``read_metrics`` sources it
takes (``selects``) and how a spec's ``metrics:`` entry of its ``kind`` becomes a request.

Each registers where it is defined (``@register_reader``, ``@register_metrics_reader``);
:mod:`pockit.sources._builtin` lists the ones pockit ships, and the dispatchers
(:mod:`pockit.sources._billing`, :mod:`pockit.sources._metrics`) import that list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pockit._errors import SourceError
from pockit._registry import Registry

if TYPE_CHECKING:
    import polars as pl

    from pockit.spec import MetricSource


# -- billing -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReadContext:
    """What a reader gets: the files (or the API source), their header, and what the user asked for."""

    source: str
    files: tuple[Path, ...] = ()
    kind: str = "csv"  # csv | parquet | api
    columns: tuple[str, ...] = ()
    column: str = "effective"
    start: datetime | None = None
    end: datetime | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def scan(self, columns: list[str]) -> pl.LazyFrame:
        """Lazily scan only ``columns`` of the files; CSV cells are read as text (``NULL`` is null).

        Two more columns say where each row came from, so a row pockit cannot use is named:
        ``_file`` (the file, or the source when it is one file) and ``_row`` (1-based data row
        of that file, the header not counted).
        """
        import polars as pl

        frames = []
        for f in self.files:
            name = self.source if len(self.files) == 1 else str(f)
            if self.kind == "parquet":
                lf = pl.scan_parquet(str(f), row_index_name="_row", row_index_offset=1)
            else:
                lf = pl.scan_csv(
                    str(f),
                    infer_schema=False,
                    null_values=["NULL", ""],
                    quote_char='"',
                    row_index_name="_row",
                    row_index_offset=1,
                )
            frames.append(lf.select([*columns, "_row"]).with_columns(_file=pl.lit(name)))
        return pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]

    def require(self, fmt: str, *names: str) -> None:
        """SourceError naming each required column that the export lacks."""
        missing = [n for n in names if n not in self.columns]
        if missing:
            raise SourceError(
                f"{self.source}: {fmt} export has no {', '.join(repr(m) for m in missing)} column(s); "
                f"present: {', '.join(self.columns[:12])}{' ...' if len(self.columns) > 12 else ''}"
            )


Reader = Callable[[ReadContext], "pl.LazyFrame"]


@dataclass(frozen=True, kw_only=True)
class BillingReader:
    """A registered billing format: its name, what identifies it, and the function that reads it."""

    name: str
    description: str
    read: Reader
    signature: tuple[str, ...] = ()
    scheme: str | None = (
        None  # API readers: the source name (``NAME`` or ``NAME://...``) that selects them
    )
    suffix: str | None = None  # file readers chosen by the file name's ending (JSON responses)
    costs: tuple[str, ...] = ("billed", "effective", "list")


BILLING_READERS: Registry[BillingReader] = Registry("billing format")


def register_reader(
    name: str,
    *,
    description: str,
    signature: tuple[str, ...] = (),
    scheme: str | None = None,
    suffix: str | None = None,
    costs: tuple[str, ...] = ("billed", "effective", "list"),
) -> Callable[[Reader], Reader]:
    """Decorator: register ``fn`` as the reader of format ``name`` (sniffed in registration order)."""

    def deco(fn: Reader) -> Reader:
        BILLING_READERS.add(
            name,
            BillingReader(
                name=name,
                description=description,
                read=fn,
                signature=signature,
                scheme=scheme,
                suffix=suffix,
                costs=costs,
            ),
            replace=True,  # as before the registry: a format registered again replaces the first
        )
        return fn

    return deco


# -- metrics -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MetricsRequest:
    """What a metric source gets: the source, the window, and what to fetch from it."""

    source: str
    start: datetime | None = None
    end: datetime | None = None
    query: str | None = None  # Prometheus: PromQL
    queries: Sequence[Mapping[str, Any]] | None = None  # CloudWatch: GetMetricData queries
    step_s: float = 15.0
    name: str | None = None


MetricsRead = Callable[[MetricsRequest], "pl.DataFrame"]
#: A spec's ``metrics:`` entry, the candidate and the window -> the request for it.
FromSpec = Callable[["MetricSource", str, datetime, datetime], MetricsRequest]


@dataclass(frozen=True, kw_only=True)
class MetricsReader:
    """A registered metric source: its name (the spec's ``kind``), what it takes, how it reads."""

    name: str
    description: str
    read: MetricsRead
    #: Whether ``read_metrics(source)`` means this one; None: it takes what no other source takes.
    selects: Callable[[str], bool] | None
    from_spec: FromSpec


METRICS_READERS: Registry[MetricsReader] = Registry("metric source")


def register_metrics_reader(
    name: str,
    *,
    description: str,
    selects: Callable[[str], bool] | None,
    from_spec: FromSpec,
) -> Callable[[MetricsRead], MetricsRead]:
    """Decorator: register ``fn`` as metric source ``name`` (selected in registration order)."""

    def deco(fn: MetricsRead) -> MetricsRead:
        METRICS_READERS.add(
            name,
            MetricsReader(
                name=name, description=description, read=fn, selects=selects, from_spec=from_spec
            ),
        )
        return fn

    return deco
