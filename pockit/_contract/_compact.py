"""The compact sample batch: what a Locust process writes instead of Parquet (contract 1).

Standard library only: the capture plugin imports it inside every Locust process, which must stay
light (pyarrow alone weighs ~90 MB there). The ``pockit run`` process, or the first reader of a run
whose parent died, turns each compact batch into the Parquet batch of the same stem
(:mod:`pockit._rundir`); everything else reads Parquet only.

A batch is ``w<worker:03d>-<pid>-<seq:06d>.pkbatch`` (:func:`compact_name`), written under a
dot-name and renamed, like every file of the run directory. Its bytes, little-endian::

    header   magic b"PKSB", version u16, flags u16 (bit 0: t_intended present), worker i16,
             2 zero bytes, rows u32, body length u32                              (20 bytes)
    body     the numeric columns of COMPACT_NUMBERS in order, ``rows`` values each
             (t_intended only with flag bit 0), then for each of COMPACT_STRINGS: entries u32,
             entries x u32 byte lengths, the UTF-8 bytes, rows x i32 codes (-1: null)
    trailer  CRC-32 of header and body, u32

Meaning: ``t_start``/``t_intended`` are seconds since the Unix epoch (NaN: null), ``latency_ms``
NaN means Locust gave no response time, ``retry`` -1 is null; ``ok`` is "``error`` is null" and
``worker`` is the header's, so SAMPLE_SCHEMA's every column is here. A file from a remote worker
is untrusted input: :func:`decode_batch` checks magic, version, flags, every length, every code
and the checksum, and its :class:`~pockit._errors.InputError` names the file and what is wrong.
"""

from __future__ import annotations

import struct
import sys
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from pockit._errors import InputError

COMPACT_MAGIC = b"PKSB"
#: Bump when the layout changes; a reader refuses versions it does not know (it never guesses).
COMPACT_VERSION = 1
COMPACT_SUFFIX = ".pkbatch"
#: What a batch written by the capture is called (also the only name a live batch may have).
COMPACT_NAME = r"w\d{3}-\d{1,10}-\d{6}\.pkbatch"
#: The Parquet batch a compact one becomes: the same stem.
PARQUET_SUFFIX = ".parquet"

#: SAMPLE_SCHEMA column -> array typecode, in the order the body holds them.
COMPACT_NUMBERS: tuple[tuple[str, str], ...] = (
    ("t_start", "d"),
    ("latency_ms", "d"),
    ("status", "h"),
    ("bytes", "q"),
    ("t_intended", "d"),
    ("retry", "h"),
)
#: Dictionary-encoded text columns, after the numbers.
COMPACT_STRINGS = ("name", "method", "error")
#: Columns of SAMPLE_SCHEMA the batch does not store: ``ok`` (error is null), ``worker`` (header).
COMPACT_DERIVED = ("ok", "worker")
#: Flag bit 0: the batch holds ``t_intended`` (an open-model run); else it is null throughout.
FLAG_INTENDED = 1
NO_RETRY = -1
NULL_CODE = -1

_HEADER = struct.Struct("<4sHHhxxII")
_U32 = struct.Struct("<I")
_CODE = next(t for t in "ilh" if array(t).itemsize == 4)  # a 32-bit signed int on this platform
_SWAP = sys.byteorder != "little"


def compact_name(worker: int, pid: int, seq: int) -> str:
    return f"w{worker:03d}-{pid}-{seq:06d}{COMPACT_SUFFIX}"


@dataclass(frozen=True)
class CompactBatch:
    """A decoded batch: numeric columns as arrays, text columns as (dictionary, codes)."""

    worker: int
    rows: int
    numbers: dict[str, array[float] | array[int]]
    strings: dict[str, tuple[list[str], array[int]]]

    @property
    def open_model(self) -> bool:
        return "t_intended" in self.numbers


def _le(values: array[float] | array[int]) -> bytes:
    if _SWAP:
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _strings(values: Sequence[str | None]) -> list[bytes]:
    index: dict[str | None, int] = dict.fromkeys(values, 0)
    index.pop(None, None)
    words = list(index)
    for i, word in enumerate(words):
        index[word] = i
    index[None] = NULL_CODE
    if not words:  # null throughout (the error column of a run without errors)
        codes = array(_CODE, [NULL_CODE]) * len(values)
    elif len(words) == 1 and None not in values:  # one value throughout (method GET)
        codes = array(_CODE, [0]) * len(values)
    else:
        codes = array(_CODE)
        codes.fromlist(list(map(index.__getitem__, values)))  # C loops, ~2x array(map(...))
    raw = [(w if isinstance(w, str) else str(w)).encode("utf-8", "replace") for w in words]
    lengths = array(_CODE, map(len, raw))
    return [_U32.pack(len(raw)), _le(lengths), *raw, _le(codes)]


