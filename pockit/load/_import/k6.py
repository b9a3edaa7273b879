"""``k6``: ``k6 run --out json=FILE``, one JSON object per line.

``Point`` lines of metric ``http_req_duration`` (ms) with tags ``name``, ``method``, ``status``,
``expected_response``, ``error``. k6 stamps an HTTP sample when the request *ends*, so
``t_start = time - duration``. k6's end-of-test summary (``--summary-export``) is recognised and
refused: it holds aggregates, not requests.
"""

from __future__ import annotations

import json
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

from pockit._errors import InputError
from pockit.load._import.registry import register_importer
from pockit.load._import.rows import BadValue, ImportOptions, Parsed, Row, Skips
from pockit.load._import.text import Lines, open_binary
from pockit.load._import.values import epoch_ns, number, status_code, true_false


def k6_summary(path: Path, first: str) -> str | None:
    """k6's ``--summary-export`` / handleSummary JSON: one object with ``metrics``, not lines."""
    text = first
    if first == "{" or '"metrics"' in first or '"root_group"' in first:
        fh, _ = open_binary(path)
        with fh:
            try:
                text = fh.read(64 * 1024 * 1024).decode("utf-8", errors="replace")
            except (EOFError, OSError, zlib.error):
                return None
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None
    if isinstance(doc, dict) and "type" not in doc and ("metrics" in doc or "root_group" in doc):
        return (
            f"{path} is a k6 end-of-test summary (--summary-export or handleSummary JSON): "
            "aggregates, not one point per request; run k6 with `--out json=FILE` "
            "(or json=FILE.gz) and import that"
        )
    return None


def _claims(path: Path, first: str) -> bool:
    if not first.startswith("{"):
        return False
    why = k6_summary(path, first)
    if why:
        raise InputError(why)
    return True


def _k6_time(data: dict[str, Any]) -> datetime:
    raw = data.get("time")
    if not isinstance(raw, str):
        raise BadValue("data.time", raw, "is missing or not a time string")
    try:
        end = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadValue("data.time", raw, "is not an RFC 3339 time") from None
    if end.tzinfo is None:
        raise BadValue("data.time", raw, "has no UTC offset")
    return end


def _k6_point(rec: Any) -> Row | None:
    """An ``http_req_duration`` Point as a request; None for every other line."""
    if not isinstance(rec, dict):
        raise BadValue("line", type(rec).__name__, "is not a JSON object")
    if rec.get("type") != "Point" or rec.get("metric") != "http_req_duration":
        return None
    data = rec.get("data")
    if not isinstance(data, dict):
        raise BadValue("data", data, "is not an object")
    tags = data.get("tags") or {}
    if not isinstance(tags, dict):
        raise BadValue("data.tags", tags, "is not an object")
    value = data.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadValue("data.value", value, "is not a number of milliseconds")
    dur = number("data.value", str(value), "milliseconds")
    end = _k6_time(data)
    status = status_code("tags.status", str(tags.get("status") or ""))
    expected = tags.get("expected_response")
    if expected is not None:
        ok = true_false("tags.expected_response", str(expected))
    else:
        ok = 0 < status < 400
    t_ns = epoch_ns("data.time", str(data.get("time")), end.timestamp()) - int(dur * 1e6)
    name = tags.get("name") or tags.get("url") or ""
    method = tags.get("method")
    return Row(
        t_ns=t_ns,
        latency_ms=dur,
        name=str(name),
        ok=ok,
        status=status,
        method=str(method) if method is not None else None,
        error=str(tags.get("error") or "") or None,
    )


@register_importer("k6", expects="k6 JSON lines", claims=_claims)
def _read_k6(path: Path, opts: ImportOptions, skips: Skips) -> Parsed:
    out = Parsed()
    lines = Lines(path, skips)
    for text in lines:
        stripped = text.strip()
        if not stripped:
            continue
        # k6 writes ~10 lines per request; only http_req_duration ones are parsed in full, the
        # rest are checked to be one JSON object each (a cheap test, not a parse)
        if '"http_req_duration"' not in stripped:
            if not (stripped.startswith("{") and stripped.endswith("}")):
                skips.bad(
                    lines.lineno,
                    "column 1",
                    BadValue("line", stripped, "is not a JSON object (k6 --out json line)"),
                )
            continue
        try:
            rec = json.loads(stripped)
        except (json.JSONDecodeError, RecursionError) as exc:
            pos = getattr(exc, "colno", 1)
            skips.bad(
                lines.lineno,
                f"column {pos}",
                BadValue("line", stripped, "is not valid JSON (a k6 run cut short?)"),
            )
            continue
        try:
            point = _k6_point(rec)
        except BadValue as bad:
            skips.bad(lines.lineno, "field", bad)
            continue
        if point is not None:
            out.requests.add(point)
    return out
