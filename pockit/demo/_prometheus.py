"""A real Prometheus (Debian's ``prometheus`` package) scraping loopback targets, for the demo and tests.

The demo uses it, when installed, to put server-side metrics beside the client's view; ``make test``
installs it, ``make demo`` does not require it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from pockit._errors import LoadError
from pockit._util import stop_processes

#: How often the demo's Prometheus scrapes; metrics are queried at this step.
SCRAPE_INTERVAL_S = 1.0
_READY_TIMEOUT_S = 20.0
#: The demo's alerting rule: a variant answering more than 5% of its requests with a 5xx over the
#: last 4 s. Prometheus evaluates it every scrape interval; firing alerts are the ``ALERTS`` series
#: (``ALERTS{alertname="DemoErrorRateHigh", alertstate="firing"}``), which time to detect reads.
DEMO_ALERT = "DemoErrorRateHigh"
DEMO_ALERT_RULES = f"""groups:
  - name: pockit-demo
    rules:
      - alert: {DEMO_ALERT}
        expr: >-
          sum by (variant) (rate(demo_requests_total{{status=~"5.."}}[4s]))
          / sum by (variant) (rate(demo_requests_total[4s])) > 0.05
        for: 0s
        labels:
          severity: page
        annotations:
          summary: "{{{{ $labels.variant }}}} answers more than 5% of requests with a 5xx"
"""


def prometheus_binary() -> str | None:
    """Path of the ``prometheus`` executable, or None when it is not installed."""
    return shutil.which("prometheus") or (
        "/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrometheusServer:
    """Prometheus on a free 127.0.0.1 port with its own temporary storage, scraping ``targets``.

    >>> with PrometheusServer(["127.0.0.1:8081"]) as prom:      # doctest: +SKIP
    ...     prom.url                                            # 'http://127.0.0.1:41231'
    """

    def __init__(
        self,
        targets: list[str],
        *,
        scrape_interval_s: float = SCRAPE_INTERVAL_S,
        rules: str | None = None,
        port: int | None = None,
    ) -> None:
        self.targets = [
            t.removeprefix("http://").removeprefix("https://").rstrip("/") for t in targets
        ]
        self.scrape_interval_s = scrape_interval_s
        #: alerting/recording rules (Prometheus rule-file YAML) loaded at start, or None
        self.rules = rules
        #: where it listens on 127.0.0.1 (None: a free port)
        self.port = port
        self.url = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __repr__(self) -> str:
        return f"PrometheusServer(targets={self.targets!r}, url={self.url!r})"

    def start(self) -> PrometheusServer:
        import requests

        binary = prometheus_binary()
        if binary is None:
            raise LoadError(
                "prometheus is not installed (Debian: apt-get install prometheus; make system-deps)"
            )
        self._tmp = tempfile.TemporaryDirectory(prefix="pockit-prom-")
        tmp = Path(self._tmp.name)
        targets = ", ".join(f"'{t}'" for t in self.targets)
        rule_files = ""
        if self.rules is not None:
            (tmp / "rules.yml").write_text(self.rules)
            rule_files = f"rule_files: ['{tmp / 'rules.yml'}']\n"
        (tmp / "prometheus.yml").write_text(
            f"global:\n  scrape_interval: {self.scrape_interval_s:g}s\n"
            f"  evaluation_interval: {self.scrape_interval_s:g}s\n"
            f"{rule_files}"
            f"scrape_configs:\n  - job_name: pockit\n    static_configs:\n      - targets: [{targets}]\n"
        )
        port = self.port or _free_port()
        self._proc = subprocess.Popen(
            [
                binary,
                f"--config.file={tmp / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self.stop()
                raise LoadError(f"prometheus exited at start (code {self._proc.returncode})")
            try:
                if requests.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise LoadError(f"prometheus did not become ready in {_READY_TIMEOUT_S:g} s")

    def stop(self) -> None:
        if self._proc is not None:
            stop_processes([self._proc], grace_s=10, kill_wait_s=5)
        self._proc = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> PrometheusServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
