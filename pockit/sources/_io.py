"""Where billing files come from: a local file, a folder, a CUR 2.0 export layout, or ``s3://``.

A CUR 2.0 (Data Exports) export is laid out as::

    <prefix>/<export>/data/BILLING_PERIOD=YYYY-MM/<export>-00001.snappy.parquet
    <prefix>/<export>/metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json

The manifest's ``dataFiles`` lists the current data files of the period (older deliveries can
linger under ``data/`` when the export is set to create new files), so when a manifest is present
its list wins over a directory listing. Legacy CUR manifests use ``reportKeys`` the same way.

``s3://`` objects are downloaded through boto3 into a cache folder keyed by bucket, key and ETag,
then scanned locally like any file; gzip CSV is decompressed once so polars can scan it lazily.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pockit._errors import SourceError
from pockit.sources._aws import aws_errors, client

DATA_SUFFIXES = (".parquet", ".csv", ".csv.gz", ".csv.gzip")
MANIFEST_SUFFIX = "Manifest.json"


@dataclass(frozen=True)
class ResolvedFiles:
    """The data files of one billing source, all of one kind (``csv`` or ``parquet``)."""

    files: tuple[Path, ...]
    kind: str
    origin: str


def cache_dir() -> Path:
    """Folder for downloaded and decompressed exports (``POCKIT_CACHE`` overrides)."""
    root = os.environ.get("POCKIT_CACHE") or os.path.join(tempfile.gettempdir(), "pockit-cache")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_data_file(name: str) -> bool:
    low = name.lower()
    return low.endswith(DATA_SUFFIXES)


def file_kind(path: Path) -> str:
    return "parquet" if path.name.lower().endswith(".parquet") else "csv"


def _decompressed(path: Path) -> Path:
    """A plain CSV for ``path`` (gzip is decompressed once into the cache)."""
    if not path.name.lower().endswith((".gz", ".gzip")):
        return path
    st = path.stat()
    digest = hashlib.sha256(f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[
        :16
    ]
    out = cache_dir() / f"{digest}-{path.name.rsplit('.', 1)[0]}"
    if not out.exists():
        tmp = out.with_name(out.name + ".part")
        try:
            with gzip.open(path, "rb") as src, tmp.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except (OSError, EOFError) as exc:
            tmp.unlink(missing_ok=True)
            raise SourceError(f"{path}: not a readable gzip file ({exc})") from None
        os.replace(tmp, out)
    return out


def _manifest_files(manifest: Path) -> list[str]:
    try:
        data = json.loads(manifest.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SourceError(f"{manifest}: manifest is not valid JSON ({exc})") from None
    files = data.get("dataFiles") or data.get("reportKeys") or []
    if not isinstance(files, list):
        raise SourceError(f"{manifest}: 'dataFiles' is not a list")
    return [str(f) for f in files]


def _local_from_uri(uri: str, manifest: Path) -> Path:
    """Map a manifest's ``s3://bucket/<prefix>/<export>/data/...`` entry onto the local copy."""
    export_root = manifest.parent.parent.parent  # metadata/BILLING_PERIOD=.../x-Manifest.json
    marker = "/data/"
    if marker in uri:
        return export_root / "data" / uri.split(marker, 1)[1]
    return export_root / uri.rsplit("/", 1)[-1]


def _finish(files: list[Path], origin: str) -> ResolvedFiles:
    if not files:
        raise SourceError(
            f"{origin}: no billing data files found (looked for {', '.join(DATA_SUFFIXES)}, "
            f"or a *-{MANIFEST_SUFFIX} under metadata/)"
        )
    kinds = {file_kind(f) for f in files}
    if len(kinds) > 1:
        raise SourceError(f"{origin}: mixes CSV and Parquet files; point pockit at one of them")
    kind = kinds.pop()
    plain = tuple(_decompressed(f) for f in sorted(files))
    return ResolvedFiles(files=plain, kind=kind, origin=origin)


