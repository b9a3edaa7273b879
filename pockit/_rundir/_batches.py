"""Finding a folder's sample batches and converting its compact ones (standard library here;
pyarrow only once there is a compact batch to convert, in :mod:`._compact`)."""

from __future__ import annotations

import os
from pathlib import Path

from pockit._contract import COMPACT_SUFFIX


def convert_pending(
    folder: Path, problems: list[str] | None = None, *, deep: bool = True
) -> list[Path]:
    """Turn every compact batch in ``folder`` (and its sub-folders, when ``deep``) into its Parquet
    batch (:mod:`._compact`; outside ``folder`` when it cannot be written); returns the Parquet
    batches made. One that cannot be converted raises InputError naming it, or, given
    ``problems``, is named there and left in place."""
    try:
        if deep:
            found = [p for p in folder.rglob(f"*{COMPACT_SUFFIX}") if not p.name.startswith(".")]
        else:  # one scandir: the parent does this every second of a run
            with os.scandir(folder) as entries:
                found = [
                    Path(e.path)
                    for e in entries
                    if e.name.endswith(COMPACT_SUFFIX) and not e.name.startswith(".")
                ]
    except FileNotFoundError:
        return []
    if not found:
        return []
    from pockit._rundir._compact import convert_batches

    return convert_batches(sorted(found), problems)


def settle_batches(folder: Path, problems: list[str] | None = None) -> list[Path]:
    """The Parquet batches under ``folder`` (dot-named partial files never), after converting the
    compact ones there (see :func:`convert_pending` for ``problems``)."""
    if not folder.is_dir():
        return []
    made = convert_pending(folder, problems)
    here = {p for p in folder.rglob("*.parquet") if not p.name.startswith(".")}
    elsewhere = {p for p in made if folder not in p.parents}  # a read-only folder's, cached
    if not elsewhere:
        return sorted(here)
    return sorted(here | elsewhere, key=lambda p: (p.name, str(p)))  # batch order by name
