"""``read_billing``: a billing export or API read by its registered reader, chosen by name or by sniffing.

A file's header is matched against the readers' signatures (the first reader whose columns are all
there); an API source by its scheme; a saved response by its file name. Whatever the reader, the
frame comes out in the normalised billing layout (architecture.md contract 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pockit.sources._builtin  # noqa: F401  (registers the readers chosen here)
from pockit._errors import SourceError, UsageError
from pockit._vocabulary import COST_CHOICES, canonical_format, format_names
from pockit.sources._frame import BILLING_COLUMNS, billing_schema
from pockit.sources._io import resolve
from pockit.sources._registry import BILLING_READERS, BillingReader, ReadContext

if TYPE_CHECKING:
    import polars as pl


def readers() -> dict[str, BillingReader]:
    """All registered billing readers by name."""
    return BILLING_READERS.as_dict()


def header(files: tuple[Path, ...], kind: str) -> tuple[str, ...]:
    """Column names of the first file (Parquet schema or CSV header row)."""
    import polars as pl

    first = str(files[0])
    try:
        if kind == "parquet":
            return tuple(pl.read_parquet_schema(first))
        return tuple(pl.scan_csv(first, infer_schema=False, n_rows=1).collect_schema().names())
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{first}: cannot read it as {kind.upper()} ({exc})") from None


def sniff(columns: tuple[str, ...], origin: str) -> BillingReader:
    """The first file reader whose signature columns are all present; SourceError lists what was looked for."""
    file_readers = [r for r in readers().values() if r.signature]
    for reader in file_readers:
        if all(c in columns for c in reader.signature):
            return reader
    looked = "; ".join(f"{r.name}: {', '.join(r.signature)}" for r in file_readers)
    shown = ", ".join(columns[:10]) + (" ..." if len(columns) > 10 else "")
    raise SourceError(
        f"{origin}: unknown billing format. Columns looked for — {looked}. "
        f"The file has: {shown or '(no columns)'}. Pass --format to say which it is."
    )


def read_billing(
    source: str | Path,
    *,
    format: str | None = None,
    column: str = "effective",
    start: datetime | None = None,
    end: datetime | None = None,
    tags: Mapping[str, str] | None = None,
) -> pl.LazyFrame:
    """Read a billing export (local path or ``s3://``) or API (``cost-explorer``, ``athena://DB.TABLE``).

    Returns a lazy frame in the normalised billing layout (see :mod:`pockit.sources._frame`);
    ``column`` picks the cost (``billed``, ``effective``, ``list``; CUR also ``unblended``, ``net``).
    ``start``/``end``/``tags`` are needed by the API readers only, which query just that window.

    >>> lf = read_billing("datasets/billing/focus-sample.csv", column="billed")  # doctest: +SKIP
    """
    if column not in COST_CHOICES:
        raise UsageError(f"cost column {column!r} is not one of {', '.join(COST_CHOICES)}")
    regs = readers()
    text = str(source)
    reader: BillingReader | None = None
    if format is not None:
        name = canonical_format(format)
        if name is None:
            raise UsageError(f"unknown billing format {format!r}; known: {format_names()}")
        if name == "cost-explorer" and not _selects("cost-explorer", text):
            name = "cost-explorer-json"  # the API's name given to a saved response: read the file
        reader = regs[name]
    else:
        reader = next((r for r in regs.values() if r.scheme and _selects(r.scheme, text)), None)
        if reader is None and not text.startswith("s3://"):
            reader = next(
                (r for r in regs.values() if r.suffix and text.lower().endswith(r.suffix)), None
            )
    if reader is not None and reader.suffix and not reader.scheme:
        _check_cost(reader, column)
        path = Path(text).expanduser()
        if not path.is_file():
            raise SourceError(f"{path}: no such file")
        ctx = ReadContext(
            source=text,
            files=(path,),
            kind="json",
            column=column,
            start=start,
            end=end,
            tags=dict(tags or {}),
        )
        return _conform(_run_reader(reader, ctx))
    if reader is not None and reader.scheme:
        _check_cost(reader, column)
        ctx = ReadContext(
            source=text, kind="api", column=column, start=start, end=end, tags=dict(tags or {})
        )
        return _conform(_run_reader(reader, ctx))

    resolved = resolve(source)
    cols = header(resolved.files, resolved.kind)
    if reader is None:
        reader = sniff(cols, resolved.origin)
    _check_cost(reader, column)
    ctx = ReadContext(
        source=resolved.origin,
        files=resolved.files,
        kind=resolved.kind,
        columns=cols,
        column=column,
        start=start,
        end=end,
        tags=dict(tags or {}),
    )
    return _conform(_run_reader(reader, ctx))


def _selects(scheme: str, source: str) -> bool:
    return source == scheme or source.startswith(scheme + "://")


def _check_cost(reader: BillingReader, column: str) -> None:
    if column not in reader.costs:
        raise UsageError(
            f"--cost {column} does not exist in {reader.name} exports; use one of {', '.join(reader.costs)}"
        )


def _run_reader(reader: BillingReader, ctx: ReadContext) -> pl.LazyFrame:
    """Run a reader; polars and OS errors on a user's file become a SourceError naming the file."""
    import polars as pl

    try:
        return reader.read(ctx)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{ctx.source}: cannot read it as {reader.name} ({exc})") from None


def _conform(lf: pl.LazyFrame) -> pl.LazyFrame:
    """Select the billing columns in order with their contract dtypes."""
    import polars as pl

    schema = billing_schema()
    if "problem" not in lf.collect_schema().names():  # an API reader whose rows are all checked
        lf = lf.with_columns(pl.lit(None, pl.String).alias("problem"))
    return lf.select([pl.col(c).cast(schema[c]) for c in BILLING_COLUMNS])
