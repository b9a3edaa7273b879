"""``load.shape.kind: capacity``: judge each step of the ramp on its own requests, as it ends.

The ramp is open-model steps of increasing rate (the plan turns them into the pacer's arrival
segments). After step *i* ends and the capture plugin has had time to flush its batches
(:data:`SETTLE_S`), :meth:`CapacityRamp.poll` reads the samples whose intended start (``t_intended``,
the schedule's time, so a request counts in the step that offered it) falls in the step and judges
each knee criterion on them alone:

- the criterion becomes a share test (:func:`pockit.analysis.share_test`: "P95 < 150 ms" is "at least
  95% of requests under 150 ms"), counted the way the decision counts (:func:`share_counts`);
- requests the step offered (rate × step duration) that have not come back yet count as unknown, as
  do successful requests without a usable latency: both are judged at either extreme, so a step
  whose slow requests are still out cannot pass;
- exact one-sided 95% Clopper-Pearson bounds on the share: PASS when the bound on the bad side
  clears the threshold, FAIL when the bound on the good side misses it, INCONCLUSIVE otherwise.

A step passes when every knee criterion passes; the first step that FAILs stops the run (stop code
``capacity_found``). Each judged step goes into run.json's ``capacity`` record at once (the run
may be stopped right after), with its p50/p95 latency and error rate for the report's curve.
``last_pass`` is the highest passing step below the first failing one, ``first_fail`` that step:
the capacity lies between them.

Because a step is judged :data:`SETTLE_S` after it ends, the next step has begun when the ramp
stops; its requests are recorded but not judged, and no step beyond the spec's ``max_rate`` exists.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pockit._constants import CONFIDENCE
from pockit._contract import CapacityKey, CapacityStepKey, EventKind, RunField, events_of, parse_iso
from pockit._rundir import RunDir, iso
from pockit.analysis import clopper_pearson, share_counts, share_test
from pockit.load._batches import run_batches
from pockit.spec import knee_criteria

if TYPE_CHECKING:
    import polars as pl

#: Seconds after a step ends before it is judged: the capture plugin flushes a batch every 2 s.
SETTLE_S = 3.0
#: The judging rule, stated in run.json and in ``capacity_rps``'s method.
METHOD_STEP = (
    "each step judged on the requests it offered (by t_intended): every knee criterion as a share "
    "of requests with exact one-sided 95% Clopper-Pearson bounds, requests not yet back and "
    "unknown latencies judged at both extremes; a step passes when every criterion PASSes"
)


@dataclass(frozen=True)
class StepResult:
    """One step judged: its offered rate, counts, the curve's figures and each criterion's share."""

    index: int
    rate: float
    n: int
    offered: int
    missing: int
    p50_ms: float
    p95_ms: float
    error_rate: float
    outcome: str  # PASS | FAIL | INCONCLUSIVE
    criteria: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        def num(x: float) -> float | None:
            return x if math.isfinite(x) else None  # JSON has no NaN

        return {
            CapacityStepKey.STEP: self.index,
            CapacityStepKey.RATE: self.rate,
            CapacityStepKey.N: self.n,
            CapacityStepKey.OFFERED: self.offered,
            CapacityStepKey.MISSING: self.missing,
            CapacityStepKey.P50_MS: num(self.p50_ms),
            CapacityStepKey.P95_MS: num(self.p95_ms),
            CapacityStepKey.ERROR_RATE: num(self.error_rate),
            CapacityStepKey.OUTCOME: self.outcome,
            CapacityStepKey.CRITERIA: list(self.criteria),
        }


def _bounds(k: int, n: int) -> tuple[float, float]:
    lo, hi = clopper_pearson(k, n, confidence=CONFIDENCE, sides="one")
    return float(lo), float(hi)


def judge_step(
    frame: pl.DataFrame,
    criteria: Sequence[Any],
    *,
    index: int,
    rate: float,
    step_s: float,
    slo_target: float | None = None,
) -> StepResult:
    """Judge one step on ``frame``, the samples it offered (see the module docstring)."""
    import polars as pl

    offered = int(math.floor(rate * step_s))
    n_seen = frame.height
    missing = max(0, offered - n_seen - 1)  # the schedule's last slot may fall either side
    ok = frame.filter(pl.col("ok")) if n_seen else frame
    lat = ok.get_column("latency_ms") if ok.height else None
    p50 = float(lat.quantile(0.5, "linear") or math.nan) if lat is not None else math.nan
    p95 = float(lat.quantile(0.95, "linear") or math.nan) if lat is not None else math.nan
    errors = (n_seen - ok.height) / n_seen if n_seen else math.nan
    counts = share_counts(frame, list(criteria), slo_target=slo_target) if n_seen else []
    judged: list[dict[str, Any]] = []
    for i, crit in enumerate(criteria):
        test = share_test(crit, slo_target=slo_target)
        assert test is not None  # the spec allows only share criteria as the knee
        got = counts[i] if counts else None
        n, k, unknown = got if got is not None else (0, 0, 0)
        n, unknown = n + missing, unknown + missing
        if n == 0:
            outcome, lo, hi = "INCONCLUSIVE", math.nan, math.nan
        else:
            lo, _ = _bounds(k, n)  # the unknown ones not counted / all counted
            _, hi = _bounds(k + unknown, n)
            up = test.good == "greater"  # the share passes by being above p0
            passed = lo > test.p0 if up else hi < test.p0
            failed = hi < test.p0 if up else lo > test.p0
            outcome = "PASS" if passed else "FAIL" if failed else "INCONCLUSIVE"
        judged.append(
            {
                "label": getattr(crit, "label", crit.metric),
                "metric": crit.metric,
                "n": n,
                "k": k,
                "unknown": unknown,
                "share": k / n if n else None,
                "lo": lo if math.isfinite(lo) else None,
                "hi": hi if math.isfinite(hi) else None,
                "p0": test.p0,
                "outcome": outcome,
            }
        )
    outcomes = {j["outcome"] for j in judged}
    step = "FAIL" if "FAIL" in outcomes else "PASS" if outcomes == {"PASS"} else "INCONCLUSIVE"
    return StepResult(index, rate, n_seen, offered, missing, p50, p95, errors, step, tuple(judged))


def knee_rates(steps: Sequence[dict[str, Any]]) -> tuple[float | None, float | None]:
    """(``last_pass``, ``first_fail``): the highest passing step below the first failing one (None
    when none passed), and that failing step's rate (None when no step failed)."""
    K = CapacityStepKey
    first_fail = next((s for s in steps if s.get(K.OUTCOME) == "FAIL"), None)
    below = [s for s in steps if first_fail is None or s[K.STEP] < first_fail[K.STEP]]
    passed = [float(s[K.RATE]) for s in below if s.get(K.OUTCOME) == "PASS"]
    return (max(passed) if passed else None), (
        None if first_fail is None else float(first_fail[K.RATE])
    )


