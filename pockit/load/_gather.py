"""Gather remote workers' samples into a run directory: from a shared folder or an ``s3://`` prefix.

A ``pockit worker --out DIR`` writes one sub-folder per invocation, ``DIR/<UTC stamp>-<pid>/`` with
``samples/*.parquet`` (or the capture's compact ``*.pkbatch``, when the worker did not get to
convert them) and ``locust/capture-*.json`` (so reusing ``--out`` never mixes runs); with
``--out s3://bucket/prefix`` the same files are uploaded under ``prefix/<stamp>-<pid>/`` when the
worker ends. The master tells each worker its run id (``locust/master-run.json``); :func:`gather`
copies the batches written for this run (for output without that mark: whose requests fall inside
the run's [start, end] ± GATHER_SLACK_S) into the run directory, skips the others and says why, and
brings run.json's counts up to date, so the run reads like a local one.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from pockit._contract import COMPACT_SUFFIX, PARQUET_SUFFIX, RunField, decode_batch
from pockit._errors import InputError
from pockit._rundir import RunDir, iso, utcnow
from pockit.load._checks import capture_status, count_samples
from pockit.load._protocol import MASTER_RUN_FILE

#: Sub-folders of a worker's output that belong in the run directory.
_PARTS = ("samples", "locust")
#: A batch counts as the run's when its requests lie within [start - slack, end + slack]: the
#: worker's clock may differ from the master's by this much (keep machines NTP-synced).
GATHER_SLACK_S = 5.0


@dataclass
class GatherResult:
    """What one :func:`gather` did: files copied, sample batches skipped (and why), warnings."""

    copied: int = 0
    skipped: int = 0
    skipped_reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "copied": self.copied,
            "skipped": self.skipped,
            "skipped_reasons": self.skipped_reasons,
            "warnings": self.warnings,
        }


def upload_worker_output(local: Path, url: str) -> list[str]:
    """Upload a worker's ``samples/``, ``locust/capture-*.json`` and ``locust/master-run.json``
    under ``s3://bucket/prefix``."""
    from pockit.sources import aws_client, aws_errors

    bucket, prefix = _split_s3(url)
    keys: list[str] = []
    with aws_errors(f"upload to {url}"):
        s3 = aws_client("s3")
        for part in _PARTS:
            for path in sorted((local / part).glob("*")):
                if not _wanted(path):
                    continue
                key = f"{prefix}{part}/{path.name}"
                s3.upload_file(str(path), bucket, key)
                keys.append(f"s3://{bucket}/{key}")
    return keys


def gather_samples(run_dir: str | Path, source: str | Path) -> int:
    """Copy a remote worker's samples (folder or ``s3://`` prefix) into ``run_dir``; returns files copied.

    See :func:`gather` for what is skipped and the warnings recorded.
    """
    return gather(run_dir, source).copied


def gather(run_dir: str | Path, source: str | Path) -> GatherResult:
    """Copy the batches of ``source`` that belong to this run into ``run_dir``; say what was skipped.

    ``source`` is a worker's ``--out`` (a folder, or an ``s3://`` prefix), or one run's sub-folder
    of it. Batches whose requests lie outside the run's [start, end] (± GATHER_SLACK_S) are another
    run's and are skipped. When the samples then disagree with Locust's own request count, a
    warning goes into run.json ``warnings`` and into the result.

    A worker's output is untrusted data: an S3 key that would land outside the gather folder
    (absolute below the prefix, or with ``..``) and a local file that is a symbolic link or lies
    outside ``source`` are refused (InputError naming it) before anything is copied.
    """
    run = RunDir.open(run_dir)
    text = str(source)
    if text.startswith("s3://"):
        with tempfile.TemporaryDirectory(prefix="pockit-gather-") as tmp:
            _download(text, Path(tmp))
            return _copy(_checked(_worker_dirs(Path(tmp), text), Path(tmp), text), run)
    return _copy(_checked(_worker_dirs(Path(source), text), Path(source), text), run)


def _worker_dirs(src: Path, label: str) -> list[Path]:
    """The folders under ``src`` holding a worker's ``samples/``: ``src`` itself and/or its sub-folders."""
    dirs = [src] if (src / "samples").is_dir() else []
    if src.is_dir():
        dirs += sorted(p for p in src.iterdir() if p.is_dir() and (p / "samples").is_dir())
    if not dirs:
        raise InputError(
            f"{label}: no samples/ folder in it or its sub-folders; expected the --out of a pockit worker"
        )
    return dirs


