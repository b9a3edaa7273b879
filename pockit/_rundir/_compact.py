"""Compact batches into Parquet: the step between the Locust process and every reader.

The capture writes ``samples/*.pkbatch`` (:mod:`pockit._contract`, standard library only, so no
Locust process carries pyarrow). The ``pockit run`` process converts each one as it appears; a
reader of a run whose parent died first converts what is left. A conversion writes the Parquet
batch of the same stem under a dot-name, renames it, then removes the compact file: a reader sees
one whole file or the other, and two processes converting the same batch write the same bytes.

A run directory the reader cannot write (an archive mounted read-only, another user's folder) is
read all the same: its compact batches are converted into a cache outside it
(``$TMPDIR/pockit-readonly/``, keyed by each batch's path, size and modification time), and the
compact files stay where they are.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pockit._contract import NO_RETRY, PARQUET_SUFFIX, CompactBatch, decode_batch
from pockit._errors import InputError
from pockit._rundir._schema import SAMPLE_SCHEMA

_STAMP = pa.timestamp("ns", tz="UTC")


def batch_table(batch: CompactBatch) -> pa.Table:
    """A decoded batch as an Arrow table in SAMPLE_SCHEMA (numeric columns wrapped, not copied)."""
    n = batch.rows

    def wrap(values: array[Any], type_: pa.DataType) -> pa.Array:
        return pa.Array.from_buffers(type_, n, [None, pa.py_buffer(values)])

    def nulls_at(values: pa.Array, marker: int) -> pa.Array:
        return pc.if_else(pc.equal(values, marker), pa.scalar(None, values.type), values)

    def stamps(column: str) -> pa.Array:
        if column not in batch.numbers:
            return pa.nulls(n, _STAMP)
        seconds = wrap(batch.numbers[column], pa.float64())
        seconds = pc.if_else(pc.is_nan(seconds), pa.scalar(None, pa.float64()), seconds)
        return pc.cast(pc.multiply(seconds, 1e9), pa.int64(), safe=False).cast(_STAMP)

    def text(column: str) -> pa.DictionaryArray:
        words, codes = batch.strings[column]
        indices = wrap(codes, pa.int32())
        if n and min(codes) < 0:
            indices = nulls_at(indices, -1)
        return pa.DictionaryArray.from_arrays(indices, pa.array(words, pa.string()))

    error = text("error")
    arrays = [
        stamps("t_start"),
        wrap(batch.numbers["latency_ms"], pa.float64()),
        text("name"),
        text("method"),
        wrap(batch.numbers["status"], pa.int16()),
        pc.is_null(error),
        wrap(batch.numbers["bytes"], pa.int64()),
        error,
        pa.repeat(pa.scalar(batch.worker, pa.int16()), n),
        stamps("t_intended"),
        nulls_at(wrap(batch.numbers["retry"], pa.int16()), NO_RETRY),
    ]
    return pa.Table.from_arrays(arrays, schema=SAMPLE_SCHEMA)


def convert_batch(path: Path) -> Path:
    """``X.pkbatch`` -> ``X.parquet`` beside it, or, when its folder cannot be written, in the
    read-only cache (module docstring); returns the Parquet batch. InputError names the file when
    it is damaged or neither place can be written."""
    dest = path.with_suffix(PARQUET_SUFFIX)
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        if dest.is_file():  # another process converted it meanwhile
            return dest
        raise InputError(f"{path}: the compact sample batch vanished before it was read") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read this compact sample batch ({exc})") from None
    if not dest.is_file():  # else a conversion got as far as the rename: only the unlink is left
        cached = _cache_path(path)
        if cached.is_file():  # a read-only run read before: its batch is not decoded again
            return cached
        table = batch_table(decode_batch(blob, str(path)))
        try:
            _write_atomically(table, dest)
        except OSError as beside:
            return _cached(path, table, beside)
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise InputError(
            f"{path}: converted to {dest.name} but cannot be removed ({exc})"
        ) from None
    return dest


def _write_atomically(table: pa.Table, dest: Path) -> None:
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="snappy")
        os.replace(tmp, dest)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def _cache_path(path: Path) -> Path:
    """Where the read-only cache keeps the Parquet batch of ``path`` (its path, size and mtime)."""
    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()
    name = path.with_suffix(PARQUET_SUFFIX).name
    return Path(tempfile.gettempdir()) / "pockit-readonly" / key[:32] / name


def _cached(path: Path, table: pa.Table, beside: OSError) -> Path:
    """The Parquet batch of ``path`` written into the read-only cache."""
    dest = _cache_path(path)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(table, dest)
    except OSError as exc:
        raise InputError(
            f"{path}: cannot write its Parquet batch beside it ({beside}) nor in {dest.parent} "
            f"({exc}); readers convert compact batches once: give them a writable run directory "
            "or temporary folder"
        ) from None
    return dest


def convert_batches(paths: Iterable[Path], problems: list[str] | None) -> list[Path]:
    """Convert each compact batch; returns the Parquet batches made. A batch that cannot be
    converted raises InputError, or, given ``problems``, is named there and left in place (no
    reader skips it)."""
    made = []
    for path in paths:
        try:
            made.append(convert_batch(path))
        except InputError as exc:
            if problems is None:
                raise
            problems.append(str(exc))
    return made
