"""Reading samples out of run directories into one polars frame: every request, none dropped.

Every row is a request and stays one: success and error rates, throughput and the error budget
count them all. A latency that is null, NaN, infinite or negative cannot be a response time, so
:func:`clean` sets it to null and counts it per run and reason: for a failed request that changes
nothing (a failure is judged by the success rate, and a latency criterion counts it as +inf
anyway); a successful request whose latency is unknown is skipped by the latency statistics, which
say how many they skipped and why, and a latency criterion judges it both ways (0 and +inf).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pockit._contract import RunMeta
from pockit._errors import InputError
from pockit._rundir import RunDir, open_runs
from pockit.analysis._arrays import SampleArrays

if TYPE_CHECKING:
    import polars as pl

RunLike = RunDir | str | Path

#: Columns the analysis reads; others stay on disk (projection pushdown keeps scans fast).
ANALYSIS_COLUMNS = ("t_start", "latency_ms", "name", "ok", "t_intended", "status", "retry")
#: Columns a writer may leave out: read as null (status: class unknown; retry: not given).
_OPTIONAL_INT16 = ("status", "retry")


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
    #: the checked run.json (load window, warnings, import notes); None for a hand-made RunInfo
    record: RunMeta | None = None

    @property
    def duration_s(self) -> float | None:
        if self.end is None:
            return None
        return float((self.end - self.start).total_seconds())


#: Why a recorded latency cannot be placed among the others (the keys of the counts below).
LATENCY_PROBLEMS = ("null", "nan", "infinite", "negative")


def count_text(counts: dict[str, int]) -> str:
    """``{"null": 3, "negative": 1}`` -> ``"3 null, 1 negative"`` (zero counts left out)."""
    return ", ".join(f"{v} {k}" for k, v in counts.items() if v)


@dataclass
class Samples:
    """Every request of some runs (``frame``), the runs, and the latencies that could not be used.

    ``skipped`` maps run id -> reason (:data:`LATENCY_PROBLEMS`) -> successful requests whose
    latency is unknown (null in ``frame``); ``failed_without_latency`` maps run id -> failed
    requests with no usable latency. Both are counts of requests that *are* in ``frame``.
    """

    frame: pl.DataFrame
    runs: list[RunInfo]
    skipped: dict[str, dict[str, int]] = field(default_factory=dict)
    failed_without_latency: dict[str, int] = field(default_factory=dict)
    _arrays: SampleArrays | None = field(default=None, init=False, repr=False, compare=False)

    def arrays(self) -> SampleArrays:
        """numpy arrays derived from ``frame``, kept so ``run_stats`` and ``timeline`` share them."""
        if self._arrays is None or self._arrays.frame is not self.frame:
            self._arrays = SampleArrays(self.frame)
        return self._arrays

    def latency_skipped(self, run_ids: Iterable[str] | None = None) -> dict[str, int]:
        """Successful requests whose latency the latency statistics skip, by reason (all runs,
        or those of ``run_ids``)."""
        wanted = None if run_ids is None else set(run_ids)
        out = dict.fromkeys(LATENCY_PROBLEMS, 0)
        for rid, counts in self.skipped.items():
            if wanted is None or rid in wanted:
                for k, v in counts.items():
                    out[k] += v
        return out

    @property
    def warnings(self) -> list[str]:
        out = []
        skipped = self.latency_skipped()
        if sum(skipped.values()):
            out.append(
                f"{sum(skipped.values())} successful request(s) with an unusable latency "
                f"({count_text(skipped)}): counted in the success rate and throughput, skipped by "
                "latency statistics; a latency criterion judges them as both 0 ms and +inf"
            )
        failed = sum(self.failed_without_latency.values())
        if failed:
            out.append(
                f"{failed} failed request(s) without a usable latency: counted as failures "
                "(and as +inf latency by latency criteria)"
            )
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
        record=rec,
    )


def run_enums(runs: Sequence[RunDir]) -> tuple[pl.Enum, pl.Enum]:
    """The ``run_id`` and ``candidate`` column types of ``runs``' samples (given order; sorted)."""
    import polars as pl

    ids = [r.id for r in runs]
    return pl.Enum(list(dict.fromkeys(ids))), pl.Enum(sorted({r.candidate for r in runs}))


