"""``pockit import``: Locust csv_request_logger, JMeter JTL (CSV and XML) and k6 JSON, plain or gzip.

Where the files come from:

- JMeter: ``data/jmeter-*.jtl`` were written by real JMeter (Debian's ``jmeter`` 2.13) running
  ``data/checkout.jmx`` against :func:`shop_server` on 127.0.0.1; ``python tests/load/test_import.py``
  writes them again. :func:`test_real_jmeter_run` runs JMeter in the suite and fails, never skips,
  when it is not installed (``make test`` installs it).
- k6 cannot be installed here: ``data/k6-points.json`` and ``data/k6-summary-export.json`` are
  hand-made from k6's documented formats ("JSON" results output: Metric and Point lines, with
  ``http_req_duration``, ``http_req_failed`` and tags ``status``/``name``/``method``/``error``;
  ``--summary-export``: one object with ``root_group`` and ``metrics``).
- Locust: the inline rows follow ``locust.contrib.csv_request_logger.CSV_COLUMNS``, and
  :func:`test_real_locust_csv_request_logger` imports what a real Locust run with
  ``CsvRequestLogger`` wrote; the aggregated ``--csv`` headers come from the installed Locust.
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pockit._errors import InputError, PockitError, UsageError
from pockit._rundir import RunDir
from pockit.analysis import run_stats
from pockit.cli import main
from pockit.load._import import (
    IMPORT_COMPRESSION,
    IMPORT_SKIPPED_ROWS,
    IMPORT_TIMEZONE,
    IMPORT_TRANSACTIONS,
    import_runs,
    local_zone_name,
    sniff_format,
)
from tests._typed import moment, number

DATA = Path(__file__).resolve().parent / "data"
JMETER_HOME = Path("/usr/share/jmeter")
JMETER_HINT = "Debian's jmeter is not installed (make test installs it): apt-get install jmeter"

LOCUST = """timestamp,request_type,name,response_time_ms,response_length,status_code,exception
1764136800.123456,GET,/api/items,12.34,512,200,
1764136800.223456,POST,/api/cart,45.6,128,200,
1764136800.323456,GET,/api/items,15.0,512,200,
1764136800.423456,GET,/api/items,3.2,0,0,"ConnectionRefusedError(111, 'Connection refused')"
1764136800.523456,GET,/api/items,22.5,90,500,"HTTPError('500 Server Error: Internal Server Error for url: /api/items')"
"""

JMETER = """timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect
1764136800123,120,Home Page,200,OK,Thread Group 1-1,text,true,,1591,118,1,1,http://127.0.0.1:8080/,118,0,45
1764136800250,98,Home Page,200,OK,Thread Group 1-2,text,true,,1591,118,2,2,http://127.0.0.1:8080/,97,0,1
1764136800400,230,Login,500,Internal Server Error,Thread Group 1-1,text,false,"Test failed: code expected to contain /200/",312,220,2,2,http://127.0.0.1:8080/login,229,0,0
1764136800700,2004,Login,Non HTTP response code: java.net.SocketTimeoutException,Non HTTP response message: Read timed out,Thread Group 1-2,text,false,,2210,0,2,2,http://127.0.0.1:8080/login,0,0,1
"""

# data/checkout.jmx: 2 threads x 4 loops of {Transaction "Checkout": GET /home, GET /cart},
# POST /search; shop_server fails every 2nd /cart. So: 24 HTTP samples, 4 failed; 8 transactions,
# 4 failed. Counting the transactions as requests (the old importer) gives 24 of 32.
HTTP_SAMPLES, HTTP_FAILED, TRANSACTIONS, TRANSACTIONS_FAILED = 24, 4, 8, 4


def _runs(tmp_path: Path) -> Path:
    return tmp_path / "runs"


def _import(src: Path, tmp_path: Path, **kw: Any) -> RunDir:
    [path] = import_runs(src, candidate=kw.pop("candidate", "c"), runs_dir=_runs(tmp_path), **kw)
    return RunDir.open(path)


def _gzip(src: Path, dest: Path) -> Path:
    dest.write_bytes(gzip.compress(src.read_bytes()))
    return dest


# ---------------------------------------------------------------- Locust csv_request_logger


def test_locust_csv(tmp_path: Path) -> None:
    src = tmp_path / "requests.csv"
    src.write_text(LOCUST)
    assert sniff_format(src) == "locust-csv"
    run = _import(src, tmp_path, candidate="legacy")
    assert (
        run.meta["candidate"] == "legacy"
        and run.status == "completed"
        and run.meta["import_format"] == "locust-csv"
    )
    df = run.read_samples()
    assert df.height == 5
    assert df["latency_ms"].to_list()[:2] == [12.34, 45.6]
    assert df["ok"].to_list() == [True, True, True, False, False]
    assert df["status"].to_list()[3] == 0 and "Connection refused" in df["error"].to_list()[3]
    assert df["method"].to_list()[1] == "POST"
    assert str(df["t_start"][0]).startswith("2025-11-26 06:00:00.123456")
    stats = run_stats([run.path]).to_dict()
    assert stats["n"] == 5 and stats["success_rate"] == pytest.approx(0.6)
    assert IMPORT_SKIPPED_ROWS not in run.meta  # only recorded when --skip-bad-rows was asked


def test_locust_failed_request_without_response_time_stays_a_failure(tmp_path: Path) -> None:
    """Locust's CsvRequestLogger writes an empty response_time_ms when a request failed early."""
    src = tmp_path / "requests.csv"
    src.write_text(
        LOCUST.splitlines()[0]
        + "\n1764136800.1,GET,/a,10.0,5,200,\n1764136800.2,GET,/a,,0,0,ConnectionResetError()\n"
    )
    df = _import(src, tmp_path).read_samples()
    assert df["ok"].to_list() == [True, False]
    assert df["latency_ms"].to_list() == [10.0, None]
    assert df["error"].to_list()[1] == "ConnectionResetError()"


