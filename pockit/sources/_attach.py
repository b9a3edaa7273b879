"""Billing and metrics stored in a run directory (``sources/``), so reports rebuild offline.

``pockit cost --attach RUN_DIR EXPORT`` can run again days after the load, when the billing has
landed: it replaces ``sources/billing.parquet`` and the ``billing`` entry of run.json.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pockit._contract import RunField
from pockit._errors import InputError, PockitError, SourceError
from pockit._rundir import RunDir, iso, utcnow
from pockit.sources._attribution import attribute_cost
from pockit.sources._billing import read_billing
from pockit.sources._cost_result import CostResult
from pockit.sources._frame import BILLING_COLUMNS, METRICS_COLUMNS, tags_dtype
from pockit.sources._metrics import read_metrics, read_spec_metric
from pockit.sources._window import owner_filter, window_filter

if TYPE_CHECKING:
    import polars as pl

    from pockit.spec import MetricSource

BILLING_FILE = "billing.parquet"
METRICS_FILE = "metrics.parquet"


def _run(run_dir: str | Path | RunDir) -> RunDir:
    return run_dir if isinstance(run_dir, RunDir) else RunDir.open(run_dir)


def run_window(run: RunDir) -> tuple[datetime, datetime]:
    """The run's [start, end) in UTC; InputError when the run has not ended."""
    end = run.end
    if end is None:
        raise InputError(
            f"{run.path}: run.json has no end yet (status {run.status}); attach billing after it ends"
        )
    return run.start, end


def run_tags(run: RunDir) -> dict[str, str]:
    """The candidate's cost-allocation tags as recorded in run.json (``tags``, or ``candidate_tags``)."""
    meta = run.meta
    for key in ("tags", "candidate_tags"):
        value = meta.get(key)
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
    return {}


def _redact(source: str) -> str:
    """Keep a source's location but never a query string (it may carry a signature or token)."""
    return source.split("?", 1)[0]


def attach_billing(
    run_dir: str | Path | RunDir,
    source: str | Path,
    *,
    format: str | None = None,
    column: str = "effective",
    tags: Mapping[str, str] | None = None,
    resource_ids: Sequence[str] = (),
    lenient: bool = False,
) -> CostResult:
    """Store the run's billing rows in ``sources/billing.parquet`` and its cost in run.json.

    The rows kept are those overlapping the run's window and carrying the tags (``tags``, else the
    candidate's tags from run.json). The result's ``covers_window`` says whether billing has landed.
    """
    run = _run(run_dir)
    start, end = run_window(run)
    use_tags = dict(tags) if tags is not None else run_tags(run)
    ids = tuple(resource_ids) or tuple(str(r) for r in run.meta.get(RunField.RESOURCE_IDS) or ())
    billing = read_billing(
        source, format=format, column=column, start=start, end=end, tags=use_tags
    )
    result = attribute_cost(
        billing,
        start=start,
        end=end,
        tags=use_tags,
        resource_ids=ids,
        column=column,
        lenient=lenient,
    )
    import polars as pl

    try:
        # the candidate's rows, and the window's rows pockit could not use (so that rebuilding
        # offline refuses or counts them exactly as this attach did)
        rows = (
            billing.filter(
                window_filter(start, end)
                & (owner_filter(use_tags, ids) | pl.col("problem").is_not_null())
            )
            .select(BILLING_COLUMNS)
            .collect()
        )
    except pl.exceptions.PolarsError as exc:
        raise SourceError(f"{source}: cannot read the billing rows ({exc})") from None
    run.sources_dir.mkdir(parents=True, exist_ok=True)
    target = run.sources_dir / BILLING_FILE
    tmp = target.with_name(f".{target.name}.tmp")
    rows.write_parquet(tmp)
    tmp.replace(target)
    entry: dict[str, Any] = {
        **result.to_dict(),
        "export": _redact(str(source)),
        "format": format,
        "file": f"sources/{BILLING_FILE}",
        "attached_at": iso(utcnow()),
    }
    entry.pop("by_hour", None)  # kept in the parquet; run.json stays small
    run.update_meta(billing=entry)
    return result


def load_attached_billing(run_dir: str | Path | RunDir) -> pl.LazyFrame:
    """The billing rows attached to a run, in the normalised frame; SourceError when none yet."""
    import polars as pl

    run = _run(run_dir)
    path = run.sources_dir / BILLING_FILE
    if not path.is_file():
        raise SourceError(
            f"{run.path}: no billing attached yet; run `pockit cost EXPORT --attach {run.path}`"
        )
    return pl.scan_parquet(path)


def attached_cost(run_dir: str | Path | RunDir) -> CostResult:
    """Recompute the run's attributed cost from its attached billing (offline)."""
    run = _run(run_dir)
    start, end = run_window(run)
    entry = run.meta.get(RunField.BILLING) or {}
    tags = entry.get("tags") if isinstance(entry.get("tags"), dict) else run_tags(run)
    result = attribute_cost(
        load_attached_billing(run),
        start=start,
        end=end,
        tags=tags,
        column=entry.get("column"),
        lenient=bool(entry.get("unattributed_rows")),  # attached leniently: stays so, and said
    )
    if entry:
        # The stored rows were cut to the window, so coverage is what the export said when attached.
        return replace(result, covers_window=bool(entry.get("covers_window", False)))
    return result


