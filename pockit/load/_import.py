"""``pockit import``: a run directory from other load tools' raw per-request output.

Formats (sniffed from the first line when not given):

- ``locust-csv``: ``locust.contrib.csv_request_logger`` (Locust >= 2.43) —
  ``timestamp`` (Unix s, request start), ``request_type``, ``name``, ``response_time_ms``,
  ``response_length``, ``status_code`` (0: no response), ``exception`` (empty when ok).
- ``jmeter``: a JTL results file in CSV with its header line — ``timeStamp`` (epoch ms, or a
  date when ``jmeter.save.saveservice.timestamp_format`` is set; the sample *start*, as shipped
  ``jmeter.properties`` sets ``sampleresult.timestamp.start=true``),
  ``elapsed`` (ms), ``label``, ``responseCode`` (text: "Non HTTP response code: ..." becomes 0),
  ``success``, ``failureMessage``, ``bytes``, ``threadName``. JTL has no HTTP method: it stays null.
- ``k6``: ``k6 run --out json=FILE`` — one JSON object per line; ``Point`` lines of metric
  ``http_req_duration`` (ms) with tags ``name``, ``method``, ``status``, ``expected_response``.
  k6 stamps an HTTP sample when the request *ends*, so ``t_start = time - duration``.

Every import writes one completed run (DESIGN contract 1) whose run.json says where it came from.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pockit._contract import RunField, RunStatus, StopCode
from pockit._errors import InputError, UsageError

ImportFormat = Literal["locust-csv", "jmeter", "k6"]
FORMATS: tuple[ImportFormat, ...] = ("locust-csv", "jmeter", "k6")

LOCUST_COLUMNS = ("timestamp", "request_type", "name", "response_time_ms", "status_code")
JMETER_COLUMNS = ("timeStamp", "elapsed", "label", "success")
_JMETER_DATE_FORMATS = (
    "%Y/%m/%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
)


def sniff_format(path: Path) -> ImportFormat:
    """Tell the format from the file's first non-empty line; InputError names what was seen."""
    try:
        with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
            first = ""
            for line in fh:
                if line.strip():
                    first = line.strip()
                    break
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    if not first:
        raise InputError(f"{path}: empty file; nothing to import")
    if first.startswith("{"):
        return "k6"
    header = {c.strip().strip('"') for c in first.split(",")}
    if all(c in header for c in LOCUST_COLUMNS):
        return "locust-csv"
    if all(c in header for c in JMETER_COLUMNS):
        return "jmeter"
    raise InputError(
        f"{path}: cannot tell the format from its first line ({first[:120]!r}); expected a Locust "
        f"csv_request_logger header ({', '.join(LOCUST_COLUMNS)}), a JMeter JTL CSV header "
        f"({', '.join(JMETER_COLUMNS)}) or k6 JSON lines; pass --format {'|'.join(FORMATS)}"
    )


def _read_csv(path: Path, required: Sequence[str], fmt: str) -> Any:
    import polars as pl

    try:
        df = pl.read_csv(path, infer_schema=False, quote_char='"', truncate_ragged_lines=True)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"{path}: not a readable {fmt} CSV ({exc})") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(
            f"{path}: {fmt} CSV lacks column(s) {', '.join(missing)}; found {', '.join(df.columns[:15])}"
        )
    return df


def _locust(path: Path) -> dict[str, list[Any]]:
    import polars as pl

    df = _read_csv(path, LOCUST_COLUMNS, "Locust csv_request_logger")
    exc = pl.col("exception") if "exception" in df.columns else pl.lit(None, pl.String)
    df = df.select(
        (pl.col("timestamp").cast(pl.Float64) * 1e9).cast(pl.Int64).alias("t_ns"),
        pl.col("response_time_ms").cast(pl.Float64, strict=False).alias("latency_ms"),
        pl.col("name"),
        pl.col("request_type").alias("method"),
        pl.col("status_code").cast(pl.Int64, strict=False).fill_null(0).alias("status"),
        exc.fill_null("").alias("error"),
        (
            pl.col("response_length").cast(pl.Int64, strict=False)
            if "response_length" in df.columns
            else pl.lit(0)
        )
        .fill_null(0)
        .alias("bytes"),
    )
    return {
        "t_ns": df["t_ns"].to_list(),
        "latency_ms": df["latency_ms"].to_list(),
        "name": df["name"].to_list(),
        "method": df["method"].to_list(),
        "status": df["status"].to_list(),
        "ok": [e == "" for e in df["error"].to_list()],
        "bytes": df["bytes"].to_list(),
        "error": [e or None for e in df["error"].to_list()],
    }


def _jmeter_time(value: str, path: Path) -> int:
    text = value.strip()
    if text.isdigit():
        return int(text) * 1_000_000
    for fmt in _JMETER_DATE_FORMATS:
        try:
            return int(datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp() * 1e9)
        except ValueError:
            continue
    raise InputError(
        f"{path}: JMeter timeStamp {value!r} is neither epoch milliseconds nor a date like 2026/11/26 06:00:00.000"
    )