HEAD = LOCUST.splitlines()[0]
GOOD = "1764136800.1,GET,/a,10.0,5,200,"


@pytest.mark.parametrize(
    ("row", "where", "message"),
    [
        ("1764136800.2,GET,/a,fast,5,200,", "column 4 (response_time_ms)", "not a number"),
        ("1764136800.2,GET,/a,nan,5,200,", "column 4 (response_time_ms)", "finite"),
        ("1764136800.2,GET,/a,-3,5,200,", "column 4 (response_time_ms)", "non-negative"),
        ("1764136800.2,GET,/a,,5,200,", "column 4 (response_time_ms)", "empty on a successful"),
        ("yesterday,GET,/a,10,5,200,", "column 1 (timestamp)", "not a number"),
        ("1e30,GET,/a,10,5,200,", "column 1 (timestamp)", "between the years 2000 and 2100"),
        ("1764136800.2,GET,/a,10,5,70000,", "column 6 (status_code)", "not an HTTP status"),
        ("1764136800.2,GET,/a,10,5,OK,", "column 6 (status_code)", "not an HTTP status"),
        ("1764136800.2,GET,/a,10,five,200,", "column 5 (response_length)", "not a byte count"),
        ("1764136800.2,GET,/a,10,²,200,", "column 5 (response_length)", "not a byte count"),
        ("1764136800.2,GET,/a,1e300,5,200,", "column 4 (response_time_ms)", "longer than a week"),
        ("1764136800.2,GET,/a,10,5", "row (row)", "does not match the header"),
    ],
)
def test_locust_unreadable_value_names_line_and_column(
    tmp_path: Path, row: str, where: str, message: str
) -> None:
    src = tmp_path / "requests.csv"
    src.write_text(f"{HEAD}\n{GOOD}\n{row}\n{GOOD}\n")
    with pytest.raises(InputError, match=message) as err:
        import_runs(src, candidate="c", runs_dir=_runs(tmp_path))
    assert f"{src}:3: {where}" in str(err.value) and "--skip-bad-rows" in str(err.value)
    assert not _runs(tmp_path).exists()  # nothing half-written


