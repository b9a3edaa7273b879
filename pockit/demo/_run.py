"""``pockit demo``: the whole flow on the bundled demo service, end to end.

1. start the demo service (one child process per variant, 127.0.0.1, free ports);
2. write the demo spec next to the runs;
3. drive each candidate's load by executing ``notebooks/poc_run.ipynb`` through papermill (the
   notebook calls :func:`pockit.run_candidate`, which starts Locust as a subprocess);
4. write a FOCUS 1.2 billing export for the demo window whose tags match the candidates — a
   *generated sample*, and the report says so;
5. decide, then build the report from ``notebooks/poc_report.ipynb`` (papermill + nbconvert).

The service and every Locust process are gone when it ends, also on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pockit._constants import DEMO_DURATION_S
from pockit._contract import RunField
from pockit._errors import LoadError, ReportError

DEMO_VARIANTS = ("baseline", "async")
#: Where ``pockit demo serve`` puts each variant by default (examples/checkout/poc.yaml's hosts).
DEMO_SERVE_PORTS = {"baseline": 8081, "async": 8082}
#: Generated billing label shown in the report wherever the demo's cost appears.
GENERATED_LABEL = "generated sample (pockit demo): not a real cloud bill"
#: Fixed hourly cost of each variant's always-on part (container / provisioned capacity), USD.
DEMO_HOURLY_USD = {"baseline": 0.048, "async": 0.0}


@dataclass(frozen=True)
class DemoResult:
    """What ``pockit demo`` made: the report, the verdict, and where everything else is."""

    report: Path
    verdict: str
    runs: tuple[Path, ...]
    spec: Path
    billing: Path
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "report": str(self.report),
            "verdict": self.verdict,
            "runs": [str(r) for r in self.runs],
            "spec": str(self.spec),
            "billing": str(self.billing),
            "seconds": round(self.seconds, 2),
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
        }


def demo_locustfile() -> Path:
    """The demo's own locustfile: an ordinary user locustfile, used unchanged."""
    return Path(__file__).with_name("locustfile.py")


#: Server-side metrics the demo asks its Prometheus for; ``{candidate}`` is each run's candidate.
DEMO_SERVER_METRICS = (
    {
        "name": "server_p95_ms",
        "unit": "ms",
        "query": "1000 * histogram_quantile(0.95, sum by (le) "
        '(rate(demo_request_duration_seconds_bucket{variant="{candidate}"}[5s])))',
    },
    {
        "name": "server_rps",
        "unit": "req/s",
        "query": 'sum(rate(demo_requests_total{variant="{candidate}"}[5s]))',
    },
)