def encode_batch(
    *,
    worker: int,
    numbers: dict[str, array[float] | array[int]],
    strings: dict[str, Sequence[str | None]],
) -> bytes:
    """One batch's bytes. ``numbers`` holds every column of COMPACT_NUMBERS (``t_intended`` only
    in an open-model run) as arrays of its typecode; ``strings`` every one of COMPACT_STRINGS."""
    rows = len(numbers["t_start"])
    flags = FLAG_INTENDED if "t_intended" in numbers else 0
    parts: list[bytes] = []
    for column, code in COMPACT_NUMBERS:
        if column == "t_intended" and not flags & FLAG_INTENDED:
            continue
        values = numbers[column]
        if values.typecode != code or len(values) != rows:
            raise ValueError(f"{column}: expected {rows} values of type {code!r}")
        parts.append(_le(values))
    for column in COMPACT_STRINGS:
        if len(strings[column]) != rows:
            raise ValueError(f"{column}: expected {rows} values")
        parts += _strings(strings[column])
    body = b"".join(parts)
    head = _HEADER.pack(COMPACT_MAGIC, COMPACT_VERSION, flags, worker, rows, len(body))
    return b"".join((head, body, _U32.pack(zlib.crc32(body, zlib.crc32(head)))))


class _Reader:
    """Bounds-checked slices of a batch's body; every shortfall names the file."""

    def __init__(self, blob: bytes, start: int, end: int, where: str) -> None:
        self.blob, self.at, self.end, self.where = blob, start, end, where

    def take(self, n: int, what: str) -> memoryview:
        if n < 0 or self.at + n > self.end:
            raise InputError(
                f"{self.where}: not a readable compact sample batch: {what} runs past the end "
                f"of the body ({n} bytes wanted at offset {self.at}, body ends at {self.end})"
            )
        out = memoryview(self.blob)[self.at : self.at + n]
        self.at += n
        return out

    def values(self, code: str, count: int, what: str) -> array[float] | array[int]:
        out: array[float] | array[int] = array(code)  # type: ignore[assignment]
        out.frombytes(self.take(count * out.itemsize, what))
        if _SWAP:
            out.byteswap()
        return out


def decode_batch(blob: bytes, where: str) -> CompactBatch:
    """Check and decode a batch's bytes; InputError names ``where`` (the file) and what is wrong."""
    bad = f"{where}: not a readable compact sample batch"
    if len(blob) < _HEADER.size + _U32.size:
        raise InputError(f"{bad}: {len(blob)} bytes, shorter than its header (truncated?)")
    magic, version, flags, worker, rows, body_len = _HEADER.unpack_from(blob)
    if magic != COMPACT_MAGIC:
        raise InputError(f"{bad}: it starts with {magic!r}, not {COMPACT_MAGIC!r}")
    if version != COMPACT_VERSION:
        raise InputError(
            f"{bad}: format version {version}, this pockit reads version {COMPACT_VERSION} "
            "(convert it with the pockit that wrote it)"
        )
    if flags & ~FLAG_INTENDED:
        raise InputError(f"{bad}: unknown flags {flags:#06x}")
    end = _HEADER.size + body_len
    if end + _U32.size != len(blob):
        raise InputError(
            f"{bad}: the header says {end + _U32.size} bytes, the file has {len(blob)} (truncated?)"
        )
    (crc,) = _U32.unpack_from(blob, end)
    if zlib.crc32(memoryview(blob)[:end]) != crc:
        raise InputError(f"{bad}: checksum mismatch (the file is damaged)")
    body = _Reader(blob, _HEADER.size, end, where)
    numbers: dict[str, array[float] | array[int]] = {}
    for column, code in COMPACT_NUMBERS:
        if column != "t_intended" or flags & FLAG_INTENDED:
            numbers[column] = body.values(code, rows, f"column {column}")
    strings: dict[str, tuple[list[str], array[int]]] = {}
    for column in COMPACT_STRINGS:
        (entries,) = _U32.unpack(body.take(_U32.size, f"column {column}"))
        lengths = body.values(_CODE, entries, f"column {column}'s dictionary")
        words = []
        for length in lengths:
            raw = body.take(int(length), f"column {column}'s dictionary")
            try:
                words.append(str(raw, "utf-8"))
            except UnicodeDecodeError as exc:
                raise InputError(f"{bad}: column {column}: a value is not UTF-8 ({exc})") from None
        codes: array[int] = body.values(_CODE, rows, f"column {column}'s codes")  # type: ignore[assignment]
        if rows and (min(codes) < NULL_CODE or max(codes) >= entries):
            raise InputError(
                f"{bad}: column {column}: a code outside its {entries}-entry dictionary"
            )
        strings[column] = (words, codes)
    if body.at != end:
        raise InputError(f"{bad}: {end - body.at} bytes left over after the last column")
    return CompactBatch(worker=worker, rows=rows, numbers=numbers, strings=strings)