def test_skip_bad_rows_counts_and_records_them(tmp_path: Path, capsys: Any) -> None:
    src = tmp_path / "requests.csv"
    src.write_text(
        f"{HEAD}\n{GOOD}\n1764136800.2,GET,/a,12ms,5,200,\n{GOOD}\n"
        "1e30,GET,/a,10,5,200,\n1764136800.3,GET,/a,13ms,5,200,\n"
    )
    code = main(
        [
            "import",
            str(src),
            "--candidate",
            "c",
            "--runs-dir",
            str(_runs(tmp_path)),
            "--skip-bad-rows",
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["requests"] == 2 and out["skipped_rows"]["count"] == 3
    run = RunDir.open(out["runs"][0])
    skipped = run.meta[IMPORT_SKIPPED_ROWS]
    assert skipped["reasons"] == {
        "response_time_ms: is not a number of milliseconds": 2,
        "timestamp: is not a time between the years 2000 and 2100": 1,
    }
    assert [e["line"] for e in skipped["examples"]] == [3, 5, 6]
    assert any("skipped 3 unreadable row(s)" in w for w in run.meta["warnings"])
    assert run.read_samples().height == 2
    # the human output says it too
    main(
        [
            "import",
            str(src),
            "--candidate",
            "c",
            "--runs-dir",
            str(_runs(tmp_path)),
            "--skip-bad-rows",
        ]
    )
    human = capsys.readouterr().out
    assert "skipped 3 unreadable row(s)" in human and "response_time_ms" in human


def test_binary_bytes_are_an_error_naming_line_and_column(tmp_path: Path) -> None:
    src = tmp_path / "requests.csv"
    src.write_bytes(f"{HEAD}\n{GOOD}\n".encode() + b"1764136800.2,GET,/\xff\xfe,10,5,200,\n")
    with pytest.raises(InputError, match=r"requests.csv:3: column 19 \(bytes\).*not UTF-8"):
        import_runs(src, candidate="c", runs_dir=_runs(tmp_path))
    nul = tmp_path / "nul.csv"
    nul.write_bytes(f"{HEAD}\n{GOOD}\n".encode() + b"1764136800.2,GET,/a\x00,10,5,200,\n")
    with pytest.raises(InputError, match=r"nul.csv:3: column 20 \(bytes\).*NUL"):
        import_runs(nul, candidate="c", runs_dir=_runs(tmp_path))


# ---------------------------------------------------------------- JMeter


def test_jmeter_jtl(tmp_path: Path) -> None:
    src = tmp_path / "results.jtl"
    src.write_text(JMETER)
    assert sniff_format(src) == "jmeter"
    df = _import(src, tmp_path).read_samples()
    assert df["latency_ms"].to_list() == [120.0, 98.0, 230.0, 2004.0]
    assert df["name"].to_list() == ["Home Page", "Home Page", "Login", "Login"]
    assert df["status"].to_list() == [200, 200, 500, 0]
    assert df["ok"].to_list() == [True, True, False, False]
    assert df["error"].to_list()[2] == "Test failed: code expected to contain /200/"
    assert df["bytes"].to_list()[0] == 1591
    assert str(df["t_start"][0]).startswith("2025-11-26 06:00:00.123")


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("elapsed", "12ms", "column 2 (elapsed)"),
        ("timeStamp", "soon", "column 1 (timeStamp)"),
        ("timeStamp", "99999999999999", "column 1 (timeStamp)"),
        ("responseCode", "70000", "column 4 (responseCode)"),
        ("success", "yes", "column 8 (success)"),
    ],
)
def test_jmeter_unreadable_value(tmp_path: Path, field: str, value: str, where: str) -> None:
    lines = JMETER.splitlines()
    header = lines[0].split(",")
    row = lines[2].split(",")
    row[header.index(field)] = value
    src = tmp_path / "results.jtl"
    src.write_text("\n".join([*lines[:2], ",".join(row), *lines[3:]]) + "\n")
    with pytest.raises(InputError) as err:
        import_runs(src, candidate="c", runs_dir=_runs(tmp_path))
    assert f"{src}:3: {where}: {value!r}" in str(err.value)


def test_real_jtl_csv_keeps_transactions_apart(tmp_path: Path) -> None:
    src = DATA / "jmeter-checkout.csv.jtl"
    run = _import(src, tmp_path)
    df = run.read_samples()
    assert df.height == HTTP_SAMPLES and set(df["name"].to_list()) == {
        "Home Page",
        "Cart",
        "Search",
    }
    assert run.meta[IMPORT_TRANSACTIONS] == {
        "decided_on": "requests",
        "requests": HTTP_SAMPLES,
        "transactions": TRANSACTIONS,
    }
    stats = run_stats([run.path]).to_dict()
    assert stats["success_rate"] == pytest.approx((HTTP_SAMPLES - HTTP_FAILED) / HTTP_SAMPLES)
    assert (df.filter(~df["ok"])["status"].to_list()) == [503] * HTTP_FAILED
    assert df["worker"].unique().to_list() == [0]  # one thread group
    assert IMPORT_TIMEZONE not in run.meta  # epoch-ms stamps need no zone

    txn = _import(src, tmp_path, transactions=True)
    tdf = txn.read_samples()
    assert tdf.height == TRANSACTIONS and set(tdf["name"].to_list()) == {"Checkout"}
    assert txn.meta[IMPORT_TRANSACTIONS]["decided_on"] == "transactions"
    assert run_stats([txn.path]).to_dict()["success_rate"] == pytest.approx(
        (TRANSACTIONS - TRANSACTIONS_FAILED) / TRANSACTIONS
    )
    assert "Number of samples in transaction : 2, number of failing samples : 1" in (
        tdf["error"].to_list()
    )


def test_real_jtl_xml(tmp_path: Path) -> None:
    src = DATA / "jmeter-checkout.xml.jtl"
    assert sniff_format(src) == "jmeter-xml"
    run = _import(src, tmp_path, format="jmeter")  # --format jmeter reads either layout
    df = run.read_samples()
    assert run.meta["import_format"] == "jmeter-xml"
    assert df.height == HTTP_SAMPLES
    assert int((~df["ok"]).sum()) == HTTP_FAILED
    assert run.meta[IMPORT_TRANSACTIONS]["transactions"] == TRANSACTIONS
    assert number(df["latency_ms"].min()) >= 0
    txn = _import(src, tmp_path, transactions=True).read_samples()
    assert txn.height == TRANSACTIONS and int((~txn["ok"]).sum()) == TRANSACTIONS_FAILED


