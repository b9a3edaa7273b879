"""``load.stop_when: decided``: a watcher that answers "stop now, and why?" while a run goes.

Every few seconds the supervisor calls :meth:`StopWhenDecided.poll`. It reads only the Parquet
batches the capture plugin finished since the last poll (dot-named partial files are skipped, as
every reader does), adds their counts to the running totals, and judges each watched criterion by
its anytime-valid bound (:func:`pockit.analysis.evaluate_sequential`). Once the minimum duration has passed
and every watched criterion is PASS or FAIL, it says stop. Because the bounds hold at every look,
stopping there keeps each criterion's error at the stated 5%; the fixed-length bound would not.

Remote workers (``pockit worker``) write their batches on their own machine; when the plan has any,
the master asks them to send each batch as they write it and keeps it in ``locust/live/``
(:mod:`pockit.load._protocol`), so the watcher counts their requests too. ``pockit gather`` brings
the authoritative copies into ``samples/`` after the run.

Watched are the criteria that are shares of requests (latency percentiles, success and error
rates, the error-budget burn when the spec has an SLO target). Others (cost, throughput, server
metrics, recovery, cold start) cannot be decided from the samples while the run goes: they are
listed as ``unwatched`` and judged after the run as always.

A run's :class:`~pockit.load._plan.Plan` holds a :class:`StopWhenRule` when the spec says
``load.stop_when: decided``; the rule makes one watcher per run directory (so each repeat is judged
on its own samples; local workers write theirs into the same directory), and the supervisor's
:class:`~pockit.load._watchers.StopWhen` calls :meth:`StopWhenDecided.step`. Every look is saved
into run.json's ``stop_when`` record with the bounds so far, so the report can draw them over time.

>>> watcher = StopWhenDecided(run_dir, spec.criteria, min_duration_s=30)   # doctest: +SKIP
>>> check = watcher.poll()                                                  # doctest: +SKIP
>>> check.stop, check.reason                                                # doctest: +SKIP
(True, 'decided after 41 s: latency_p95_ms < 300 PASS, success_rate >= 0.99 PASS')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, cast

from pockit._constants import CONFIDENCE, STOP_WHEN_MIN_DURATION_S, STOP_WHEN_POLL_S
from pockit._contract import EventKind, RunField, StopWhenKey, events_of, parse_iso
from pockit._rundir import RunDir, iso, utcnow
from pockit.analysis import (
    METHOD_SEQUENTIAL,
    PRIOR_N,
    SequentialResult,
    evaluate_sequential,
    share_counts,
    share_test,
)
from pockit.load._batches import run_batches

Require = Literal["all", "key"]

#: Poll interval the supervisor should use (seconds): the capture plugin flushes every 2 s.
POLL_S = STOP_WHEN_POLL_S
#: Shortest run ``stop_when: decided`` stops, unless the spec says otherwise: a warm-up
#: transient or a slow drift needs time to show before an early answer is trusted.
MIN_DURATION_S = STOP_WHEN_MIN_DURATION_S


@dataclass(frozen=True)
class StopCheck:
    """The answer of one poll: whether to stop, why, and each watched criterion's state."""

    stop: bool
    reason: str
    elapsed_s: float
    at: datetime
    results: tuple[SequentialResult, ...]
    unwatched: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The ``stop_when`` record for run.json: why and when the run stopped (or would not)."""
        return {
            StopWhenKey.RULE: "decided",
            StopWhenKey.STOP: self.stop,
            StopWhenKey.REASON: self.reason,
            StopWhenKey.AT: iso(self.at),
            StopWhenKey.ELAPSED_S: self.elapsed_s,
            StopWhenKey.CRITERIA: [r.to_dict() for r in self.results],
            StopWhenKey.UNWATCHED: list(self.unwatched),
            StopWhenKey.METHOD: METHOD_SEQUENTIAL,
        }


@dataclass
class StopWhenDecided:
    """Watch a run directory's samples; stop when every watched criterion is decided.

    ``require="key"`` watches only the key criteria (all share criteria when none is key).
    ``clock`` is injectable for tests; it defaults to the wall clock in UTC. Time counts from the
    capture plugin's ``load_start`` event once there is one (workers connected, load begun), from
    the run directory's start before that.
    """

    run: RunDir
    criteria: Sequence[Any]
    min_duration_s: float = MIN_DURATION_S
    require: Require = "all"
    slo_target: float | None = None
    confidence: float = CONFIDENCE
    prior_n: float = PRIOR_N
    clock: Callable[[], datetime] = utcnow
    history: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        shares = [c for c in self.criteria if share_test(c, slo_target=self.slo_target)]
        keys = [c for c in shares if c.key]
        self.watched = keys if self.require == "key" and keys else shares
        self.unwatched = tuple(c.label for c in self.criteria if c not in self.watched)
        self._seen: set[Path] = set()
        self._counts = [(0, 0, 0) for _ in self.watched]
        self._start = self.run.start
        self._load_started = False
        self._next_look = -math.inf

    def _find_load_start(self) -> None:
        if self._load_started:
            return
        starts = events_of(self.run.events(), EventKind.LOAD_START)
        if starts:
            self._start = parse_iso(str(starts[0]["ts"]))
            self._load_started = True

    def _read_new(self) -> None:
        import polars as pl

        # a batch that cannot be converted is left out here; ConvertBatches names it in run.json
        new = [f for f in run_batches(self.run, problems=[]) if f not in self._seen]
        if not new or not self.watched:
            return
        lf = pl.scan_parquet([str(f) for f in new], missing_columns="insert")
        try:
            got = share_counts(lf, list(self.watched), slo_target=self.slo_target)
        except (pl.exceptions.PolarsError, OSError):
            return  # a batch renamed or still settling: read it at the next look

        self._counts = [
            (n0 + c[0], k0 + c[1], u0 + c[2]) if c is not None else (n0, k0, u0)
            for (n0, k0, u0), c in zip(self._counts, got, strict=True)
        ]
        self._seen.update(new)

    def poll(self) -> StopCheck:
        """Read what the capture finished since the last poll and answer "stop now, and why?"."""
        self._read_new()
        self._find_load_start()
        now = self.clock()
        elapsed = (now - self._start).total_seconds()
        results = []
        for crit, (n, k, unknown) in zip(self.watched, self._counts, strict=True):
            res = evaluate_sequential(
                crit,
                n,
                k,
                unknown=unknown,
                slo_target=self.slo_target,
                confidence=self.confidence,
                prior_n=self.prior_n,
            )
            assert res is not None  # watched criteria are share tests
            results.append(res)
        self.history.append(
            {
                StopWhenKey.AT: iso(now),
                StopWhenKey.ELAPSED_S: elapsed,
                StopWhenKey.CRITERIA: [
                    {
                        StopWhenKey.LABEL: c.label,
                        StopWhenKey.METRIC: r.metric,
                        StopWhenKey.N: r.n,
                        StopWhenKey.LO: r.ci_low,
                        StopWhenKey.HI: r.ci_high,
                        StopWhenKey.OUTCOME: r.outcome,
                    }
                    for c, r in zip(self.watched, results, strict=True)
                ],
            }
        )
        decided = [r for r in results if r.outcome in ("PASS", "FAIL")]
        summary = ", ".join(
            f"{c.label} {r.outcome}" for c, r in zip(self.watched, results, strict=True)
        )
        if not results:
            stop, reason = False, "no criterion is a share of requests: nothing to decide early"
        elif len(decided) < len(results):
            stop = False
            reason = f"not decided after {elapsed:.0f} s: {summary}"
        elif elapsed < self.min_duration_s:
            stop = False
            reason = f"decided, but the minimum duration {self.min_duration_s:g} s has not passed ({elapsed:.0f} s): {summary}"
        else:
            stop = True
            reason = f"decided after {elapsed:.0f} s: {summary}"
        if self.unwatched and results:
            reason += f"; judged after the run: {', '.join(self.unwatched)}"
        return StopCheck(stop, reason, elapsed, now, tuple(results), self.unwatched)

    def record(self, check: StopCheck) -> dict[str, Any]:
        """run.json's ``stop_when``: the latest look, the rule's settings, and every look so far
        (a bound not known yet, before any request, is null: JSON has no NaN)."""
        out = {
            **check.to_dict(),
            StopWhenKey.REQUIRE: self.require,
            StopWhenKey.MIN_DURATION_S: self.min_duration_s,
            StopWhenKey.LABELS: [c.label for c in self.watched],
            StopWhenKey.HISTORY: list(self.history),
        }
        return cast(dict[str, Any], _json_safe(out))

    def step(self, now: float) -> StopCheck | None:
        """For the supervisor's loop (``now`` on its monotonic clock): look every :data:`POLL_S`,
        save the look into run.json, and return it when it says stop (None otherwise)."""
        if now < self._next_look:
            return None
        self._next_look = now + POLL_S
        return self.finish()

    def finish(self) -> StopCheck | None:
        """One more look now (after the load, so the last batches count), saved into run.json;
        returned when it says stop."""
        check = self.poll()
        self.run.update_meta(**{RunField.STOP_WHEN.value: self.record(check)})
        return check if check.stop else None


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


@dataclass(frozen=True, kw_only=True)
class StopWhenRule:
    """``load.stop_when: decided`` as a run plan holds it; :meth:`watch` makes one run's watcher."""

    criteria: tuple[Any, ...]
    min_duration_s: float = MIN_DURATION_S
    require: Require = "all"
    slo_target: float | None = None

    @classmethod
    def from_spec(cls, spec: Any) -> StopWhenRule | None:
        """The rule of ``spec`` (a :class:`pockit.spec.Spec`), or None when ``stop_when`` is off."""
        load = spec.load
        if getattr(load, "stop_when", "off") != "decided":
            return None
        return cls(
            criteria=tuple(spec.criteria),
            min_duration_s=load.stop_when_min_duration_s,
            require=load.stop_when_require,
            slo_target=spec.slo_target,
        )

    def watch(self, run: RunDir) -> StopWhenDecided:
        return StopWhenDecided(
            run,
            self.criteria,
            min_duration_s=self.min_duration_s,
            require=self.require,
            slo_target=self.slo_target,
        )
