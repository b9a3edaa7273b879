"""Gather remote workers' samples into a run directory: from a shared folder or an ``s3://`` prefix.

A ``pockit worker --out DIR`` writes ``DIR/samples/*.parquet`` and ``DIR/locust/capture-*.json``;
with ``--out s3://bucket/prefix`` the same files are uploaded under that prefix when the worker
ends. :func:`gather_samples` copies them into the run directory and brings run.json's counts up
to date, so the run reads like a local one.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from pockit._errors import InputError
from pockit._rundir import RunDir

#: Sub-folders of a worker's output that belong in the run directory.
_PARTS = ("samples", "locust")


def upload_worker_output(local: Path, url: str) -> list[str]:
    """Upload a worker's ``samples/`` and ``locust/capture-*.json`` under ``s3://bucket/prefix``."""
    import boto3

    bucket, prefix = _split_s3(url)
    s3 = boto3.client("s3")
    keys: list[str] = []
    for part in _PARTS:
        for path in sorted((local / part).glob("*")):
            if path.name.startswith(".") or not (
                path.suffix == ".parquet" or path.name.startswith("capture-")
            ):
                continue
            key = f"{prefix}{part}/{path.name}"
            s3.upload_file(str(path), bucket, key)
            keys.append(f"s3://{bucket}/{key}")
    return keys


def gather_samples(run_dir: str | Path, source: str | Path) -> int:
    """Copy a remote worker's samples (folder or ``s3://`` prefix) into ``run_dir``; returns files copied."""
    run = RunDir.open(run_dir)
    text = str(source)
    if text.startswith("s3://"):
        with tempfile.TemporaryDirectory(prefix="pockit-gather-") as tmp:
            _download(text, Path(tmp))
            return _copy(Path(tmp), run)
    src = Path(source)
    if not (src / "samples").is_dir():
        raise InputError(f"{src}: no samples/ folder; expected the --out of a pockit worker")
    return _copy(src, run)


def _copy(src: Path, run: RunDir) -> int:
    copied = 0
    for part in _PARTS:
        for path in sorted((src / part).glob("*")):
            if path.name.startswith(".") or not (
                path.suffix == ".parquet" or path.name.startswith("capture-")
            ):
                continue
            dest = run.path / part / path.name
            if not dest.exists():
                shutil.copy2(path, dest)
                copied += 1
    if copied:
        from pockit.load._run import _capture_status, _count_samples

        meta = run.meta
        counts = {**meta.get("counts", {}), "samples": _count_samples(run)}
        run.update_meta(counts=counts, capture=_capture_status(run))
    return copied


def _download(url: str, dest: Path) -> None:
    import boto3

    bucket, prefix = _split_s3(url)
    s3 = boto3.client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    found = False
    for page in pages:
        for obj in page.get("Contents", []):
            rel = obj["Key"][len(prefix) :]
            part = rel.split("/", 1)[0]
            if part not in _PARTS:
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, obj["Key"], str(target))
            found = True
    if not found:
        raise InputError(f"{url}: no worker samples under this prefix")
    (dest / "samples").mkdir(exist_ok=True)


def _split_s3(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise InputError(f"{url!r}: expected s3://bucket/prefix")
    prefix = parts.path.lstrip("/")
    return parts.netloc, (prefix.rstrip("/") + "/") if prefix else ""
