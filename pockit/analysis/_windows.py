"""Reading a time window of a run's samples without reading the run: Parquet row groups by time.

Figures local in time (a timeline bucket, the seconds after a fault, the first requests after an
idle gap) need only the rows of their window. :class:`RowGroupIndex` knows each row group's range
of ``t_start`` from the Parquet footers (statistics; a group without them has its ``t_start``
column read once), so :meth:`RowGroupIndex.frames` reads only the groups that overlap a window
and keeps only its rows, as frames of at most about :data:`WINDOW_ROWS` rows, each holding whole
buckets, in time order. The frames are what :func:`pockit.analysis._samples.load_samples` would
hold for those rows (same columns, types and clean-up), so the in-memory code computes on them.
Samples are written in time order, so each group is read about once over a whole run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pockit._errors import InputError
from pockit._rundir import RunDir
from pockit.analysis._samples import ANALYSIS_COLUMNS, clean, conform, run_enums, run_info

if TYPE_CHECKING:
    from pockit.analysis._samples import RunInfo

#: Rows a window frame holds at most, about (the run's mean rate sets the window's length).
WINDOW_ROWS = 1_000_000
#: Rows of the first window (the next ones double).
FIRST_ROWS = 50_000
_UNIT_NS = {"MILLIS": 1_000_000, "MICROS": 1_000, "NANOS": 1}


@dataclass(frozen=True)
class _Group:
    path: Path
    index: int
    lo: int  # min t_start, ns
    hi: int  # max t_start, ns
    rows: int


def _unit_ns(pf: pq.ParquetFile, col: int) -> int | None:
    """Nanoseconds per stored unit of ``t_start`` (None when the footer does not say)."""
    try:
        logical = json.loads(pf.metadata.schema.column(col).logical_type.to_json())
    except (ValueError, AttributeError):
        return None
    unit = str(logical.get("timeUnit", "")).upper()
    return next((v for k, v in _UNIT_NS.items() if unit.startswith(k)), None)


def _ns(col: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """``t_start`` as int64 nanoseconds (nulls as the smallest int64: before any window)."""
    col = pc.cast(col, pa.timestamp("ns", tz="UTC"))
    ints = pc.fill_null(pc.cast(col, pa.int64()), np.iinfo(np.int64).min)
    return np.asarray(ints.to_numpy(zero_copy_only=False), dtype=np.int64)


def _groups(run: RunDir) -> list[_Group]:
    out = []
    for path in run.sample_files():
        try:
            pf = pq.ParquetFile(path)
            if "t_start" not in pf.schema_arrow.names:
                raise InputError(f"{path}: samples lack column 't_start' (contract 1)")
            col = pf.schema_arrow.names.index("t_start")
            unit = _unit_ns(pf, col)
            for i in range(pf.num_row_groups):
                meta = pf.metadata.row_group(i)
                stats = meta.column(col).statistics
                if stats is not None and stats.has_min_max and unit is not None:
                    lo, hi = int(stats.min_raw) * unit, int(stats.max_raw) * unit
                else:  # no statistics: read the column once
                    ts = _ns(pf.read_row_group(i, columns=["t_start"]).column(0))
                    ts = ts[ts != np.iinfo(np.int64).min]
                    lo, hi = (int(ts.min()), int(ts.max())) if ts.size else (0, -1)
                out.append(_Group(path, i, lo, hi, meta.num_rows))
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"{path}: cannot read samples ({exc})") from None
    return out


class RowGroupIndex:
    """Each run's row groups with their ``t_start`` range (see the module docstring)."""

    def __init__(self, rundirs: Sequence[RunDir], infos: Sequence[RunInfo] | None = None) -> None:
        self.rundirs = list(rundirs)
        self.infos = list(infos) if infos is not None else [run_info(r) for r in self.rundirs]
        self.enums = run_enums(self.rundirs)
        self.groups = [_groups(r) for r in self.rundirs]

    def span(self, run: int) -> tuple[int, int] | None:
        """The run's first and last ``t_start`` (ns), None without samples."""
        got = [g for g in self.groups[run] if g.hi >= g.lo]
        return (min(g.lo for g in got), max(g.hi for g in got)) if got else None

    def read(self, run: int, lo: int, hi: int) -> pl.DataFrame:
        """Run ``run``'s samples with ``lo <= t_start < hi`` (ns), in file order, clean."""
        tables = []
        for g in self.groups[run]:
            if g.hi < lo or g.lo >= hi or g.hi < g.lo:
                continue
            pf = pq.ParquetFile(g.path)
            have = [c for c in ANALYSIS_COLUMNS if c in pf.schema_arrow.names]
            try:
                table = pf.read_row_group(g.index, columns=have)
            except (OSError, pa.ArrowException) as exc:
                raise InputError(f"{g.path}: cannot read samples ({exc})") from None
            ts = _ns(table.column("t_start"))
            keep = (ts >= lo) & (ts < hi)
            if keep.any():
                tables.append(_frame(table.filter(pa.array(keep))))
        run_dir = self.rundirs[run]
        if tables:
            raw = pl.concat(tables, how="diagonal_relaxed").lazy()
        else:
            raw = _frame(pf_empty(run_dir)).lazy()
        frame = conform(raw, run_dir, self.enums).collect()
        return clean(frame, [self.infos[run]]).frame

    def frames(
        self, run: int, start: int, end: int | None, align: int, rows: int = WINDOW_ROWS
    ) -> Iterator[pl.DataFrame]:
        """Run ``run``'s samples with ``start <= t_start < end`` (ns; ``end`` None: all after
        ``start``) as non-empty frames of whole ``align``-ns buckets counted from ``start``."""
        span = self.span(run)
        if span is None:
            return
        stop = span[1] + 1 if end is None else min(end, span[1] + 1)
        first = max(start, span[0] - (span[0] - start) % align) if span[0] > start else start
        total = sum(g.rows for g in self.groups[run])
        per_ns = total / max(1, span[1] - span[0] + 1)

        def length(count: int) -> int:  # whole buckets holding about ``count`` rows
            return max(align, int(count / per_ns) // align * align) if per_ns > 0 else align

        # the first windows are short (a recovery or a cold start is often read off its first
        # seconds), then they double up to ``rows``
        step, top = length(min(rows, FIRST_ROWS)), length(rows)
        lo = first
        while lo < stop:
            hi = min(lo + step, stop)
            frame = self.read(run, lo, hi)
            if frame.height:
                yield frame
            lo, step = hi, min(top, step * 2)


def _frame(table: pa.Table) -> pl.DataFrame:
    got = pl.from_arrow(table)
    assert isinstance(got, pl.DataFrame)
    return got


def pf_empty(run: RunDir) -> pa.Table:
    """An empty table with the columns of ``run``'s first samples file (all analysis columns
    when it has none), for an empty window."""
    files = run.sample_files()
    if files:
        schema = pq.ParquetFile(files[0]).schema_arrow
        return schema.empty_table().select([c for c in ANALYSIS_COLUMNS if c in schema.names])
    from pockit._rundir import SAMPLE_SCHEMA

    return SAMPLE_SCHEMA.empty_table().select(list(ANALYSIS_COLUMNS))
