"""Reading samples out of run directories into one clean polars frame, with what was dropped.

Latencies that are null, NaN, infinite or negative cannot be real response times; they are dropped
and counted (never silently), and the count becomes a warning in every result built on them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from pockit._errors import InputError
from pockit._rundir import RunDir, open_runs
from pockit.analysis._arrays import SampleArrays

RunLike = RunDir | str | Path

#: Columns the analysis reads; others stay on disk (projection pushdown keeps scans fast).
ANALYSIS_COLUMNS = ("t_start", "latency_ms", "name", "ok", "t_intended")


@dataclass(frozen=True)
class RunInfo:
    """What the analysis needs from one run.json: identity, candidate, window, repeat."""

    id: str
    candidate: str
    start: Any  # datetime
    end: Any  # datetime | None
    status: str
    repeat: int | None
    path: Path
    events: tuple[dict[str, Any], ...] = ()

    @property
    def duration_s(self) -> float | None:
        if self.end is None:
            return None
        return float((self.end - self.start).total_seconds())


@dataclass
class Samples:
    """Clean samples of some runs (``frame``), the runs, and how many rows were dropped and why."""

    frame: pl.DataFrame
    runs: list[RunInfo]
    dropped: dict[str, int] = field(default_factory=dict)
    _arrays: SampleArrays | None = field(default=None, init=False, repr=False, compare=False)

    def arrays(self) -> SampleArrays:
        """numpy arrays derived from ``frame``, kept so ``run_stats`` and ``timeline`` share them."""
        if self._arrays is None or self._arrays.frame is not self.frame:
            self._arrays = SampleArrays(self.frame)
        return self._arrays

    @property
    def warnings(self) -> list[str]:
        out = []
        bad = {k: v for k, v in self.dropped.items() if v}
        if bad:
            what = ", ".join(f"{v} {k}" for k, v in bad.items())
            out.append(f"dropped {sum(bad.values())} sample(s) with unusable latency ({what})")
        return out


def as_runs(runs: RunLike | Iterable[RunLike]) -> list[RunDir]:
    """Accept one run, a path, a folder of runs, or a list of any of these."""
    if isinstance(runs, RunDir):
        return [runs]
    if isinstance(runs, str | Path):
        return open_runs([runs])
    out: list[RunDir] = []
    for r in runs:
        out.extend([r] if isinstance(r, RunDir) else open_runs([r]))
    return out


def run_info(run: RunDir) -> RunInfo:
    """The run's checked run.json (InputError names a malformed field) and its events."""
    rec = run.record
    return RunInfo(
        id=rec.id,
        candidate=rec.candidate,
        start=rec.start,
        end=rec.end,
        status=rec.status.value,
        repeat=rec.repeat,
        path=run.path,
        events=tuple(run.events()),
    )


def scan_runs(runs: Sequence[RunDir], columns: Sequence[str] = ANALYSIS_COLUMNS) -> pl.LazyFrame:
    """All runs' samples as one LazyFrame with ``run_id`` and ``candidate`` (Enum) columns added."""
    ids = [r.id for r in runs]
    cands = sorted({r.candidate for r in runs})
    run_enum = pl.Enum(list(dict.fromkeys(ids)))
    cand_enum = pl.Enum(cands)
    parts = []
    for run in runs:
        lf = run.scan_samples()
        names = lf.collect_schema().names()
        exprs: list[pl.Expr] = []
        for col in columns:
            if col in names:
                exprs.append(pl.col(col))
            elif col == "t_intended":
                exprs.append(pl.lit(None, dtype=pl.Datetime("ns", "UTC")).alias(col))
            elif col == "ok":
                exprs.append(pl.lit(True).alias(col))
            else:
                raise InputError(
                    f"{run.samples_dir}: samples lack column {col!r}; expected the sample schema "
                    "of DESIGN contract 1 (t_start, latency_ms, name, ok, ...)"
                )
        lf = lf.select(exprs).with_columns(
            pl.col("t_start").cast(pl.Datetime("ns", "UTC")),
            pl.col("latency_ms").cast(pl.Float64),
            pl.col("name").cast(pl.Categorical),
            pl.col("ok").cast(pl.Boolean).fill_null(False),
            pl.col("t_intended").cast(pl.Datetime("ns", "UTC")),
            pl.lit(run.id, dtype=run_enum).alias("run_id"),
            pl.lit(run.candidate, dtype=cand_enum).alias("candidate"),
        )
        parts.append(lf)
    if not parts:
        raise InputError("no run directories given; pass at least one runs/<run-id>/ folder")
    return pl.concat(parts, how="vertical")


def load_samples(runs: RunLike | Iterable[RunLike]) -> Samples:
    """Read and clean the samples of ``runs`` (see module docstring for what is dropped)."""
    rundirs = as_runs(runs)
    if not rundirs:
        raise InputError("no run directories given; pass at least one runs/<run-id>/ folder")
    infos = [run_info(r) for r in rundirs]
    try:
        raw = scan_runs(rundirs).collect()
    except (pl.exceptions.PolarsError, OSError) as exc:
        where = ", ".join(str(r.samples_dir) for r in rundirs[:3])
        raise InputError(f"{where}: cannot read samples ({exc})") from None
    return clean(raw, infos)


def clean(raw: pl.DataFrame, infos: list[RunInfo]) -> Samples:
    """Drop unusable latencies and count them by reason."""
    lat = pl.col("latency_ms")
    counts = raw.select(
        null=lat.is_null().sum(),
        nan=lat.is_nan().sum(),
        infinite=lat.is_infinite().sum(),
        negative=(lat < 0).sum(),
    ).row(0, named=True)
    dropped = {k: int(v or 0) for k, v in counts.items()}
    frame = raw
    if any(dropped.values()):
        frame = raw.filter(lat.is_not_null() & lat.is_finite() & (lat >= 0))
    return Samples(frame=frame, runs=infos, dropped=dropped)


def run_duration_s(info: RunInfo, frame: pl.DataFrame | None = None) -> float:
    """Run length from run.json; when ``end`` is missing (a crash), the span of its samples."""
    dur = info.duration_s
    if dur is not None and dur > 0:
        return dur
    if frame is not None and frame.height:
        sub = frame.filter(pl.col("run_id") == info.id)
        if sub.height >= 2:
            span = sub.select(
                (pl.col("t_start").max() - pl.col("t_start").min()).dt.total_nanoseconds()
            )
            value = span.item()
            return float(value) / 1e9 if value else math.nan
    return math.nan
