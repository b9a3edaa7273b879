"""Time to detect on a real run (issue 15): real Locust against the demo service with an injected
error fault, Debian's Prometheus scraping it with the demo's alert rule, all on 127.0.0.1.

The truth is the fault_start event (the knob acts on the next request). Client side, ``detect_s``
is within its 1 s bucket of it. By alert, ``detect_alert_s:page`` adds what Prometheus needs before
the rule can fire: the 5xx series is born at the first scrape after the fault and ``rate`` needs a
second sample (≤ 2 scrape intervals), the rule is evaluated every interval (≤ 1), and the query
step puts the firing on the next step (≤ 1): with 1 s for each, at most 4 s after the fault.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from pockit import RunDir, load_spec
from pockit._contract import EventKind, events_of, parse_iso
from pockit.decision import decide
from pockit.demo._prometheus import DEMO_ALERT, DEMO_ALERT_RULES, PrometheusServer
from pockit.demo._service import DemoService
from pockit.load import run_candidate

pytestmark = pytest.mark.slow

#: scrape (series birth, then rate's second sample) + evaluation + query step, 1 s each
ALERT_BOUND_S = 2 * 1.0 + 1.0 + 1.0
#: scheduling slack on a shared 2-core machine (Prometheus scrapes and evaluates on timers)
SLACK_S = 0.5


def _first_firing(prom_url: str, start: datetime, end: datetime) -> datetime | None:
    """When Prometheus first had the alert firing, at 0.1 s resolution (a finer look than the
    criterion's 1 s step: ALERTS samples carry the evaluation's timestamp)."""
    query = f'ALERTS{{alertname="{DEMO_ALERT}",alertstate="firing"}}'
    params: dict[str, str | float] = {
        "query": query,
        "start": start.timestamp(),
        "end": end.timestamp(),
        "step": 0.1,
    }
    res = requests.get(
        f"{prom_url}/api/v1/query_range",
        params=params,
        timeout=10,
    ).json()["data"]["result"]
    stamps = [float(ts) for series in res for ts, _ in series["values"]]
    return datetime.fromtimestamp(min(stamps), tz=UTC) if stamps else None


def test_alert_and_client_detection_of_an_injected_error_fault(
    make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    with DemoService(variants=("async",)) as svc:
        base = svc.url("async")
        with PrometheusServer([base], rules=DEMO_ALERT_RULES) as prom:
            time.sleep(2.0)  # a scrape or two of the healthy service before the load
            path = make_spec(
                {"async": base},
                load={"users": 4, "duration": "12s"},
                faults=[{"kind": "error_rate", "at": "3s", "duration": "5s", "value": 0.5}],
                metrics=[
                    {
                        "name": "page",
                        "kind": "prometheus",
                        "url": prom.url,
                        "query": f'ALERTS{{alertname="{DEMO_ALERT}",alertstate="firing",'
                        'variant="{candidate}"}',
                        "step": 1,
                    }
                ],
                criteria=[
                    {"metric": "error_rate", "op": "<", "threshold": 0.05},
                    {"metric": "detect_s", "op": "<=", "threshold": 2},
                    {"metric": "detect_alert_s:page", "op": "<=", "threshold": 10},
                ],
            )
            [run_path] = run_candidate(path, "async", runs_dir=tmp_path / "runs", progress=False)
            run = RunDir.open(run_path)
            assert run.end is not None
            fired = _first_firing(prom.url, run.start - timedelta(seconds=5), run.end)
    [start_ev] = events_of(run.events(), EventKind.FAULT_START)
    truth = parse_iso(str(start_ev["ts"]))
    _, det, alert = decide(load_spec(path), [run_path]).criteria
    # client side: the first 1 s bucket from the fault start breaches 5% errors
    assert 0.0 <= det.estimate <= 1.0 and det.details["faults"][0]["by"] == "error_rate", det.reason
    assert det.ci_high - det.ci_low == 1.0 and det.outcome == "PASS"
    # by alert: within the Prometheus timing bound of the truth, and on the step after the firing
    assert alert.outcome == "PASS", alert.reason
    assert 0.0 < alert.estimate <= ALERT_BOUND_S + SLACK_S, alert.reason
    assert alert.ci_high - alert.ci_low == pytest.approx(1.0)
    assert fired is not None
    fine = (fired - truth).total_seconds()
    assert alert.ci_low - 0.1 <= fine <= alert.estimate + 0.1, (fine, alert.reason)
    print(
        f"\nfault_start → detect_s {det.estimate:g} s; alert fired {fine:.2f} s (Prometheus), "
        f"detect_alert_s {alert.estimate:.2f} s [{alert.ci_low:.2f}, {alert.ci_high:.2f}]"
    )
