"""Reading a results file: plain or gzip (told by magic bytes), line by line, UTF-8 checked, CSV records.

A NUL byte, bytes that are not UTF-8, a CSV record csv cannot parse or a broken gzip stream is a bad
row (file:line: column), handled by :class:`~pockit.load._import.rows.Skips` like any other.
"""

from __future__ import annotations

import csv
import gzip
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import IO, cast

from pockit._errors import InputError
from pockit.load._import.rows import BadValue, Skips

_OTHER_COMPRESSION = {
    b"\x28\xb5\x2f\xfd": "zstd",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"PK\x03\x04": "zip",
}
_GZIP_MAGIC = b"\x1f\x8b"


def open_binary(path: Path) -> tuple[IO[bytes], bool]:
    """The file's bytes, decompressed when it starts with gzip's magic (whatever its suffix)."""
    try:
        fh: IO[bytes] = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    head = fh.read(6)
    fh.seek(0)
    if head.startswith(_GZIP_MAGIC):
        return cast(IO[bytes], gzip.GzipFile(fileobj=fh, mode="rb")), True
    for magic, name in _OTHER_COMPRESSION.items():
        if head.startswith(magic):
            fh.close()
            raise InputError(
                f"{path}: a {name}-compressed file; pockit reads plain and gzip files: "
                f"decompress it first (or recompress it with gzip)"
            )
    return fh, False


class Lines:
    """Decoded text lines; ``lineno`` is the physical line number of the last line yielded."""

    def __init__(self, path: Path, skips: Skips) -> None:
        self.path = path
        self.skips = skips
        self.lineno = 0

    def __iter__(self) -> Iterator[str]:
        fh, _ = open_binary(self.path)
        with fh:
            while True:
                try:
                    raw = fh.readline()
                except (EOFError, OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
                    self._broken_stream(exc)
                    return
                if not raw:
                    return
                self.lineno += 1
                nul = raw.find(b"\x00")
                if nul >= 0:  # text formats never hold NUL: a binary or corrupted file
                    self.skips.bad(
                        self.lineno,
                        f"column {nul + 1}",
                        BadValue("bytes", raw[nul : nul + 4], "is binary data (a NUL byte)"),
                    )
                    continue
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    self.skips.bad(
                        self.lineno,
                        f"column {exc.start + 1}",
                        BadValue("bytes", raw[exc.start : exc.start + 4], "is not UTF-8 text"),
                    )
                    continue
                if self.lineno == 1:
                    text = text.removeprefix("\ufeff")
                yield text

    def _broken_stream(self, exc: BaseException) -> None:
        problem = f"compressed stream is broken or ends early ({exc})"
        if not self.skips.skip:
            raise InputError(
                f"{self.path}: after line {self.lineno}: {problem}; pass --skip-bad-rows to keep "
                "the rows read so far"
            ) from None
        self.skips.bad(self.lineno + 1, "end of file", BadValue("file", "", problem))


def first_line(path: Path) -> tuple[str, bool]:
    """The first non-blank line (decoded) and whether the file is gzip-compressed."""
    fh, gz = open_binary(path)
    try:
        with fh:
            for lineno, raw in enumerate(fh, 1):
                if raw.strip():
                    try:
                        return raw.decode("utf-8").removeprefix("\ufeff").strip(), gz
                    except UnicodeDecodeError as exc:
                        raise InputError(
                            f"{path}:{lineno}: column {exc.start + 1}: not UTF-8 text; is this "
                            "a load tool's results file?"
                        ) from None
    except (EOFError, OSError, zlib.error) as exc:
        raise InputError(f"{path}: gzip stream cannot be read ({exc})") from None
    return "", gz


def split_header(first: str) -> tuple[list[str], str]:
    """Header fields and delimiter: JMeter's ``default_delimiter`` may be a comma, tab or ';'."""
    best: tuple[list[str], str] = ([first], ",")
    for delim in (",", "\t", ";", "|"):
        fields = [c.strip().strip('"') for c in first.split(delim)]
        if len(fields) > len(best[0]):
            best = (fields, delim)
    return best


def csv_records(
    lines: Lines, skips: Skips, delimiter: str = ","
) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) per CSV record; a record csv cannot parse is a bad row."""
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            skips.bad(lines.lineno, "row", BadValue("row", "", f"is not valid CSV ({exc})"))
            continue
        if rec and any(f.strip() for f in rec):
            yield lines.lineno, rec


@dataclass(frozen=True)
class Header:
    index: dict[str, int]  # column name -> position (the first, if a name repeats)
    width: int

    def getter(self, *names: str) -> Callable[[list[str]], tuple[str, ...]]:
        """Pick ``names`` from a record, in that order ("" for a column the file lacks)."""
        pick = itemgetter(*(self.index.get(n, self.width) for n in names))

        def get(rec: list[str]) -> tuple[str, ...]:
            if len(rec) != self.width:
                raise BadValue(
                    "row", f"{len(rec)} fields", f"does not match the header's {self.width} columns"
                )
            rec.append("")  # what a missing column reads as
            return tuple(pick(rec))

        return get

    def where(self, column: str) -> str:
        return f"column {self.index[column] + 1}" if column in self.index else "row"


def read_header(
    path: Path, records: Iterator[tuple[int, list[str]]], required: tuple[str, ...], fmt: str
) -> Header:
    try:
        _, header = next(records)
    except StopIteration:
        raise InputError(f"{path}: empty file; nothing to import") from None
    index: dict[str, int] = {}
    for i, c in enumerate(header):
        index.setdefault(c.strip().strip('"'), i)
    missing = [c for c in required if c not in index]
    if missing:
        raise InputError(
            f"{path}:1: {fmt} CSV lacks column(s) {', '.join(missing)}; "
            f"found {', '.join(list(index)[:15])}"
        )
    return Header(index, len(header))


def csv_header(first: str) -> list[str] | None:
    """The fields of a CSV header line; None when the line is XML or JSON (not a CSV header)."""
    if first.startswith(("<", "{")):
        return None
    fields, _ = split_header(first)
    return fields
