"""``pockit demo``: the whole flow on the bundled demo service, ending in an HTML report."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pockit._constants import DEMO_DURATION_S
from pockit.commands._output import add_json_flag, emit


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="run the whole flow on the bundled demo service",
        description="Start the demo service on 127.0.0.1, load each candidate with Locust (through "
        "notebooks/poc_run.ipynb), generate a FOCUS billing sample, decide, and write the HTML "
        "report. Exit code: 0 when the report was written, whatever the verdict.",
    )
    parser.add_argument(
        "--out", default="reports/demo.html", help="report path (default: %(default)s)"
    )
    parser.add_argument(
        "--workdir",
        default=None,
        help="where the spec, billing, runs and notebooks go (default: runs/demo-<UTC stamp>)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=DEMO_DURATION_S,
        help="seconds of load per candidate (default: %(default)s)",
    )
    parser.add_argument(
        "--users", type=int, default=10, help="concurrent Locust users (default: %(default)s)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_json_flag(parser)
    parser.set_defaults(func=run)

    parts = parser.add_subparsers(dest="demo_part", metavar="{serve,billing}")
    serve = parts.add_parser(
        "serve",
        help="start the demo service's variants on 127.0.0.1 and print their URLs",
        description="Start the demo service's variants (baseline, async) on 127.0.0.1, print each "
        "URL, and serve until Ctrl-C or SIGTERM: the targets of examples/checkout/poc.yaml. "
        "Each variant has the /admin/fault and /admin/kill knobs the spec's faults use, and is "
        "restarted after a kill by this command (its supervisor).",
    )
    serve.add_argument(
        "--port",
        action="append",
        type=_variant_port,
        default=[],
        metavar="VARIANT=PORT",
        help="where a variant listens (repeatable; default baseline=8081 async=8082)",
    )
    serve.add_argument(
        "--seconds", type=float, default=None, help="stop after this long (default: until Ctrl-C)"
    )
    serve.add_argument(
        "--prometheus",
        type=int,
        default=None,
        metavar="PORT",
        help="also start Debian's prometheus on 127.0.0.1:PORT, scraping the variants every second "
        "with the demo's alert rule (DemoErrorRateHigh: over 5%% 5xx in 4 s) — the source of "
        "examples/faults/poc.yaml's detect_alert_s:alerts (default: no prometheus)",
    )
    serve.add_argument(
        "--slots",
        type=_slots,
        default=0,
        metavar="N",
        help="serve at most N requests at once per variant, the rest queue: a capacity of about "
        "N ÷ mean service time (baseline ~28 ms, async ~11 ms), the knee a capacity ramp finds "
        "(default 0: no limit)",
    )
    add_json_flag(serve)
    serve.set_defaults(func=run_serve)

    billing = parts.add_parser(
        "billing",
        help="write a FOCUS billing export that covers demo runs' window",
        description="Write a generated FOCUS 1.2 CSV for run directories of the demo service's "
        "variants (candidates named baseline and async): each variant's per-request price times "
        "the requests it served, as hourly rows that cover the runs' window, tagged with each "
        "run's tags. A generated sample, not a real bill.",
    )
    billing.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories (or folders)")
    billing.add_argument("--out", required=True, help="the CSV to write")
    add_json_flag(billing)
    billing.set_defaults(func=run_billing)


def _variant_port(text: str) -> tuple[str, int]:
    from pockit.demo import VARIANTS

    name, sep, port = text.partition("=")
    if not sep or name not in VARIANTS or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(
            f"expected VARIANT=PORT with VARIANT one of {', '.join(VARIANTS)}, got {text!r}"
        )
    return name, int(port)


def _slots(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return int(text)


def run_serve(args: argparse.Namespace) -> int:
    import time

    from pockit._errors import LoadError
    from pockit.demo import DEMO_SERVE_PORTS, DemoService

    ports = dict(args.port) or dict(DEMO_SERVE_PORTS)
    try:
        service = DemoService(variants=tuple(ports), ports=ports, slots=args.slots).start()
    except (OSError, LoadError) as exc:
        raise LoadError(
            f"demo service could not start on ports {ports} ({exc}); "
            "choose others with --port VARIANT=PORT"
        ) from None
    prometheus = None
    try:
        urls = service.urls
        if args.prometheus is not None:
            from pockit.demo import DEMO_ALERT_RULES, PrometheusServer

            prometheus = PrometheusServer(
                list(urls.values()), rules=DEMO_ALERT_RULES, port=args.prometheus
            ).start()
        shown = {**urls, **({"prometheus": prometheus.url} if prometheus else {})}
        human = "\n".join(f"{name}  {url}" for name, url in shown.items())
        emit(args, {"urls": shown}, human + "\nserving until Ctrl-C")
        sys.stdout.flush()
        deadline = None if args.seconds is None else time.monotonic() + args.seconds
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        return 130
    finally:
        if prometheus is not None:
            prometheus.stop()
        service.stop()
    return 0


def run_billing(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pockit._errors import UsageError
    from pockit.commands._output import open_run_args
    from pockit.demo import VARIANTS, write_demo_billing

    runs = open_run_args(args.runs)
    others = sorted({r.candidate for r in runs} - set(VARIANTS))
    if others:
        raise UsageError(
            f"demo billing prices the demo's variants ({', '.join(VARIANTS)}) only; "
            f"these runs' candidates are not: {', '.join(others)}"
        )
    path = write_demo_billing(Path(args.out), [r.path for r in runs])
    data = {"billing": str(path), "runs": [str(r.path) for r in runs]}
    emit(args, data, f"billing: {path} (generated sample for {len(runs)} run(s))")
    return 0


def run(args: argparse.Namespace) -> int:
    from pockit._errors import UsageError
    from pockit.demo import run_demo

    if not 1 <= args.duration <= 600:
        raise UsageError(f"--duration: expected 1 to 600 seconds, got {args.duration:g}")
    if not 1 <= args.users <= 200:
        raise UsageError(f"--users: expected 1 to 200, got {args.users}")

    def log(message: str) -> None:
        if not args.json:
            sys.stderr.write(f"pockit demo: {message}\n")

    result = run_demo(
        out=args.out,
        workdir=args.workdir,
        duration_s=args.duration,
        users=args.users,
        progress=not args.no_progress and not args.json,
        log=log,
    )
    human = f"verdict: {result.verdict}\nreport:  {result.report}"
    emit(args, result.to_dict(), human)
    return 0