@dataclass
class CapacityRamp:
    """Watch one run directory's ramp: :meth:`poll` judges each step once it has settled."""

    run: RunDir
    rates: tuple[float, ...]
    step_s: float
    criteria: Sequence[Any]
    slo_target: float | None = None
    settle_s: float = SETTLE_S
    steps: list[StepResult] = field(default_factory=list)

    def _load_start(self) -> datetime | None:
        starts = events_of(self.run.events(), EventKind.LOAD_START)
        return parse_iso(str(starts[0]["ts"])) if starts else None

    def _window(self, start: datetime, index: int) -> tuple[datetime, datetime]:
        """The offered times of step ``index``: its requests are those intended in [lo, hi)."""
        lo = start + timedelta(seconds=index * self.step_s)
        return lo, lo + timedelta(seconds=self.step_s)

    def _step_frame(self, start: datetime, index: int) -> pl.DataFrame:
        import polars as pl

        files = run_batches(self.run, problems=[])  # ConvertBatches names a damaged batch
        lo, hi = self._window(start, index)
        if not files:
            return pl.DataFrame(schema={"ok": pl.Boolean, "latency_ms": pl.Float64})
        when = pl.coalesce(pl.col("t_intended"), pl.col("t_start"))
        lf = pl.scan_parquet([str(f) for f in files], missing_columns="insert")
        return lf.filter((when >= lo) & (when < hi)).collect()

    def poll(self, now: datetime, *, final: bool = False) -> StepResult | None:
        """Judge every step that has settled by ``now`` (every step left, when ``final``); the
        first failing step is returned (None while none has failed)."""
        start = self._load_start()
        if start is None:
            return None
        while len(self.steps) < len(self.rates):
            i = len(self.steps)
            ends = start + timedelta(seconds=(i + 1) * self.step_s + self.settle_s)
            if now < ends and not final:
                return None
            step = judge_step(
                self._step_frame(start, i),
                self.criteria,
                index=i,
                rate=self.rates[i],
                step_s=self.step_s,
                slo_target=self.slo_target,
            )
            if final and now < ends and step.n == 0:
                break  # the run ended before this step began: nothing to judge
            self.steps.append(step)
            self.save()
            if step.outcome == "FAIL":
                return step
        return None

    def record(self) -> dict[str, Any]:
        """run.json's ``capacity``: the ramp, every judged step, and the bracket so far."""
        steps = [s.to_dict() for s in self.steps]
        last_pass, first_fail = knee_rates(steps)
        start = self._load_start()
        held = [s.index for s in self.steps if s.rate == last_pass and s.outcome == "PASS"]
        held_until = iso(self._window(start, held[0])[1]) if start is not None and held else None
        return {
            CapacityKey.RATES: list(self.rates),
            CapacityKey.STEP_DURATION_S: self.step_s,
            "criteria": [getattr(c, "label", c.metric) for c in self.criteria],
            CapacityKey.STEPS: steps,
            CapacityKey.LAST_PASS: last_pass,
            CapacityKey.FIRST_FAIL: first_fail,
            CapacityKey.HELD_UNTIL: held_until,
            "method": METHOD_STEP,
        }

    def save(self) -> None:
        self.run.update_meta(**{RunField.CAPACITY.value: self.record()})


@dataclass(frozen=True, kw_only=True)
class CapacityRule:
    """``load.shape.kind: capacity`` as a run plan holds it; :meth:`watch` makes one run's ramp."""

    rates: tuple[float, ...]
    step_s: float
    criteria: tuple[Any, ...]
    slo_target: float | None = None

    @classmethod
    def from_spec(cls, spec: Any) -> CapacityRule | None:
        """The rule of ``spec`` (a :class:`pockit.spec.Spec`), or None for other shapes."""
        shape = spec.load.shape
        if shape.kind != "capacity":
            return None
        return cls(
            rates=shape.capacity_steps(),
            step_s=float(shape.step_duration_s),
            criteria=tuple(knee_criteria(spec.criteria, shape.knee)),
            slo_target=spec.slo_target,
        )

    def watch(self, run: RunDir) -> CapacityRamp:
        return CapacityRamp(run, self.rates, self.step_s, self.criteria, self.slo_target)