def test_real_jtl_xml_parent_samples_hold_their_requests(tmp_path: Path) -> None:
    """'Generate parent sample': each <sample> holds its <httpSample>s, which are the requests."""
    src = DATA / "jmeter-parent.xml.jtl"
    assert "<sample " in src.read_text() and "  <httpSample " in src.read_text()
    run = _import(src, tmp_path)
    df = run.read_samples()
    assert df.height == HTTP_SAMPLES and int((~df["ok"]).sum()) == HTTP_FAILED
    assert run.meta[IMPORT_TRANSACTIONS]["transactions"] == TRANSACTIONS
    assert sorted(set(df["name"].to_list())) == ["Cart", "Home Page", "Search"]


def test_real_jtl_csv_with_parent_samples_only_says_what_to_do(tmp_path: Path) -> None:
    """JMeter's CSV in 'Generate parent sample' mode drops the children: the requests are gone."""
    src = DATA / "jmeter-parent.csv.jtl"
    run = _import(src, tmp_path)  # the Search samples are still there
    assert run.read_samples().height == HTTP_SAMPLES - 2 * TRANSACTIONS
    assert any("Generate parent sample" in w for w in run.meta["warnings"])
    only_txn = tmp_path / "only.jtl"
    lines = src.read_text().splitlines()
    only_txn.write_text("\n".join([lines[0], *(ln for ln in lines[1:] if "Checkout" in ln)]) + "\n")
    with pytest.raises(InputError, match="--transactions"):
        import_runs(only_txn, candidate="c", runs_dir=_runs(tmp_path))


def test_local_time_stamps_use_timezone(tmp_path: Path) -> None:
    """JMeter wrote these with timestamp_format=yyyy/MM/dd HH:mm:ss.SSS in Europe/Berlin (UTC+1)."""
    src = DATA / "jmeter-localtime.csv.jtl"
    first_stamp = src.read_text().splitlines()[1].split(",")[0]
    naive = datetime.strptime(first_stamp, "%Y/%m/%d %H:%M:%S.%f")
    run = _import(src, tmp_path, timezone="Europe/Berlin")
    assert run.meta[IMPORT_TIMEZONE] == "Europe/Berlin"
    t0 = run.read_samples()["t_start"].to_list()[0]
    assert t0.replace(tzinfo=None) == naive - timedelta(hours=1)  # Berlin is UTC+1 in December
    fixed = _import(src, tmp_path, timezone="+05:30")
    assert fixed.read_samples()["t_start"].to_list()[0] != t0
    default = _import(src, tmp_path)  # this machine's zone, said in run.json
    assert default.meta[IMPORT_TIMEZONE] == local_zone_name()
    with pytest.raises(UsageError, match="--timezone"):
        _import(src, tmp_path, timezone="Mars/Olympus")


def test_local_zone_name_follows_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    assert local_zone_name() == "America/New_York"


def test_jmeter_xml_refuses_dtd_and_names_where_it_breaks(tmp_path: Path) -> None:
    src = DATA / "jmeter-checkout.xml.jtl"
    text = src.read_text()
    dtd = tmp_path / "dtd.jtl"
    dtd.write_text(
        text.replace("<testResults", '<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<testResults', 1)
    )
    with pytest.raises(InputError, match="DOCTYPE"):
        import_runs(dtd, candidate="c", runs_dir=_runs(tmp_path))
    html = tmp_path / "page.xml"
    html.write_text('<?xml version="1.0"?>\n<html><sample t="1"/></html>\n')
    with pytest.raises(InputError, match=r"page.xml:2: XML whose root is <html>"):
        import_runs(html, candidate="c", runs_dir=_runs(tmp_path))
    deep = tmp_path / "deep.jtl"
    deep.write_text("<testResults>" + "<sample>" * 500 + "</sample>" * 500 + "</testResults>")
    with pytest.raises(InputError, match="nested deeper"):
        import_runs(deep, candidate="c", runs_dir=_runs(tmp_path))
    cut = tmp_path / "cut.jtl"  # a JMeter killed mid-run leaves the file unfinished
    cut.write_text(text[: text.index("</testResults>")])
    with pytest.raises(InputError, match=r"cut.jtl:\d+:\d+: is not well-formed"):
        import_runs(cut, candidate="c", runs_dir=_runs(tmp_path))
    run = _import(cut, tmp_path, skip_bad_rows=True)
    assert run.read_samples().height == HTTP_SAMPLES
    assert run.meta[IMPORT_SKIPPED_ROWS]["count"] == 1
    bad = tmp_path / "bad.jtl"
    bad.write_text(text.replace('t="', 't="12ms', 1))
    with pytest.raises(InputError, match=r"bad.jtl:3: column 1 <\w+> \(t\): '12ms"):
        import_runs(bad, candidate="c", runs_dir=_runs(tmp_path))


