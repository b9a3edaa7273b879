"""The run directory (architecture.md contract 1): written by ``load`` and ``import``, read by everyone else.

::

    runs/<run-id>/
      run.json            id, candidate, start, end (ISO-8601 UTC), status, ... (RunField, RunMeta)
      samples/*.parquet   one row per request, SAMPLE_SCHEMA (*.pkbatch: compact batches the
                          capture wrote, turned into Parquet by the parent or the first reader)
      events.jsonl        phase markers and faults, each {"ts": ISO, "kind": EventKind, ...}
      locust/             Locust's own CSV output
      sources/            billing.parquet, metrics.parquet once fetched

A directory another tool wrote with just the required fields and the sample schema reads the same.
The names of events and run.json fields live in :mod:`pockit._contract`.

Importing this module does not import pyarrow (the capture plugin records events through
:class:`RunDir` inside Locust): SAMPLE_SCHEMA loads from :mod:`._schema` on first use, and the
compact batches' conversion (:mod:`._compact`) only when there is one to convert.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pockit._contract import (
    EVENT_KIND,
    EVENT_TS,
    EVENTS_FILE,
    LOCUST_DIR,
    REQUIRED_FIELDS,
    RUN_JSON,
    RUN_KEYS,
    SAMPLES_DIR,
    SCHEMA_VERSION,
    SOURCES_DIR,
    EventKind,
    RunField,
    RunMeta,
    RunStatus,
    check_event,
    iso,
    parse_iso,
)
from pockit._errors import InputError
from pockit._rundir._batches import convert_pending, settle_batches

if TYPE_CHECKING:
    import polars as pl

    from pockit._rundir._schema import SAMPLE_COLUMNS, SAMPLE_SCHEMA

__all__ = [
    "EVENTS_FILE",
    "LOCUST_DIR",
    "REQUIRED_FIELDS",
    "RUN_JSON",
    "SAMPLES_DIR",
    "SAMPLE_COLUMNS",
    "SAMPLE_SCHEMA",
    "SOURCES_DIR",
    "STATUSES",
    "RunDir",
    "convert_pending",
    "iso",
    "new_run_id",
    "open_runs",
    "parse_iso",
    "settle_batches",
    "utcnow",
    "write_json_atomic",
]

STATUSES = tuple(s.value for s in RunStatus)


def __getattr__(name: str) -> Any:
    """SAMPLE_SCHEMA and SAMPLE_COLUMNS, from :mod:`._schema` on first use (pyarrow with them)."""
    if name in ("SAMPLE_SCHEMA", "SAMPLE_COLUMNS"):
        from pockit._rundir import _schema

        return getattr(_schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_run_id(candidate: str, when: datetime | None = None, repeat: int | None = None) -> str:
    """``20261126T062843Z-async-r0-3f9a``: sortable by time, readable, unique."""
    stamp = (when or utcnow()).strftime("%Y%m%dT%H%M%SZ")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", candidate).strip("-") or "run"
    rep = f"-r{repeat}" if repeat is not None else ""
    return f"{stamp}-{slug}{rep}-{secrets.token_hex(2)}"


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON through a temporary file and rename, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    os.replace(tmp, path)


@dataclass(frozen=True)
class RunDir:
    """A run directory on disk. ``RunDir.open(path)`` checks it; ``RunDir.create`` makes a new one."""

    path: Path

    @classmethod
    def create(cls, runs_dir: str | Path, meta: dict[str, Any]) -> RunDir:
        """Make ``runs_dir/<id>/`` with its sub-folders and a run.json with status ``running``.

        ``meta``'s keys are RunField names; ``schema`` is this contract's version.
        """
        unknown = sorted(str(k) for k in meta if k not in RUN_KEYS)
        if unknown:
            raise ValueError(f"run.json keys {unknown} are not in pockit._contract.RunField")
        run_id = str(
            meta.get(RunField.ID)
            or new_run_id(
                str(meta.get(RunField.CANDIDATE, "run")), repeat=meta.get(RunField.REPEAT)
            )
        )
        path = Path(runs_dir) / run_id
        for sub in (SAMPLES_DIR, LOCUST_DIR, SOURCES_DIR):
            (path / sub).mkdir(parents=True, exist_ok=True)
        run = cls(path)
        start = meta.get(RunField.START) or iso(utcnow())
        run.write_meta(
            {
                RunField.SCHEMA: SCHEMA_VERSION,
                RunField.STATUS: RunStatus.RUNNING,
                RunField.END: None,
                **meta,
                RunField.ID: run_id,
                RunField.START: start,
            }
        )
        return run

    @classmethod
    def open(cls, path: str | Path) -> RunDir:
        """Open and check a run directory; InputError says which field or file is missing."""
        p = Path(path)
        if not p.is_dir():
            raise InputError(f"{p}: not a run directory (no such folder)")
        if not (p / RUN_JSON).is_file():
            raise InputError(
                f"{p}: not a run directory (no {RUN_JSON}); expected the run-directory layout "
                "(README 'The run directory', docs/architecture.md contract 1)"
            )
        run = cls(p)
        run.record  # noqa: B018 - checks every field readers rely on (InputError names the field)
        return run

    # -- metadata -------------------------------------------------------------------------
    @property
    def meta(self) -> dict[str, Any]:
        try:
            data = json.loads((self.path / RUN_JSON).read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{self.path / RUN_JSON}: not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise InputError(f"{self.path / RUN_JSON}: expected a JSON object")
        return data

    @property
    def record(self) -> RunMeta:
        """run.json checked and typed (InputError names the file and the malformed field)."""
        return RunMeta.from_dict(self.meta, self.path / RUN_JSON)

    def write_meta(self, meta: dict[str, Any]) -> None:
        write_json_atomic(self.path / RUN_JSON, {str(k): v for k, v in meta.items()})

    def update_meta(self, **changes: Any) -> dict[str, Any]:
        """Change run.json's fields (keyword names are RunField values); returns the new run.json."""
        unknown = sorted(k for k in changes if k not in RUN_KEYS)
        if unknown:
            raise ValueError(f"run.json keys {unknown} are not in pockit._contract.RunField")
        meta = {**self.meta, **changes}
        self.write_meta(meta)
        return meta

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def candidate(self) -> str:
        return self.record.candidate

    @property
    def status(self) -> str:
        return self.record.status.value

    @property
    def start(self) -> datetime:
        return self.record.start

    @property
    def end(self) -> datetime | None:
        return self.record.end

    # -- samples --------------------------------------------------------------------------
    @property
    def samples_dir(self) -> Path:
        return self.path / SAMPLES_DIR

    def sample_files(self, problems: list[str] | None = None) -> list[Path]:
        """Complete Parquet batches (files still being written start with a dot and are skipped),
        compact ones converted first (see :func:`settle_batches` for ``problems``)."""
        return settle_batches(self.samples_dir, problems)

    def scan_samples(self) -> pl.LazyFrame:
        """All samples as a polars LazyFrame with SAMPLE_SCHEMA's columns (empty when none)."""
        import polars as pl

        files = self.sample_files()
        if not files:
            from pockit._rundir._schema import SAMPLE_SCHEMA

            return pl.LazyFrame(pl.from_arrow(SAMPLE_SCHEMA.empty_table()))  # type: ignore[arg-type]
        try:
            lf = pl.scan_parquet(
                [str(f) for f in files], missing_columns="insert", extra_columns="ignore"
            )
        except TypeError:  # older polars without the schema-evolution keywords
            lf = pl.scan_parquet([str(f) for f in files])
        return lf

    def read_samples(self) -> pl.DataFrame:
        """All samples in memory, checked against the schema (InputError names what is wrong)."""
        import polars as pl

        try:
            df = self.scan_samples().collect()
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise InputError(f"{self.samples_dir}: cannot read samples ({exc})") from None
        missing = [c for c in ("t_start", "latency_ms", "name", "ok") if c not in df.columns]
        if missing:
            raise InputError(f"{self.samples_dir}: samples lack column(s) {', '.join(missing)}")
        return df

    # -- events ---------------------------------------------------------------------------
    @property
    def events_path(self) -> Path:
        return self.path / EVENTS_FILE

    def add_event(self, kind: EventKind, ts: datetime | None = None, **fields: Any) -> None:
        """Append one event (phase marker, fault start/end, worker lost) to events.jsonl.

        ``kind`` and ``fields`` must be as pockit._contract declares them (ValueError otherwise).
        """
        member = check_event(kind, fields)
        record = {EVENT_TS: iso(ts or utcnow()), EVENT_KIND: member.value, **fields}
        with self.events_path.open("a") as fh:
            fh.write(json.dumps(record, default=str) + "\n")

    def events(self) -> list[dict[str, Any]]:
        """The events in order; a line that is no JSON object (a truncated last line after a crash
        mid-write, a hand edit) is skipped, not fatal, and counted in :meth:`unreadable_events`."""
        return self._read_events()[0]

    def unreadable_events(self) -> int:
        """How many lines of events.jsonl :meth:`events` skipped (not a JSON object)."""
        return self._read_events()[1]

    def _read_events(self) -> tuple[list[dict[str, Any]], int]:
        if not self.events_path.is_file():
            return [], 0
        out: list[dict[str, Any]] = []
        bad = 0
        text = self.events_path.read_text(encoding="utf-8", errors="replace")
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                event = None
            if isinstance(event, dict):
                out.append(event)
            else:
                bad += 1
        return out, bad

    @property
    def sources_dir(self) -> Path:
        return self.path / SOURCES_DIR

    @property
    def locust_dir(self) -> Path:
        return self.path / LOCUST_DIR