def attach_metrics(
    run_dir: str | Path | RunDir,
    metrics: pl.LazyFrame | pl.DataFrame | str | Path,
    *,
    query: str | None = None,
    queries: Sequence[Mapping[str, Any]] | None = None,
    step_s: float = 1.0,
    name: str | None = None,
    pad_s: float = 0.0,
) -> Path:
    """Store metric points of the run's window (± ``pad_s``) in ``sources/metrics.parquet``.

    ``metrics`` is a metrics frame or a source for :func:`read_metrics` (Prometheus URL with
    ``query``, ``"cloudwatch"`` with ``queries``, or a saved JSON). Points are kept on the run's
    UTC timeline (``t_offset_s`` = seconds since the run's start); points already attached for
    other metrics are kept, so CloudWatch and Prometheus can both be attached.
    """
    import polars as pl

    run = _run(run_dir)
    start, end = run_window(run)
    lo, hi = start - timedelta(seconds=pad_s), end + timedelta(seconds=pad_s)
    if isinstance(metrics, str | Path):
        metrics = read_metrics(
            metrics, start=lo, end=hi, query=query, queries=queries, step_s=step_s, name=name
        )
    new = (
        metrics.lazy()
        .select(METRICS_COLUMNS)
        .filter((pl.col("ts") >= lo) & (pl.col("ts") <= hi))
        .with_columns(
            ((pl.col("ts") - pl.lit(start)).dt.total_microseconds() / 1e6).alias("t_offset_s")
        )
        .collect()
    )
    target = run.sources_dir / METRICS_FILE
    run.sources_dir.mkdir(parents=True, exist_ok=True)
    if target.is_file():
        old = pl.read_parquet(target)
        keep = old.filter(~pl.col("metric").is_in(new["metric"].unique().to_list()))
        new = pl.concat([keep, new], how="vertical_relaxed")
    new = new.sort("metric", "ts")
    tmp = target.with_name(f".{target.name}.tmp")
    new.write_parquet(tmp)
    tmp.replace(target)
    names = sorted(new["metric"].unique().to_list())
    run.update_meta(
        metrics={"file": f"sources/{METRICS_FILE}", "metrics": names, "attached_at": iso(utcnow())}
    )
    return target


def load_attached_metrics(run_dir: str | Path | RunDir) -> pl.LazyFrame:
    """The metric points attached to a run; SourceError when none yet."""
    import polars as pl

    run = _run(run_dir)
    path = run.sources_dir / METRICS_FILE
    if not path.is_file():
        raise SourceError(f"{run.path}: no metrics attached yet")
    return pl.scan_parquet(path)


def attach_spec_metrics(
    run_dir: str | Path | RunDir,
    sources: Sequence[MetricSource],
    *,
    candidate: str | None = None,
    pad_s: float = 5.0,
) -> dict[str, str]:
    """Fetch every ``metrics:`` source of the spec for the run's window into ``sources/metrics.parquet``.

    A Prometheus query may say ``{candidate}``, replaced by the run's candidate name escaped as
    the inside of a PromQL string literal (one query serves every candidate; write it inside
    quotes, ``job="{candidate}"``): a quote or backslash in the name cannot end the string. Each point gets a ``candidate`` dimension and the source's ``unit``.
    Returns ``{source name: "ok" | the error}``; a source that cannot be reached is recorded in
    run.json (``metrics_errors``), never fatal: the samples are kept and the criteria that need the
    metric are INCONCLUSIVE.
    """
    import polars as pl

    run = _run(run_dir)
    cand = candidate or run.candidate
    start, end = run_window(run)
    lo, hi = start - timedelta(seconds=pad_s), end + timedelta(seconds=pad_s)
    outcome: dict[str, str] = {}
    for src in sources:
        try:
            frame = read_spec_metric(src, cand, start=lo, end=hi)
            frame = frame.with_columns(
                pl.lit(src.name).alias("metric"),
                pl.when(pl.col("unit").is_null())
                .then(pl.lit(src.unit))
                .otherwise(pl.col("unit"))
                .alias("unit"),
                pl.concat_list(
                    pl.col("dimensions"),
                    pl.lit([{"key": "candidate", "value": cand}], dtype=tags_dtype()),
                ).alias("dimensions"),
            )
            attach_metrics(run, frame, name=src.name, pad_s=pad_s)
            outcome[src.name] = "ok"
        except (
            PockitError,
            OSError,
        ) as exc:  # the load has run: a bad source costs its metric only
            outcome[src.name] = str(exc)
    failed = {k: v for k, v in outcome.items() if v != "ok"}
    if failed:
        run.update_meta(metrics_errors=failed)
    return outcome
