"""``pockit import``: Locust csv_request_logger, JMeter JTL CSV and k6 JSON into run directories.

Fixtures are written in each tool's documented layout (Locust's ``CSV_COLUMNS``; JMeter's default
CSV JTL header; k6's ``--out json`` Metric/Point lines), then read back through run_stats.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pockit._errors import InputError
from pockit._rundir import RunDir
from pockit.analysis import run_stats
from pockit.load._import import import_runs, sniff_format

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


def k6_lines() -> str:
    metric = {
        "type": "Metric",
        "data": {
            "name": "http_req_duration",
            "type": "trend",
            "contains": "time",
            "thresholds": [],
            "submetrics": None,
        },
        "metric": "http_req_duration",
    }
    lines = [json.dumps(metric)]
    for i, (status, dur) in enumerate([("200", 80.5), ("200", 91.25), ("503", 12.0)]):
        tags = {
            "expected_response": "true" if status == "200" else "false",
            "group": "",
            "method": "GET",
            "name": "http://127.0.0.1:8080/api/items",
            "proto": "HTTP/1.1",
            "scenario": "default",
            "status": status,
            "url": "http://127.0.0.1:8080/api/items",
        }
        lines.append(
            json.dumps(
                {
                    "metric": "http_reqs",
                    "type": "Point",
                    "data": {
                        "time": f"2026-11-26T06:00:0{i}.500000123+01:00",
                        "value": 1,
                        "tags": tags,
                    },
                }
            )
        )
        lines.append(
            json.dumps(
                {
                    "metric": "http_req_duration",
                    "type": "Point",
                    "data": {
                        "time": f"2026-11-26T06:00:0{i}.500000123+01:00",
                        "value": dur,
                        "tags": tags,
                    },
                }
            )
        )
    return "\n".join(lines) + "\n"


def test_locust_csv(tmp_path: Path) -> None:
    src = tmp_path / "requests.csv"
    src.write_text(LOCUST)
    assert sniff_format(src) == "locust-csv"
    [path] = import_runs(src, candidate="legacy", runs_dir=tmp_path / "runs")
    run = RunDir.open(path)
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
    stats = run_stats([path]).to_dict()
    assert stats["n"] == 5 and stats["success_rate"] == pytest.approx(0.6)


def test_jmeter_jtl(tmp_path: Path) -> None:
    src = tmp_path / "results.jtl"
    src.write_text(JMETER)
    assert sniff_format(src) == "jmeter"
    [path] = import_runs(src, candidate="jm", runs_dir=tmp_path / "runs")
    df = RunDir.open(path).read_samples()
    assert df["latency_ms"].to_list() == [120.0, 98.0, 230.0, 2004.0]
    assert df["name"].to_list() == ["Home Page", "Home Page", "Login", "Login"]
    assert df["status"].to_list() == [200, 200, 500, 0]
    assert df["ok"].to_list() == [True, True, False, False]
    assert df["error"].to_list()[2] == "Test failed: code expected to contain /200/"
    assert df["bytes"].to_list()[0] == 1591
    assert str(df["t_start"][0]).startswith("2025-11-26 06:00:00.123")


def test_k6_json(tmp_path: Path) -> None:
    src = tmp_path / "k6.json"
    src.write_text(k6_lines())
    assert sniff_format(src) == "k6"
    [path] = import_runs(src, format="k6", candidate="k", runs_dir=tmp_path / "runs")
    df = RunDir.open(path).read_samples()
    assert df.height == 3  # http_reqs points are not requests of their own
    assert df["latency_ms"].to_list() == [80.5, 91.25, 12.0]
    assert df["ok"].to_list() == [True, True, False] and df["status"].to_list() == [200, 200, 503]
    # k6 stamps the end: start = 05:00:00.500000123Z - 80.5 ms
    assert str(df["t_start"][0]).startswith("2026-11-26 05:00:00.4195")


def test_unknown_and_empty_files(tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(InputError, match="cannot tell the format"):
        import_runs(odd, candidate="x", runs_dir=tmp_path / "runs")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        import_runs(empty, candidate="x", runs_dir=tmp_path / "runs")
    header_only = tmp_path / "h.csv"
    header_only.write_text(LOCUST.splitlines()[0] + "\n")
    with pytest.raises(InputError, match="no requests"):
        import_runs(header_only, candidate="x", runs_dir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


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
            str(tmp_path / "runs"),
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
