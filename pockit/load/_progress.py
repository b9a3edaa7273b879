"""Live progress of a load run: a bar in a terminal or a notebook, a plain line every N s in a log.

Where the output goes decides how it looks:

- a notebook kernel (ipykernel, with ipywidgets): tqdm's widget, which ends green when the run
  completed and red when it failed or was aborted;
- a terminal (stderr is a TTY): tqdm's text bar, redrawn in place;
- anything else (CI logs, papermill's log, ``| tee``): no carriage returns, one line every
  :data:`PROGRESS_EVERY_S` seconds (``POCKIT_PROGRESS_EVERY_S`` overrides it).

The plugin in the Locust process writes ``.progress.json`` (users, requests, failures); this module
only reads it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Literal, TextIO

#: Outside a terminal or notebook, one progress line this often (seconds).
PROGRESS_EVERY_S = 10.0
#: A completed run whose bar is this far below its total stopped early: it stays red.
_EARLY_S = 5.0

Mode = Literal["notebook", "terminal", "lines"]


def progress_every_s() -> float:
    """:data:`PROGRESS_EVERY_S`, or ``POCKIT_PROGRESS_EVERY_S`` when it is a positive number."""
    raw = os.environ.get("POCKIT_PROGRESS_EVERY_S", "")
    try:
        value = float(raw)
    except ValueError:
        return PROGRESS_EVERY_S
    return value if value > 0 else PROGRESS_EVERY_S


def progress_mode(stream: TextIO | None = None) -> Mode:
    """``notebook`` in a Jupyter kernel, ``terminal`` when ``stream`` is a TTY, else ``lines``."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
    if shell is not None and getattr(shell, "kernel", None) is not None:
        return "notebook"
    stream = stream if stream is not None else sys.stderr
    try:
        return "terminal" if stream.isatty() else "lines"
    except (AttributeError, ValueError):  # a closed or odd stream: no bar
        return "lines"


class Progress:
    """Reads the plugin's snapshot each poll, keeps the measured rate, shows it as the mode says."""

    def __init__(
        self,
        path: Path,
        *,
        total_s: float,
        desc: str,
        window_s: float,
        enabled: bool,
        stream: TextIO | None = None,
    ) -> None:
        self.path = path
        self.total_s = total_s
        self.desc = desc
        self.window = window_s  # a master hears from its workers every 3 s: measure over longer
        self.stream = stream if stream is not None else sys.stderr
        self.mode: Mode | None = progress_mode(self.stream) if enabled else None
        self.every = progress_every_s()
        self.bar: Any = None
        self.t0: float | None = None
        self.last: tuple[float, int] | None = None
        self.next_line: float | None = None
        self.rps = 0.0
        if self.mode in ("notebook", "terminal"):
            self.bar = _make_bar(
                total=total_s, desc=desc, notebook=self.mode == "notebook", stream=self.stream
            )

    def _measure(self, snap: dict[str, Any]) -> None:
        """Requests/s between two snapshots, over the time the plugin wrote them at (``t``), not
        the time this process read them: Locust writes one a second and the supervisor polls on
        its own clock, so a stale snapshot then a fresh one would count two seconds of requests
        as one (a spurious ``guardrails.max_rps`` stop at twice the real rate)."""
        t, n = snap.get("t"), snap.get("requests")
        if not isinstance(t, int | float) or not isinstance(n, int):
            return
        if self.last is None or t - self.last[0] >= self.window:
            if self.last is not None and n >= self.last[1] and t > self.last[0]:
                self.rps = (n - self.last[1]) / (t - self.last[0])
            self.last = (float(t), n)

    @property
    def elapsed(self) -> float:
        return 0.0 if self.t0 is None else time.monotonic() - self.t0

    def update(self) -> dict[str, Any] | None:
        """The plugin's latest snapshot (None before its first), after refreshing the display."""
        try:
            snap: dict[str, Any] = json.loads(self.path.read_text())
        except (OSError, json.JSONDecodeError):
            return None
        now = time.monotonic()
        if self.t0 is None:
            self.t0 = now
            self.next_line = now + self.every
        self._measure(snap)
        if self.bar is not None:
            self.bar.n = min(self.bar.total, round(now - self.t0, 1))
            self.bar.set_postfix_str(_short(snap, self.rps), refresh=False)
            self.bar.refresh()
        elif self.mode == "lines" and self.next_line is not None and now >= self.next_line:
            self.next_line = now + self.every
            self.stream.write(_line(self.desc, now - self.t0, self.total_s, snap, self.rps) + "\n")
            self.stream.flush()
        return snap

    def close(self, *, ok: bool) -> None:
        """Finish the bar: full and green when the run completed, red at where it stopped otherwise."""
        bar = self.bar
        if bar is None:
            return
        if ok and bar.n >= bar.total - _EARLY_S:
            bar.n = bar.total  # the bar counts from the first snapshot, a second or so late
            bar.refresh()
        elif hasattr(bar, "container"):  # the notebook widget: red even when the bar is full
            bar.disp(bar_style="danger", check_delay=False)
        bar.close()


def _short(snap: dict[str, Any], rps: float) -> str:
    """The bar's postfix, short enough for one line beside the widget."""
    err = snap["failures"] / snap["requests"] if snap["requests"] else 0.0
    return f"{snap['users']} users, {rps:.0f} req/s, {err:.1%} err"


def _line(desc: str, elapsed: float, total: float, snap: dict[str, Any], rps: float) -> str:
    """One log line: elapsed, users, rate, errors (count and share)."""
    n, failed = snap["requests"], snap["failures"]
    share = f"{failed / n:.2%}" if n else "0.00%"
    return (
        f"{desc}: {elapsed:.0f}s of {total:g}s, {snap['users']} users, {rps:.1f} req/s, "
        f"{n} requests, errors {failed} ({share})"
    )


def _make_bar(*, total: float, desc: str, notebook: bool, stream: TextIO) -> Any:
    import importlib.util

    tqdm: Any
    if notebook and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm

        # the widget draws the bar: the text keeps only what the bar does not show
        bar_format = "{desc} {n:.0f}/{total:.0f}s{bar}{percentage:3.0f}%{postfix}"
    else:  # the notebook bar needs ipywidgets: without it, text in the cell's stderr
        from tqdm.std import tqdm

        bar_format = (
            "{desc}: {percentage:3.0f}%|{bar:20}| {n:.0f}/{total:.0f}s [{elapsed}]{postfix}"
        )
    return tqdm(
        total=total,
        desc=desc,
        unit="s",
        file=stream,
        mininterval=0.5,
        bar_format=bar_format,
    )