def resolve_local(path: Path) -> ResolvedFiles:
    """Files of a local billing source: a data file, a manifest, or a folder (manifests first)."""
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    if path.is_file():
        if path.name.endswith(MANIFEST_SUFFIX):
            files = [_local_from_uri(u, path) for u in _manifest_files(path)]
            missing = [str(f) for f in files if not f.exists()]
            if missing:
                raise SourceError(
                    f"{path}: manifest lists files that are not there: {', '.join(missing[:3])}"
                )
            return _finish(files, str(path))
        if not is_data_file(path.name):
            # Still try: a user's export may lack the usual suffix; sniffing decides.
            return ResolvedFiles(files=(path,), kind="csv", origin=str(path))
        return _finish([path], str(path))
    manifests = sorted(path.rglob(f"*{MANIFEST_SUFFIX}"))
    if manifests:
        files = []
        for man in manifests:
            files.extend(_local_from_uri(u, man) for u in _manifest_files(man))
        existing = [f for f in files if f.exists()]
        if existing:
            return _finish(existing, str(path))
    files = [
        p
        for p in path.rglob("*")
        if p.is_file() and is_data_file(p.name) and not p.name.startswith(".")
    ]
    return _finish(files, str(path))


def split_s3(url: str) -> tuple[str, str]:
    """``s3://bucket/key`` → (bucket, key)."""
    rest = url[len("s3://") :]
    bucket, _, key = rest.partition("/")
    if not bucket:
        raise SourceError(f"{url}: not an s3:// URL with a bucket (s3://bucket/prefix)")
    return bucket, key


def _download(s3: object, bucket: str, key: str, etag: str) -> Path:
    digest = hashlib.sha256(f"{bucket}/{key}:{etag}".encode()).hexdigest()[:16]
    out = cache_dir() / f"{digest}-{key.rsplit('/', 1)[-1]}"
    if not out.exists():
        tmp = out.with_name(out.name + ".part")
        s3.download_file(bucket, key, str(tmp))  # type: ignore[attr-defined]
        os.replace(tmp, out)
    return out


def resolve_s3(url: str) -> ResolvedFiles:
    """Download the data files of an ``s3://`` billing source (manifest-aware) and resolve them."""
    bucket, key = split_s3(url)
    s3 = client("s3")
    with aws_errors(f"reading {url}"):
        if is_data_file(key) or key.endswith(MANIFEST_SUFFIX):
            head = s3.head_object(Bucket=bucket, Key=key)
            if key.endswith(MANIFEST_SUFFIX):
                man = _download(s3, bucket, key, head.get("ETag", ""))
                keys = [
                    split_s3(u)[1] if u.startswith("s3://") else u for u in _manifest_files(man)
                ]
            else:
                return _finish([_download(s3, bucket, key, head.get("ETag", ""))], url)
        else:
            prefix = key.rstrip("/") + "/" if key else ""
            objects: list[dict[str, object]] = []
            token: str | None = None
            while True:
                kwargs: dict[str, object] = {"Bucket": bucket, "Prefix": prefix}
                if token:
                    kwargs["ContinuationToken"] = token
                page = s3.list_objects_v2(**kwargs)
                objects.extend(page.get("Contents", []))
                if not page.get("IsTruncated"):
                    break
                token = page.get("NextContinuationToken")
            manifests = [o for o in objects if str(o["Key"]).endswith(MANIFEST_SUFFIX)]
            keys = []
            for obj in manifests:
                man = _download(s3, bucket, str(obj["Key"]), str(obj.get("ETag", "")))
                keys.extend(
                    split_s3(u)[1] if u.startswith("s3://") else u for u in _manifest_files(man)
                )
            if not keys:
                keys = [str(o["Key"]) for o in objects if is_data_file(str(o["Key"]))]
        files = []
        for k in keys:
            head = s3.head_object(Bucket=bucket, Key=k)
            files.append(_download(s3, bucket, k, str(head.get("ETag", ""))))
    return _finish(files, url)


def resolve(source: str | Path) -> ResolvedFiles:
    """Local path or ``s3://`` URL → local data files."""
    text = str(source)
    if text.startswith("s3://"):
        return resolve_s3(text)
    return resolve_local(Path(text).expanduser())
