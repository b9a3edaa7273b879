"""``pockit import``: read a results file through its registered format into one completed run directory.

Every import writes one completed run (architecture.md contract 1) whose run.json says where it came
from: the file, its format and compression, the zone local-time stamps were read in, the
Transaction Controller samples kept apart and, with ``skip_bad_rows``, the rows skipped by reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pockit.load._import.builtin  # noqa: F401  (registers the formats read here)
from pockit._contract import RunField, RunStatus, StopCode
from pockit._errors import InputError, UsageError
from pockit.load._import.registry import IMPORTERS
from pockit.load._import.rows import ImportOptions, Rows, Skips
from pockit.load._import.sniff import sniff_format
from pockit.load._import.text import first_line
from pockit.load._import.values import resolve_zone

# run.json fields an import writes: defined in the run-directory contract (pockit._contract).
IMPORTED_FROM = RunField.IMPORTED_FROM
IMPORT_FORMAT = RunField.IMPORT_FORMAT
IMPORT_COMPRESSION = RunField.IMPORT_COMPRESSION
IMPORT_SKIPPED_ROWS = RunField.IMPORT_SKIPPED_ROWS
IMPORT_TRANSACTIONS = RunField.IMPORT_TRANSACTIONS
IMPORT_TIMEZONE = RunField.IMPORT_TIMEZONE
RUN_WARNINGS = RunField.WARNINGS


def _table(rows: Rows) -> Any:
    import pyarrow as pa

    from pockit._rundir import SAMPLE_SCHEMA

    n = len(rows)
    return pa.table(
        {
            "t_start": pa.array(rows.t_ns, pa.int64()).cast(pa.timestamp("ns", tz="UTC")),
            "latency_ms": pa.array(rows.latency_ms, pa.float64()),
            "name": pa.array(rows.name, pa.string()).dictionary_encode(),
            "method": pa.array(rows.method, pa.string()).dictionary_encode(),
            "status": pa.array(rows.status, pa.int16()),
            "ok": pa.array(rows.ok, pa.bool_()),
            "bytes": pa.array(rows.bytes, pa.int64()),
            "error": pa.array(rows.error, pa.string()).dictionary_encode(),
            "worker": pa.array(rows.worker, pa.int16()),
            "t_intended": pa.nulls(n, pa.timestamp("ns", tz="UTC")),
            "retry": pa.nulls(n, pa.int16()),
        }
    ).cast(SAMPLE_SCHEMA)


def _choose_format(src: Path, given: str | None) -> str:
    if given is None:
        return sniff_format(src)
    importer = IMPORTERS.get(given)
    if importer is None:
        raise UsageError(f"unknown import format {given!r}; one of {', '.join(IMPORTERS.names())}")
    if importer.layout is not None:  # one name for several layouts (jmeter: CSV or XML)
        first, _ = first_line(src)
        return importer.layout(first)
    return given


def import_runs(
    path: str | Path,
    *,
    format: str | None = None,
    candidate: str,
    runs_dir: str | Path = "runs",
    timezone: str | None = None,
    transactions: bool = False,
    skip_bad_rows: bool = False,
) -> list[Path]:
    """Read ``path`` (``format`` or sniffed) into a new run directory under ``runs_dir``.

    ``timezone`` is the zone of local-time JTL stamps (default: this machine's);
    ``transactions`` decides on JMeter Transaction Controller samples instead of requests;
    ``skip_bad_rows`` counts unreadable rows in run.json instead of failing on the first.

    >>> import_runs("results.jtl", candidate="legacy")   # doctest: +SKIP
    [PosixPath('runs/20261126T060000Z-legacy-3f9a')]
    """
    import pyarrow.parquet as pq

    from pockit import __version__
    from pockit._rundir import RunDir, iso, new_run_id

    src = Path(path)
    if not src.is_file():
        raise InputError(f"{src}: no such file to import")
    if not candidate:
        raise UsageError("--candidate is required: which system under test produced these results")
    if timezone is not None:
        resolve_zone(timezone)  # a bad --timezone is a usage error before any reading
    fmt = _choose_format(src, format)
    importer = IMPORTERS[fmt]
    if transactions and not importer.transactions:
        raise UsageError(
            f"--transactions: only JMeter JTL files have Transaction Controller samples, not {fmt}"
        )
    _, gz = first_line(src)
    skips = Skips(src, skip_bad_rows)
    opts = ImportOptions(
        format=fmt, timezone=timezone, transactions=transactions, skip_bad_rows=skip_bad_rows
    )
    parsed = importer.read(src, opts, skips)
    kept, apart = (
        (parsed.transactions, parsed.requests)
        if transactions
        else (parsed.requests, parsed.transactions)
    )
    if transactions and not len(kept):
        raise InputError(
            f"{src}: no Transaction Controller samples in this JTL; import it without --transactions"
        )
    if not len(kept):
        if len(apart):
            raise InputError(
                f"{src}: only Transaction Controller samples ({len(apart)}), no HTTP samples: "
                "JMeter's CSV with 'Generate parent sample' keeps only the parents; import them "
                "with --transactions, or save XML to keep the requests"
            )
        skipped = f" ({skips.count} unreadable row(s) skipped)" if skips.count else ""
        raise InputError(f"{src}: no requests found in this {fmt} file{skipped}; nothing imported")
    n = len(kept)
    t_min = min(kept.t_ns)
    t_max = max(
        t + int((lat or 0.0) * 1e6) for t, lat in zip(kept.t_ns, kept.latency_ms, strict=True)
    )
    start = datetime.fromtimestamp(t_min / 1e9, UTC)
    end = datetime.fromtimestamp(t_max / 1e9, UTC)
    meta: dict[str, Any] = {
        RunField.ID: new_run_id(candidate, when=start),
        RunField.CANDIDATE: candidate,
        RunField.START: iso(start),
        RunField.END: iso(end),
        RunField.STATUS: RunStatus.RUNNING,
        IMPORTED_FROM: str(src.resolve()),
        IMPORT_FORMAT: fmt,
        RunField.STOP_REASON: f"imported from {fmt}",
        RunField.STOP_CODE: StopCode.IMPORTED,
        RunField.VERSIONS: {"pockit": __version__},
    }
    warnings = list(parsed.warnings)
    if gz:
        meta[IMPORT_COMPRESSION] = "gzip"
    if parsed.timezone:
        meta[IMPORT_TIMEZONE] = parsed.timezone
    if importer.transactions:
        meta[IMPORT_TRANSACTIONS] = {
            "decided_on": "transactions" if transactions else "requests",
            "requests": len(parsed.requests),
            "transactions": len(parsed.transactions),
        }
    if skip_bad_rows:
        meta[IMPORT_SKIPPED_ROWS] = skips.to_dict()
        if skips.count:
            reasons = "; ".join(f"{r} ({c})" for r, c in skips.reasons.most_common(5))
            warnings.append(
                f"import skipped {skips.count} unreadable row(s) of {src.name} "
                f"(--skip-bad-rows): {reasons}"
            )
    if warnings:
        meta[RUN_WARNINGS] = warnings
    run = RunDir.create(runs_dir, meta)
    pq.write_table(_table(kept), run.samples_dir / "import-00000.parquet")
    run.update_meta(status=RunStatus.COMPLETED, requests=n)
    return [run.path]