# ---------------------------------------------------------------- k6


def test_k6_json(tmp_path: Path) -> None:
    src = DATA / "k6-points.json"
    assert sniff_format(src) == "k6"
    df = _import(src, tmp_path, format="k6").read_samples()
    assert df.height == 6  # http_reqs / http_req_failed points are not requests of their own
    assert df["latency_ms"].to_list() == [80.512, 91.25, 120.0, 12.0, 75.004, 0.0]
    assert df["ok"].to_list() == [True, True, True, False, True, False]
    assert df["status"].to_list() == [200, 200, 201, 503, 200, 0]
    assert df["method"].to_list()[2] == "POST"
    assert "connection refused" in df["error"].to_list()[5]
    # k6 stamps the end: start = 06:00:01.250000Z - 80.512 ms
    assert str(df["t_start"][0]).startswith("2026-11-26 06:00:01.169488")


def _k6_with(line: str) -> str:
    lines = (DATA / "k6-points.json").read_text().splitlines()
    return "\n".join([*lines[:8], line, *lines[8:]]) + "\n"


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ({"value": 5.0, "tags": {"status": "200"}}, r"9: field \(data.time\): None is missing"),
        (
            {"time": "2026-11-26T07:00:09Z", "value": 5.0, "tags": {"status": "2OO"}},
            r"9: field \(tags.status\): '2OO' is not an HTTP status",
        ),
        (
            {"time": "2026-11-26T07:00:09Z", "value": "5ms", "tags": {}},
            r"9: field \(data.value\): '5ms'",
        ),
        (
            {"time": "someday", "value": 5.0, "tags": {}},
            r"9: field \(data.time\): 'someday' is not an RFC 3339",
        ),
    ],
)
def test_k6_unreadable_point(tmp_path: Path, point: dict[str, Any], message: str) -> None:
    src = tmp_path / "k6.json"
    line = json.dumps({"metric": "http_req_duration", "type": "Point", "data": point})
    src.write_text(_k6_with(line))
    with pytest.raises(InputError, match=rf"k6.json:{message}"):
        import_runs(src, candidate="c", runs_dir=_runs(tmp_path))


def test_k6_binary_and_cut_lines(tmp_path: Path) -> None:
    src = tmp_path / "k6.json"
    src.write_bytes(
        _k6_with('{"metric":"vus","type":"Point"}').encode() + b"\x89PNG\r\n\x1a\n\x00\xff"
    )
    with pytest.raises(InputError, match=r"k6.json:\d+: column \d+ \(bytes\)"):
        import_runs(src, candidate="c", runs_dir=_runs(tmp_path))
    cut = tmp_path / "cut.json"
    cut.write_text(_k6_with('{"metric":"http_req_duration","type":"Point","data":{"ti'))
    with pytest.raises(InputError, match=r"cut.json:9: column \d+ \(line\).*not valid JSON"):
        import_runs(cut, candidate="c", runs_dir=_runs(tmp_path))
    run = _import(cut, tmp_path, skip_bad_rows=True)
    assert run.read_samples().height == 6 and run.meta[IMPORT_SKIPPED_ROWS]["count"] == 1


# ---------------------------------------------------------------- gzip, for every format


@pytest.mark.parametrize(
    "fixture",
    ["locust", "jmeter-checkout.csv.jtl", "jmeter-checkout.xml.jtl", "k6-points.json"],
)
def test_gzip_inputs_by_magic_bytes(tmp_path: Path, fixture: str) -> None:
    if fixture == "locust":
        plain = tmp_path / "requests.csv"
        plain.write_text(LOCUST)
    else:
        plain = DATA / fixture
    expected = _import(plain, tmp_path).read_samples()
    for name in ("results.gz", "results.dat"):  # `k6 --out json=x.gz`, and a gzip without .gz
        run = _import(_gzip(plain, tmp_path / name), tmp_path)
        assert run.meta[IMPORT_COMPRESSION] == "gzip"
        assert run.read_samples().equals(expected)


def test_broken_gzip_and_other_compression(tmp_path: Path) -> None:
    data = gzip.compress((DATA / "k6-points.json").read_bytes())
    cut = tmp_path / "cut.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="compressed stream is broken or ends early"):
        import_runs(cut, candidate="c", runs_dir=_runs(tmp_path))
    zst = tmp_path / "x.zst"
    zst.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 20)
    with pytest.raises(InputError, match="zstd-compressed.*decompress it first"):
        import_runs(zst, candidate="c", runs_dir=_runs(tmp_path))