def _candidates(src: Path) -> list[Path]:
    """The files of one worker folder that :func:`_copy` may read or copy."""
    files = _batches(src)
    files += [p for p in sorted((src / "locust").glob("capture-*")) if _wanted(p)]
    mark = src / "locust" / MASTER_RUN_FILE
    return [*files, mark] if mark.exists() or mark.is_symlink() else files


def _checked(dirs: list[Path], root: Path, label: str) -> list[Path]:
    """``dirs`` when every file to be read is a regular file inside ``root``; else InputError.

    ``shutil.copy2`` follows symbolic links: ``samples/zz.parquet -> /etc/passwd`` in a worker's
    folder would copy that file into the run directory.
    """
    real_root = root.resolve()
    for src in dirs:
        for path in _candidates(src):
            if path.is_symlink():
                raise InputError(
                    f"{label}: {path} is a symbolic link (to {path.readlink()}); a worker's output "
                    "holds only regular files, so pockit gather refuses it"
                )
            real = path.resolve()
            if not real.is_relative_to(real_root) or not real.is_file():
                raise InputError(
                    f"{label}: {path} is not a regular file inside {root} (it is {real}); "
                    "pockit gather refuses it"
                )
    return dirs


def _wanted(path: Path) -> bool:
    return not path.name.startswith(".") and (
        path.suffix in (PARQUET_SUFFIX, COMPACT_SUFFIX)
        or path.name.startswith("capture-")
        or path.name == MASTER_RUN_FILE
    )


def _batches(src: Path) -> list[Path]:
    """A worker folder's sample batches: Parquet, and compact ones not yet converted (a compact
    batch beside its Parquet batch is one whose conversion stopped short of removing it)."""
    found = [p for p in sorted((src / "samples").iterdir()) if _wanted(p)]
    parquet = {p.stem for p in found if p.suffix == PARQUET_SUFFIX}
    return [
        p
        for p in found
        if p.suffix == PARQUET_SUFFIX or (p.suffix == COMPACT_SUFFIX and p.stem not in parquet)
    ]


def _time_range(path: Path) -> tuple[datetime, datetime] | None:
    """The first and last request start of a batch (a compact one is checked whole: InputError)."""
    if path.suffix == COMPACT_SUFFIX:
        starts = [
            t for t in decode_batch(path.read_bytes(), str(path)).numbers["t_start"] if t == t
        ]
        if not starts:
            return None
        return datetime.fromtimestamp(min(starts), UTC), datetime.fromtimestamp(max(starts), UTC)
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    column = pq.read_table(path, columns=["t_start"])["t_start"]
    lo, hi = pc.min(column).as_py(), pc.max(column).as_py()
    return (lo, hi) if isinstance(lo, datetime) and isinstance(hi, datetime) else None


def _copy(dirs: list[Path], run: RunDir) -> GatherResult:
    result = GatherResult()
    slack = timedelta(seconds=GATHER_SLACK_S)
    lo, hi = run.start - slack, (run.end or utcnow()) + slack
    for src in dirs:
        used = False
        owner = _master_run(src)
        for path in _batches(src):
            if owner is not None:  # the master told the worker which run it served
                if owner == run.id:
                    if path.suffix == COMPACT_SUFFIX:  # untrusted bytes: checked before the copy
                        try:
                            decode_batch(path.read_bytes(), str(path))
                        except (InputError, OSError) as exc:
                            result.skipped += 1
                            result.skipped_reasons.append(f"{path}: unreadable ({exc})")
                            continue
                    used = True
                    result.copied += _put(path, run.samples_dir / path.name)
                else:
                    result.skipped += 1
                    result.skipped_reasons.append(
                        f"{path.name}: written for run {owner}, not {run.id} (another run's samples)"
                    )
                continue
            try:
                span = _time_range(path)
            except Exception as exc:  # a damaged file is reported, not fatal
                result.skipped += 1
                result.skipped_reasons.append(f"{path}: unreadable ({exc})")
                continue
            if span is not None and (span[1] < lo or span[0] > hi):
                result.skipped += 1
                result.skipped_reasons.append(
                    f"{path.name}: requests {iso(span[0])}..{iso(span[1])} are outside this run's "
                    f"{iso(run.start)}..{run.meta.get(RunField.END) or 'now'} (another run's samples)"
                )
                continue
            used = True
            result.copied += _put(path, run.samples_dir / path.name)
        if not used:
            continue
        for path in sorted((src / "locust").glob("capture-*")):
            if _wanted(path):
                result.copied += _put(path, run.locust_dir / path.name)
    _update_counts(run, result)
    return result