def write_demo_spec(
    path: Path,
    urls: dict[str, str],
    *,
    duration_s: float,
    users: int,
    prometheus_url: str | None = None,
) -> Path:
    """Write the demo's poc.yaml, pointing at the running demo service (and its Prometheus, if any)."""
    import yaml

    spec = {
        "name": "checkout-demo",
        "hypothesis": (
            "The async variant of checkout holds P95 < 60 ms and 99% success "
            f"at {users} users for under $0.03 per 1k requests."
        ),
        "candidates": [
            {
                "name": name,
                "host": url,
                "tags": {"poc": f"checkout-{name}", "team": "payments"},
                "description": "threaded handler, always-on container"
                if name == "baseline"
                else "event-loop handler, pay per request",
            }
            for name, url in urls.items()
        ],
        "load": {
            "locustfile": str(demo_locustfile()),
            "users": users,
            "spawn_rate": max(users, 1),
            "duration": f"{duration_s:g}s",
        },
        "criteria": [
            {"metric": "latency_p95_ms", "op": "<", "threshold": 60, "key": True, "warn": 10},
            {"metric": "success_rate", "op": ">=", "threshold": 0.99},
            {"metric": "cost_per_1k_usd", "op": "<=", "threshold": 0.03},
            # expired sessions: ~1% of requests are 401s by design; more would mean broken auth
            {"metric": "denied_rate", "op": "<=", "threshold": 0.05},
        ],
        "baseline": {"candidate": "baseline", "margin": 0.10},
        "cost": {"source": "billing/focus-demo.csv", "format": "focus", "column": "effective"},
        "guardrails": {"allowed_hosts": ["127.0.0.1", "localhost"], "max_users": 200},
        **(
            {
                "metrics": [
                    {"kind": "prometheus", "url": prometheus_url, "step": "1s", **m}
                    for m in DEMO_SERVER_METRICS
                ]
            }
            if prometheus_url
            else {}
        ),
        "notes": [
            "Demo runs are short (seconds, not hours): the intervals are wide on purpose.",
            "The billing export is generated from the demo's per-request prices, not pulled from a cloud.",
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def write_demo_billing(path: Path, runs: list[Path]) -> Path:
    """A FOCUS 1.2 export for demo runs: per-request price × measured rate, as hourly rows.

    Each variant's cost accrues at a steady rate while its load runs (its per-request price times
    the requests it served over all its runs' seconds, plus its hourly always-on part), so each
    hourly row says what a full hour at that rate would cost; attribution then prorates it back to
    each run's window. One row per variant and hour, however many runs (repeats) fall in that hour:
    a row per run would overlap every run of the hour and bill the same requests again.
    """
    from pockit._rundir import RunDir
    from pockit.demo._service import COST_PER_REQUEST_USD
    from pockit.sources import write_focus_export

    totals: dict[str, dict[str, Any]] = {}
    for run_path in runs:
        run = RunDir.open(run_path)
        start, end = run.start, run.end or run.start
        t = totals.setdefault(
            run.candidate,
            {"seconds": 0.0, "requests": 0, "hours": set(), "tags": run.meta.get(RunField.TAGS)},
        )
        t["seconds"] += max((end - start).total_seconds(), 1e-3)
        t["requests"] += run.scan_samples().select("latency_ms").collect().height
        hour = start.replace(minute=0, second=0, microsecond=0)
        while hour < end:
            t["hours"].add(hour)
            hour += timedelta(hours=1)
    usages: list[dict[str, Any]] = []
    for variant, t in totals.items():
        per_second = (
            t["requests"] * COST_PER_REQUEST_USD[variant] / t["seconds"]
            + DEMO_HOURLY_USD[variant] / 3600
        )
        for hour in sorted(t["hours"]):
            usages.append(
                {
                    "start": hour,
                    "end": hour + timedelta(hours=1),
                    "cost": per_second * 3600,
                    "tags": dict(t["tags"] or {}),
                    "service": "AWS Lambda"
                    if variant == "async"
                    else "Amazon Elastic Container Service",
                    "resource_id": f"arn:aws:demo:us-east-1:000000000000:{variant}",
                    "quantity": t["requests"] * 3600 / t["seconds"],
                    "unit": "Requests",
                    "currency": "USD",
                    "provider": "AWS",
                }
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_focus_export(path, usages)
    return path


def _run_dirs(runs_dir: Path) -> list[Path]:
    if not runs_dir.is_dir():
        return []
    return sorted(p for p in runs_dir.iterdir() if (p / "run.json").is_file())


def _notebook(name: str) -> Path:
    from pockit.report import notebook_path

    return notebook_path(name)


def run_demo(
    *,
    out: str | Path = "reports/demo.html",
    workdir: str | Path | None = None,
    duration_s: float = DEMO_DURATION_S,
    users: int = 10,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> DemoResult:
    """Run the demo end to end and return where the report is and what it decided.

    ``workdir`` (default ``runs/demo-<UTC stamp>``) receives the spec, the billing sample, the run
    directories and the executed notebooks.
    """
    from pockit.demo._prometheus import DEMO_ALERT_RULES, PrometheusServer, prometheus_binary
    from pockit.demo._service import DemoService
    from pockit.report import (
        REPORT_NOTEBOOK,
        build_report,
        execute_notebook,
        pick_kernel,
        report_paths,
    )
    from pockit.spec import load_spec

    report_paths(out, REPORT_NOTEBOOK)  # a wrong --out fails now, not after the load ran
    say = log or (lambda _msg: None)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = Path(workdir) if workdir else Path("runs") / f"demo-{stamp}"
    work.mkdir(parents=True, exist_ok=True)
    runs_dir = work / "runs"
    kernel = pick_kernel()

    with contextlib.ExitStack() as stack:
        service = stack.enter_context(DemoService(variants=DEMO_VARIANTS))
        urls = {v: service.url(v) for v in DEMO_VARIANTS}
        say(f"demo service up: {', '.join(f'{k} {u}' for k, u in urls.items())}")
        prom_url = None
        if prometheus_binary():
            try:  # server-side metrics are a bonus of the demo, never a reason for it to fail
                prom = stack.enter_context(
                    PrometheusServer(list(urls.values()), rules=DEMO_ALERT_RULES)
                )
                prom_url = prom.url
                say(f"prometheus scraping the demo service: {prom_url}")
            except LoadError as exc:
                say(
                    f"prometheus did not start ({exc}): the report will have no server-side metrics"
                )
        else:
            say("prometheus not installed: the report will have no server-side metrics")
        spec_path = write_demo_spec(
            work / "poc.yaml", urls, duration_s=duration_s, users=users, prometheus_url=prom_url
        )
        for variant in DEMO_VARIANTS:
            say(
                f"loading {variant} for {duration_s:g}s with {users} users (notebooks/poc_run.ipynb)"
            )
            t0 = time.perf_counter()
            execute_notebook(
                _notebook("poc_run.ipynb"),
                work / f"poc_run-{variant}.ipynb",
                {
                    "spec_path": str(spec_path.resolve()),
                    "candidate": variant,
                    "runs_dir": str(runs_dir.resolve()),
                    "progress": progress,
                },
                kernel_name=kernel,
                cwd=work,
            )
            timings[f"load_{variant}"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    runs = _run_dirs(runs_dir)
    if len(runs) < len(DEMO_VARIANTS):
        raise ReportError(
            f"demo: expected {len(DEMO_VARIANTS)} run directories in {runs_dir}, found {len(runs)}"
        )
    billing = write_demo_billing(work / "billing" / "focus-demo.csv", runs)
    spec = load_spec(spec_path)
    result = build_report(spec, runs, out, billing_label=GENERATED_LABEL)
    say(f"verdict: {result.verdict}")
    timings["report"] = time.perf_counter() - t0
    return DemoResult(
        report=Path(result.path).resolve(),
        verdict=str(result.verdict),
        runs=tuple(runs),
        spec=spec_path,
        billing=billing,
        seconds=time.perf_counter() - started,
        timings=timings,
    )