def _jmeter(path: Path) -> dict[str, list[Any]]:
    df = _read_csv(path, JMETER_COLUMNS, "JMeter JTL")
    cols = set(df.columns)
    n = df.height
    codes = df["responseCode"].to_list() if "responseCode" in cols else [""] * n
    status = [int(c) if c and c.strip().isdigit() else 0 for c in codes]
    ok = [str(s).strip().lower() == "true" for s in df["success"].to_list()]
    fail_msg = df["failureMessage"].to_list() if "failureMessage" in cols else [None] * n
    resp_msg = df["responseMessage"].to_list() if "responseMessage" in cols else [None] * n
    errors = [
        None if o else (fm or rm or f"HTTP {c}")
        for o, fm, rm, c in zip(ok, fail_msg, resp_msg, codes, strict=True)
    ]
    workers = [0] * n
    if "threadName" in cols:  # "Thread Group 1-3": one load process per thread group
        groups: dict[str, int] = {}
        for i, t in enumerate(df["threadName"].to_list()):
            grp = (t or "").rsplit("-", 1)[0] if t else ""
            workers[i] = groups.setdefault(grp, len(groups))
    return {
        "t_ns": [_jmeter_time(v, path) for v in df["timeStamp"].to_list()],
        "latency_ms": [float(v) if v not in (None, "") else None for v in df["elapsed"].to_list()],
        "name": df["label"].to_list(),
        "method": [None] * n,
        "status": status,
        "ok": ok,
        "bytes": [
            int(b) if b and b.isdigit() else 0
            for b in (df["bytes"].to_list() if "bytes" in cols else [""] * n)
        ],
        "error": errors,
        "worker": workers,
    }


def _k6(path: Path) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {
        k: [] for k in ("t_ns", "latency_ms", "name", "method", "status", "ok", "bytes", "error")
    }
    bad = 0
    with path.open("r", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if '"http_req_duration"' not in line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                if bad > 1:  # one truncated last line is a crash; more is not k6 JSON
                    raise InputError(
                        f"{path}:{lineno}: not a JSON line; is this `k6 run --out json` output?"
                    ) from None
                continue
            if rec.get("type") != "Point" or rec.get("metric") != "http_req_duration":
                continue
            data = rec.get("data") or {}
            tags = data.get("tags") or {}
            dur = float(data.get("value") or 0.0)
            end = datetime.fromisoformat(str(data["time"]).replace("Z", "+00:00"))
            t_ns = int(end.timestamp() * 1e9) - int(dur * 1e6)
            status = int(tags.get("status") or 0)
            expected = tags.get("expected_response")
            ok = (str(expected).lower() == "true") if expected is not None else (0 < status < 400)
            out["t_ns"].append(t_ns)
            out["latency_ms"].append(dur)
            out["name"].append(tags.get("name") or tags.get("url") or "")
            out["method"].append(tags.get("method"))
            out["status"].append(status)
            out["ok"].append(ok)
            out["bytes"].append(0)
            out["error"].append(None if ok else (tags.get("error") or f"HTTP {status}"))
    return out


_READERS = {"locust-csv": _locust, "jmeter": _jmeter, "k6": _k6}


def import_runs(
    path: str | Path,
    *,
    format: str | None = None,
    candidate: str,
    runs_dir: str | Path = "runs",
) -> list[Path]:
    """Read ``path`` (``format`` or sniffed) into a new run directory under ``runs_dir``.

    >>> import_runs("results.jtl", candidate="legacy")   # doctest: +SKIP
    [PosixPath('runs/20261126T060000Z-legacy-3f9a')]
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pockit import __version__
    from pockit._rundir import SAMPLE_SCHEMA, RunDir, iso, new_run_id

    src = Path(path)
    if not src.is_file():
        raise InputError(f"{src}: no such file to import")
    if not candidate:
        raise UsageError("--candidate is required: which system under test produced these results")
    fmt = format or sniff_format(src)
    if fmt not in _READERS:
        raise UsageError(f"unknown import format {fmt!r}; one of {', '.join(FORMATS)}")
    cols = _READERS[fmt](src)
    n = len(cols["t_ns"])
    if n == 0:
        raise InputError(f"{src}: no requests found in this {fmt} file; nothing imported")
    t_min, t_max = (
        min(cols["t_ns"]),
        max(
            t + int((lat or 0.0) * 1e6)
            for t, lat in zip(cols["t_ns"], cols["latency_ms"], strict=True)
        ),
    )
    start = datetime.fromtimestamp(t_min / 1e9, UTC)
    end = datetime.fromtimestamp(t_max / 1e9, UTC)
    table = pa.table(
        {
            "t_start": pa.array(cols["t_ns"], pa.int64()).cast(pa.timestamp("ns", tz="UTC")),
            "latency_ms": pa.array(cols["latency_ms"], pa.float64()),
            "name": pa.array(cols["name"], pa.string()).dictionary_encode(),
            "method": pa.array(cols["method"], pa.string()).dictionary_encode(),
            "status": pa.array(cols["status"], pa.int16()),
            "ok": pa.array(cols["ok"], pa.bool_()),
            "bytes": pa.array(cols["bytes"], pa.int64()),
            "error": pa.array(cols["error"], pa.string()).dictionary_encode(),
            "worker": pa.array(cols.get("worker", [0] * n), pa.int16()),
            "t_intended": pa.nulls(n, pa.timestamp("ns", tz="UTC")),
        }
    ).cast(SAMPLE_SCHEMA)
    run = RunDir.create(
        runs_dir,
        {
            RunField.ID: new_run_id(candidate, when=start),
            RunField.CANDIDATE: candidate,
            RunField.START: iso(start),
            RunField.END: iso(end),
            RunField.STATUS: RunStatus.RUNNING,
            RunField.IMPORTED_FROM: str(src.resolve()),
            RunField.IMPORT_FORMAT: fmt,
            RunField.STOP_REASON: f"imported from {fmt}",
            RunField.STOP_CODE: StopCode.IMPORTED,
            RunField.VERSIONS: {"pockit": __version__},
        },
    )
    pq.write_table(table, run.samples_dir / "import-00000.parquet")
    run.update_meta(status=RunStatus.COMPLETED, requests=n)
    return [run.path]