def _put(src: Path, dest: Path) -> int:
    """Copy unless already there, compact or converted (gathering twice copies nothing twice);
    1 when copied."""
    if dest.exists() or (
        dest.suffix == COMPACT_SUFFIX and dest.with_suffix(PARQUET_SUFFIX).exists()
    ):
        return 0
    shutil.copy2(src, dest)
    return 1


def _master_run(src: Path) -> str | None:
    """The run id the master announced to the worker that wrote ``src``, when it did."""
    try:
        run_id = json.loads((src / "locust" / MASTER_RUN_FILE).read_text()).get("run_id")
    except (OSError, json.JSONDecodeError, AttributeError):
        return None
    return str(run_id) if run_id else None


def _update_counts(run: RunDir, result: GatherResult) -> None:
    """Bring run.json's counts up to date; warn when samples and Locust's count disagree."""
    meta = run.meta
    counts = {**meta.get(RunField.COUNTS, {}), "samples": count_samples(run)}
    changes: dict[str, Any] = {}
    if result.copied:
        changes.update(counts=counts, capture=capture_status(run))
    expected = counts.get("locust_requests")
    if expected is not None and counts["samples"] != expected:
        warning = (
            f"after gather, {counts['samples']} samples but Locust counted {expected} requests: "
            + (
                "a worker's samples are still missing (gather its --out too)"
                if counts["samples"] < expected
                else "samples from outside this run were gathered"
            )
        )
        result.warnings.append(warning)
        previous = [w for w in meta.get(RunField.WARNINGS, []) if not w.startswith("after gather,")]
        changes[RunField.WARNINGS] = [*previous, warning]
    elif RunField.WARNINGS in meta:
        changes[RunField.WARNINGS] = [
            w for w in meta[RunField.WARNINGS] if not w.startswith("after gather,")
        ]
    if changes:
        run.update_meta(**changes)


def _download(url: str, dest: Path) -> None:
    """Download the worker files under ``url`` into ``dest``; every key is checked before any is fetched."""
    from pockit.sources import aws_client, aws_errors

    bucket, prefix = _split_s3(url)
    with aws_errors(f"gather {url}"):
        s3 = aws_client("s3")
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        wanted: list[tuple[str, Path]] = []
        for page in pages:
            for obj in page.get("Contents", []):
                key = str(obj["Key"])
                if key.endswith("/"):  # a console "folder" marker, no data
                    continue
                parts = key[len(prefix) :].split("/")
                if len(parts) < 2 or parts[-2] not in _PARTS:
                    continue
                wanted.append((key, _key_target(url, key, prefix, dest)))
        if not wanted:
            raise InputError(f"{url}: no worker samples under this prefix")
        for key, target in wanted:
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, key, str(target))


def _key_target(url: str, key: str, prefix: str, dest: Path) -> Path:
    """Where ``key`` goes below ``dest``; InputError when it would land anywhere else.

    ``prefix//abs/path/samples/x.parquet`` leaves ``/abs/path/...`` below the prefix, and
    ``dest / "/abs/..."`` is that absolute path: such keys (and ``..``, ``.``, empty parts) are refused.
    """
    rel = PurePosixPath(key[len(prefix) :])
    bad = rel.is_absolute() or any(
        part in ("", ".", "..") for part in key[len(prefix) :].split("/")
    )
    target = dest.joinpath(*rel.parts) if not bad else dest
    if bad or not target.resolve().is_relative_to(dest.resolve()):
        raise InputError(
            f"{url}: refusing key {key!r}: below the prefix it is {str(rel)!r}, which would be "
            f"written outside the gather folder (absolute, '..' or empty path parts); "
            "remove it from the bucket or gather a narrower prefix"
        )
    return target


def _split_s3(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise InputError(f"{url!r}: expected s3://bucket/prefix")
    prefix = parts.path.lstrip("/")
    return parts.netloc, (prefix.rstrip("/") + "/") if prefix else ""