#: How many folder levels below a given folder ``open_runs`` searches for run directories
#: (``runs/`` → ``demo-<stamp>/`` → ``runs/`` → ``<run-id>/`` is 3).
RUN_SEARCH_DEPTH = 4


def find_runs(folder: Path, *, depth: int = RUN_SEARCH_DEPTH) -> tuple[list[Path], list[str]]:
    """Run directories at any depth (up to ``depth`` levels) below ``folder``, and what was skipped.

    A run directory is not searched further; symbolic links are not followed (a link could lead
    out of the folder, or round in a loop); hidden folders (``.ipynb_checkpoints``) are not
    searched. Each skipped folder that might have held runs is named with the reason.
    """
    found: list[Path] = []
    skipped: list[str] = []

    def walk(here: Path, level: int) -> None:
        try:
            children = sorted(here.iterdir())
        except OSError as exc:
            skipped.append(f"{here}: cannot be listed ({exc.strerror or exc})")
            return
        for child in children:
            if child.is_symlink():
                if child.is_dir():
                    skipped.append(f"{child}: a symbolic link, not followed")
                continue
            if not child.is_dir():
                continue
            if (child / RUN_JSON).is_file():
                found.append(child)
            elif child.name.startswith("."):
                continue
            elif level >= depth:
                if any(c.is_dir() for c in child.iterdir()):
                    skipped.append(
                        f"{child}: more than {depth} levels below {folder}, not searched "
                        "(give it as its own argument)"
                    )
            else:
                walk(child, level + 1)

    walk(folder, 1)
    return found, skipped


def open_runs(
    paths: Iterator[str | Path] | list[str | Path] | tuple[str | Path, ...],
    *,
    skipped: list[str] | None = None,
) -> list[RunDir]:
    """Open run directories; a folder that holds run directories (not one itself) is searched.

    Run directories are found at any depth up to :data:`RUN_SEARCH_DEPTH` below the folder (see
    :func:`find_runs`). Folders that were not searched are appended to ``skipped`` with the
    reason, or, without that list, reported as a :class:`UserWarning` (shown in a notebook).
    """
    runs: list[RunDir] = []
    notes: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir() and not (p / RUN_JSON).exists():
            children, passed_over = find_runs(p)
            notes.extend(passed_over)
            if not children:
                why = f"; skipped: {'; '.join(passed_over)}" if passed_over else ""
                raise InputError(
                    f"{p}: neither a run directory nor a folder of run directories "
                    f"(searched {RUN_SEARCH_DEPTH} levels down){why}"
                )
            runs.extend(RunDir.open(c) for c in children)
        else:
            runs.append(RunDir.open(p))
    if skipped is not None:
        skipped.extend(notes)
    elif notes:
        import warnings

        warnings.warn("folders not searched for run directories: " + "; ".join(notes), stacklevel=2)
    return runs