def conform(
    lf: pl.LazyFrame,
    run: RunDir,
    enums: tuple[pl.Enum, pl.Enum],
    columns: Sequence[str] = ANALYSIS_COLUMNS,
    *,
    names: Sequence[str] | None = None,
) -> pl.LazyFrame:
    """One run's samples (``lf``, holding the columns ``names``) in the analysis columns and
    types, with ``run_id`` and ``candidate`` (Enum) columns added."""
    import polars as pl

    names = lf.collect_schema().names() if names is None else names
    exprs: list[pl.Expr] = []
    for col in columns:
        if col in names:
            exprs.append(pl.col(col))
        elif col == "t_intended":
            exprs.append(pl.lit(None, dtype=pl.Datetime("ns", "UTC")).alias(col))
        elif col == "ok":
            exprs.append(pl.lit(True).alias(col))
        elif col in _OPTIONAL_INT16:
            exprs.append(pl.lit(None, dtype=pl.Int16).alias(col))
        else:
            raise InputError(
                f"{run.samples_dir}: samples lack column {col!r}; expected the sample schema "
                "of architecture.md contract 1 (t_start, latency_ms, name, ok, ...)"
            )
    casts = {
        "t_start": pl.col("t_start").cast(pl.Datetime("ns", "UTC")),
        "latency_ms": pl.col("latency_ms").cast(pl.Float64),
        "name": pl.col("name").cast(pl.Categorical),
        "ok": pl.col("ok").cast(pl.Boolean).fill_null(False),
        "t_intended": pl.col("t_intended").cast(pl.Datetime("ns", "UTC")),
        **{c: pl.col(c).cast(pl.Int16, strict=False) for c in _OPTIONAL_INT16},
    }
    run_enum, cand_enum = enums
    return lf.select(exprs).with_columns(
        *[casts[c] for c in columns if c in casts],
        pl.lit(run.id, dtype=run_enum).alias("run_id"),
        pl.lit(run.candidate, dtype=cand_enum).alias("candidate"),
    )


def scan_runs(runs: Sequence[RunDir], columns: Sequence[str] = ANALYSIS_COLUMNS) -> pl.LazyFrame:
    """All runs' samples as one LazyFrame with ``run_id`` and ``candidate`` (Enum) columns added."""
    import polars as pl

    enums = run_enums(runs)
    parts = [conform(run.scan_samples(), run, enums, columns) for run in runs]
    if not parts:
        raise InputError("no run directories given; pass at least one runs/<run-id>/ folder")
    return pl.concat(parts, how="vertical")


def load_samples(runs: RunLike | Iterable[RunLike]) -> Samples:
    """Read and clean the samples of ``runs`` (see module docstring for what is dropped)."""
    import polars as pl

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
    """Keep every request; null each unusable latency and count it per run, outcome and reason."""
    import polars as pl

    lat = pl.col("latency_ms")
    bad = lat.is_null() | lat.is_nan() | lat.is_infinite() | (lat < 0)
    if not raw.height or not raw.select(bad.any()).item():
        return Samples(frame=raw, runs=infos)
    reason = (
        pl.when(lat.is_null())
        .then(pl.lit("null"))
        .when(lat.is_nan())
        .then(pl.lit("nan"))
        .when(lat.is_infinite())
        .then(pl.lit("infinite"))
        .otherwise(pl.lit("negative"))
    )
    counts = (
        raw.filter(bad)
        .group_by(pl.col("run_id").cast(pl.String), "ok", reason.alias("reason"))
        .len()
    )
    skipped: dict[str, dict[str, int]] = {}
    failed: dict[str, int] = {}
    for rid, ok, why, n in counts.iter_rows():
        if ok:
            skipped.setdefault(str(rid), dict.fromkeys(LATENCY_PROBLEMS, 0))[str(why)] += int(n)
        else:
            failed[str(rid)] = failed.get(str(rid), 0) + int(n)
    frame = raw.with_columns(pl.when(bad).then(None).otherwise(lat).alias("latency_ms"))
    return Samples(frame=frame, runs=infos, skipped=skipped, failed_without_latency=failed)


def run_duration_s(info: RunInfo, frame: pl.DataFrame | None = None) -> float:
    """Run length from run.json; when ``end`` is missing (a crash), the span of its samples."""
    import polars as pl

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