# ---------------------------------------------------------------- files pockit cannot import


def _locust_summary_headers() -> dict[str, list[str]]:
    """The aggregated --csv headers as the installed Locust writes them (in a child process:
    importing locust patches gevent into this one)."""
    code = (
        "import json, tempfile, os\n"
        "from locust.env import Environment\n"
        "from locust.stats import StatsCSVFileWriter, PERCENTILES_TO_REPORT\n"
        "d = tempfile.mkdtemp()\n"
        "w = StatsCSVFileWriter(Environment(), PERCENTILES_TO_REPORT, os.path.join(d, 'x'))\n"
        "print(json.dumps({'stats': w.requests_csv_columns,\n"
        " 'stats_history': w.stats_history_csv_columns, 'failures': w.failures_columns,\n"
        " 'exceptions': w.exceptions_columns}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_files_pockit_cannot_import_say_what_to_use(tmp_path: Path) -> None:
    for kind, header in _locust_summary_headers().items():
        src = tmp_path / f"locust_{kind}.csv"
        src.write_text(",".join(header) + "\n" + ",".join("1" for _ in header) + "\n")
        with pytest.raises(InputError) as err:
            import_runs(src, candidate="c", runs_dir=_runs(tmp_path))
        text = str(err.value)
        assert f"*_{kind}.csv" in text and "csv_request_logger" in text and "pockit run" in text
    with pytest.raises(InputError, match="--out json=FILE"):
        import_runs(DATA / "k6-summary-export.json", candidate="c", runs_dir=_runs(tmp_path))
    compact = tmp_path / "summary.json"  # handleSummary's JSON.stringify(data): one line
    compact.write_text(json.dumps(json.loads((DATA / "k6-summary-export.json").read_text())))
    with pytest.raises(InputError, match="--out json=FILE"):
        import_runs(compact, candidate="c", runs_dir=_runs(tmp_path))
    k6csv = tmp_path / "k6.csv"
    k6csv.write_text(
        "metric_name,timestamp,metric_value,check,error,error_code,group,method,name,proto,"
        "scenario,status,subproto,tls_version,url,extra_tags\n"
        "http_req_duration,1595325560,221.899000,,,,,GET,http://test.k6.io,HTTP/1.1,default,200,,,"
        "http://test.k6.io,\n"
    )
    with pytest.raises(InputError, match="--out json=FILE"):
        import_runs(k6csv, candidate="c", runs_dir=_runs(tmp_path))
    headerless = tmp_path / "noheader.jtl"
    headerless.write_text(
        "".join((DATA / "jmeter-checkout.csv.jtl").read_text().splitlines(True)[1:])
    )
    with pytest.raises(InputError, match="print_field_names=true"):
        import_runs(headerless, candidate="c", runs_dir=_runs(tmp_path))
    assert not _runs(tmp_path).exists()


def test_unknown_and_empty_files(tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(InputError, match="cannot tell the format"):
        import_runs(odd, candidate="x", runs_dir=_runs(tmp_path))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        import_runs(empty, candidate="x", runs_dir=_runs(tmp_path))
    header_only = tmp_path / "h.csv"
    header_only.write_text(LOCUST.splitlines()[0] + "\n")
    with pytest.raises(InputError, match="no requests"):
        import_runs(header_only, candidate="x", runs_dir=_runs(tmp_path))
    with pytest.raises(UsageError, match="only JMeter"):
        import_runs(
            DATA / "k6-points.json", candidate="x", runs_dir=_runs(tmp_path), transactions=True
        )
    with pytest.raises(InputError, match="no Transaction Controller samples"):
        src = tmp_path / "results.jtl"
        src.write_text(JMETER)
        import_runs(src, candidate="x", runs_dir=_runs(tmp_path), transactions=True)
    assert not _runs(tmp_path).exists() or not any(_runs(tmp_path).iterdir())


def test_cli_import(tmp_path: Path) -> None:
    src = tmp_path / "results.jtl"
    src.write_text(JMETER)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pockit",
            "import",
            str(src),
            "--candidate",
            "jm",
            "--runs-dir",
            str(_runs(tmp_path)),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["format"] == "jmeter" and data["requests"] == 4 and Path(data["runs"][0]).is_dir()
    bad = subprocess.run(
        [sys.executable, "-m", "pockit", "import", str(tmp_path / "nope.csv"), "--candidate", "jm"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode >= 64 and "no such file" in bad.stderr
    broken = tmp_path / "broken.jtl"
    broken.write_text(JMETER.replace(",120,", ",12ms,"))
    res = subprocess.run(
        [sys.executable, "-m", "pockit", "import", str(broken), "--candidate", "jm"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 65 and "Traceback" not in res.stderr
    assert f"{broken}:2: column 2 (elapsed): '12ms'" in res.stderr


_MUTATIONS = (
    b"\x00",
    b"\xff",
    b"nan",
    b"inf",
    b"1e400",
    b"-1",
    b'"',
    b",",
    b"\n",
    b"<",
    b"{",
    b"}",
)


def test_mutated_files_give_a_pockit_error_or_a_run(tmp_path: Path) -> None:
    """Seeded byte mutations of every fixture (some gzipped): an import either succeeds or
    raises a PockitError (exit 64+); any other exception would be a traceback."""
    rng = random.Random(20261201)
    seeds = [LOCUST.encode(), JMETER.encode()]
    seeds += [
        (DATA / n).read_bytes() for n in sorted(os.listdir(DATA)) if n.endswith((".jtl", ".json"))
    ]
    outcomes: Counter[str] = Counter()
    for i in range(400):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 5)):
            pos = rng.randrange(len(data) + 1)
            roll = rng.random()
            if roll < 0.4:
                data[pos:pos] = rng.choice(_MUTATIONS)
            elif roll < 0.7:
                del data[pos : pos + rng.randint(1, 20)]
            else:
                data[pos : pos + 1] = bytes([rng.randrange(256)])
        src = tmp_path / f"f{i}"
        src.write_bytes(gzip.compress(bytes(data)) if rng.random() < 0.2 else bytes(data))
        try:
            import_runs(
                src,
                candidate="c",
                runs_dir=_runs(tmp_path),
                skip_bad_rows=rng.random() < 0.3,
                transactions=rng.random() < 0.1,
            )
            outcomes["imported"] += 1
        except PockitError as exc:
            assert exc.exit_code >= 64
            outcomes[type(exc).__name__] += 1
    assert outcomes["imported"] > 20 and outcomes["InputError"] > 20, outcomes


# ---------------------------------------------------------------- real JMeter in the suite


class _Shop(http.server.BaseHTTPRequestHandler):
    """GET /home 200; GET /cart 503 on every 2nd call; POST /search 200."""

    carts = 0
    lock = threading.Lock()

    def _send(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path == "/cart":
            with _Shop.lock:
                _Shop.carts += 1
                fail = _Shop.carts % 2 == 0
            self._send(503 if fail else 200, b"busy" if fail else b"cart")
        else:
            self._send(200, b"home")

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(200, b"found")

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def shop_server() -> Iterator[int]:
    """A loopback HTTP server for the JMeter plan; yields its port."""
    _Shop.carts = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def run_jmeter(
    out: Path,
    port: int,
    *,
    xml: bool = False,
    parent: bool = False,
    date_stamps: bool = False,
    jvm_timezone: str = "UTC",
) -> None:
    """``jmeter -n -t checkout.jmx -l OUT`` through data/PockitJMeter.java (see why there)."""
    if shutil.which("java") is None or not (JMETER_HOME / "bin" / "ApacheJMeter.jar").exists():
        pytest.fail(JMETER_HINT)
    plan = out.with_suffix(".jmx")
    text = (DATA / "checkout.jmx").read_text()
    if parent:
        text = text.replace(
            '"TransactionController.parent">false', '"TransactionController.parent">true'
        )
    plan.write_text(text)
    jars = [JMETER_HOME / "bin" / "ApacheJMeter.jar", *sorted((JMETER_HOME / "lib").glob("*.jar"))]
    jars += sorted((JMETER_HOME / "lib" / "ext").glob("*.jar"))
    cmd = [
        "java",
        f"-Duser.timezone={jvm_timezone}",
        f"-Djmeter.home={JMETER_HOME}",
        "-cp",
        os.pathsep.join(map(str, jars)),
        str(DATA / "PockitJMeter.java"),
        "-n",
        "-t",
        str(plan),
        "-l",
        str(out),
        "-j",
        str(out.with_suffix(".log")),
        f"-Jport={port}",
        f"-Jjmeter.save.saveservice.output_format={'xml' if xml else 'csv'}",
        "-Jjmeter.save.saveservice.print_field_names=true",
    ]
    if date_stamps:
        cmd.append("-Jjmeter.save.saveservice.timestamp_format=yyyy/MM/dd HH:mm:ss.SSS")
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and out.exists(), res.stdout + res.stderr


@pytest.mark.slow
def test_real_jmeter_run(tmp_path: Path) -> None:
    """Real JMeter writes CSV (local-time stamps) and XML JTL; both import to the same requests."""
    if shutil.which("jmeter") is None:  # the real tool is the point: fail, never skip
        pytest.fail(JMETER_HINT)
    began = time.time()
    with shop_server() as port:
        run_jmeter(tmp_path / "out.csv.jtl", port, date_stamps=True, jvm_timezone="Asia/Kolkata")
        run_jmeter(tmp_path / "out.xml.jtl", port, xml=True)
    csv_run = _import(tmp_path / "out.csv.jtl", tmp_path, timezone="Asia/Kolkata")
    xml_run = _import(tmp_path / "out.xml.jtl", tmp_path)
    for run in (csv_run, xml_run):
        df = run.read_samples()
        assert df.height == HTTP_SAMPLES and int((~df["ok"]).sum()) == HTTP_FAILED
        assert run.meta[IMPORT_TRANSACTIONS]["transactions"] == TRANSACTIONS
        # the stamps are this test's own time: a zone read wrong would be hours off
        first = moment(df["t_start"].min()).timestamp()
        assert began - 1 <= first <= time.time()
    assert csv_run.meta[IMPORT_TIMEZONE] == "Asia/Kolkata"


LOCUSTFILE = """
from locust import HttpUser, constant, events, task
from locust.contrib.csv_request_logger import CsvRequestLogger

logger = CsvRequestLogger({out!r})


@events.init.add_listener
def on_init(environment, **kwargs):
    logger.register(environment)


class Shopper(HttpUser):
    wait_time = constant(0.05)

    @task
    def browse(self):
        self.client.get("/home")
        self.client.get("/cart")
        self.client.get("http://127.0.0.1:{dead}/gone", name="/gone")  # no listener: status 0
"""


@pytest.mark.slow
def test_real_locust_csv_request_logger(tmp_path: Path) -> None:
    """Locust's own CsvRequestLogger, 2 s against shop_server: every row imports, failures too."""
    out = tmp_path / "requests.csv.gz"  # and written gzipped below, as an archive would be
    plain = tmp_path / "requests.csv"
    with socket.socket() as sock:  # a loopback port that was free and now has no listener
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    locustfile = tmp_path / "lf.py"
    locustfile.write_text(LOCUSTFILE.format(out=str(plain), dead=dead))
    with shop_server() as port:
        res = subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(locustfile),
                "--headless",
                "-u",
                "2",
                "-r",
                "2",
                "-t",
                "2s",
                "-H",
                f"http://127.0.0.1:{port}",
                "--only-summary",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert plain.exists(), res.stderr[-2000:]
    rows = plain.read_text().splitlines()[1:]
    _gzip(plain, out)
    run = _import(out, tmp_path)
    df = run.read_samples()
    assert df.height == len(rows) > 20
    gone = df.filter(df["name"] == "/gone")
    assert gone.height > 0 and not gone["ok"].any() and set(gone["status"].to_list()) == {0}
    cart = df.filter(df["name"] == "/cart")
    assert set(cart.filter(~cart["ok"])["status"].to_list()) == {503}
    assert df.filter(df["ok"])["latency_ms"].null_count() == 0
    assert run.meta[IMPORT_COMPRESSION] == "gzip"


def _write_fixtures() -> None:
    """Regenerate data/jmeter-*.jtl with real JMeter (``python tests/load/test_import.py``)."""
    with shop_server() as port:
        run_jmeter(DATA / "jmeter-checkout.csv.jtl", port)
        run_jmeter(DATA / "jmeter-checkout.xml.jtl", port, xml=True)
        run_jmeter(DATA / "jmeter-parent.xml.jtl", port, xml=True, parent=True)
        run_jmeter(DATA / "jmeter-parent.csv.jtl", port, parent=True)
        run_jmeter(
            DATA / "jmeter-localtime.csv.jtl",
            port,
            date_stamps=True,
            jvm_timezone="Europe/Berlin",
        )
    for leftover in [*DATA.glob("jmeter-*.jmx"), *DATA.glob("jmeter-*.log")]:
        leftover.unlink()


if __name__ == "__main__":
    _write_fixtures()
    print(f"wrote {', '.join(p.name for p in sorted(DATA.glob('jmeter-*.jtl')))}", file=sys.stderr)


def test_decide_and_report_on_imported_runs_with_a_spec_without_load(tmp_path: Path) -> None:
    """Issue 12 item 7: judging imported runs needs no load section and no locustfile."""
    src = tmp_path / "requests.csv"
    src.write_text(LOCUST)
    _import(src, tmp_path, candidate="legacy")
    spec = tmp_path / "poc.yaml"
    spec.write_text(
        "name: imported\nhypothesis: legacy answers.\n"
        "candidates: [{name: legacy, host: 'http://127.0.0.1:8080'}]\n"
        "criteria: [{metric: success_rate, op: '>=', threshold: 0.5}]\n"
    )
    runs = str(_runs(tmp_path))
    assert main(["decide", str(spec), runs]) in (0, 1, 2)  # a verdict, not a SpecError (65)
    out = tmp_path / "report.html"
    assert main(["report", str(spec), runs, "--out", str(out)]) in (0, 1, 2)
    assert "legacy" in out.read_text()
