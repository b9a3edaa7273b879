"""``load.stop_when: decided`` end to end: the spec option, ``pockit run`` stopping Locust once the
anytime-valid bounds decide, run.json's record, and ``decide`` judging such a run by those bounds.

The run tests are real Locust against the demo service on 127.0.0.1 (a clear margin stops early;
a candidate exactly at its threshold runs to the end); the decide tests use hand-made run
directories, so the counts are known.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from pockit._contract import RunField, StopCode
from pockit._errors import SpecError
from pockit._rundir import RunDir
from pockit.analysis._sequential import METHOD_SEQUENTIAL
from pockit.decision import decide
from pockit.demo._service import DemoService
from pockit.load import make_plan, run_candidate
from pockit.report.run_facts import stop_when_track
from pockit.spec import load_spec
from tests.analysis.helpers import make_run
from tests.analysis.helpers import make_spec as spec_in

PLANNED_S = 30.0


@pytest.mark.slow
def test_clear_margin_stops_early_with_the_fixed_rules_verdict(
    service: DemoService, make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    """Two repeats, each with its own watcher: both stop long before 30 s, and decide (by the
    anytime bound, METHOD_SEQUENTIAL) gives what the fixed-length rule gives the same samples."""
    spec = load_spec(
        make_spec(
            {"async": service.url("async")},
            load={
                "users": 6,
                "duration": f"{PLANNED_S:g}s",
                "repeats": 2,
                "cooldown": "0s",
                "stop_when": "decided",
                "stop_when_min_duration": "3s",
            },
            criteria=[
                {"metric": "latency_p95_ms", "op": "<", "threshold": 2000, "key": True},
                {"metric": "success_rate", "op": ">=", "threshold": 0.5},
                {"metric": "cost_per_1k_usd", "op": "<=", "threshold": 1},
            ],
        )
    )
    paths = run_candidate(spec, "async", runs_dir=tmp_path / "runs", progress=False)
    assert len(paths) == 2
    for path in paths:
        meta = RunDir.open(path).meta
        assert meta[RunField.STATUS] == "completed"
        assert meta[RunField.STOP_CODE] == StopCode.DECIDED, meta[RunField.STOP_REASON]
        assert meta[RunField.STOP_REASON].startswith("load.stop_when: decided after")
        assert meta[RunField.LOAD_WINDOW]["seconds"] < PLANNED_S / 2
        record = meta[RunField.STOP_WHEN]
        assert record["stop"] is True and record["min_duration_s"] == 3.0
        assert record["elapsed_s"] >= 3.0
        assert [c["outcome"] for c in record["criteria"]] == ["PASS", "PASS"]
        assert record["unwatched"] == ["cost_per_1k_usd <= 1"]
        assert len(record["history"]) >= 2  # the bounds over time, for the report
        assert record["history"][-1]["criteria"][0]["label"] == "latency_p95_ms < 2000"
        track = stop_when_track(meta)  # the report's reader, on the real writer's record
        assert track is not None and track.stopped_at_s == record["elapsed_s"]
        assert list(track.thresholds) == ["latency_p95_ms < 2000", "success_rate >= 0.5"]
        assert len(track.looks) == len(record["history"])
        assert track.looks[-1].bounds["success_rate >= 0.5"][0] is not None
    result = decide(spec, paths)
    p95, success, cost = result.criteria
    for c in (p95, success):
        assert c.outcome == "PASS", c.reason
        assert c.method.startswith(METHOD_SEQUENTIAL)
        assert c.details["fixed_outcome"] == c.outcome  # same verdict as the fixed-length rule
        assert "stopped by load.stop_when" in c.reason
    assert not cost.method.startswith(METHOD_SEQUENTIAL)  # not a share: judged as always


@pytest.mark.slow
def test_candidate_at_the_edge_runs_to_the_end(
    make_spec: Callable[..., Path], tmp_path: Path
) -> None:
    """Half the requests fail and the criterion asks for half to succeed: the truth is the
    threshold. With a local worker (master + worker writing into one run directory) the run goes
    to its planned end. The anytime rule decides a run at the threshold about 1% of the time
    here (simulated); then decide must agree with the bound that stopped it."""
    duration = 6.0
    with DemoService(variants=("async",), error_rate=0.5) as svc:
        spec = load_spec(
            make_spec(
                {"async": svc.url("async")},
                load={
                    "users": 4,
                    "duration": f"{duration:g}s",
                    "stop_when": "decided",
                    "stop_when_min_duration": "2s",
                },
                criteria=[{"metric": "success_rate", "op": ">=", "threshold": 0.5}],
            )
        )
        [path] = run_candidate(spec, "async", runs_dir=tmp_path, workers=1, progress=False)
    meta = RunDir.open(path).meta
    record = meta[RunField.STOP_WHEN]
    assert meta[RunField.WORKERS] == 1 and meta[RunField.DISTRIBUTED] is True
    # the watcher counted the worker's samples: its last look saw (nearly) all of them
    assert record["criteria"][0]["n"] >= 0.9 * meta[RunField.COUNTS]["samples"] > 0
    [c] = decide(spec, [path]).criteria
    if meta[RunField.STOP_CODE] == StopCode.DECIDED:  # the ~1% case: consistent, not optimistic
        assert c.outcome in (record["criteria"][0]["outcome"], "INCONCLUSIVE")
        assert c.method.startswith(METHOD_SEQUENTIAL)
    else:
        assert meta[RunField.STOP_CODE] == StopCode.DURATION_REACHED
        assert meta[RunField.LOAD_WINDOW]["seconds"] > duration - 2
        assert record["criteria"][0]["outcome"] == "INCONCLUSIVE"
        assert "not decided" in record["reason"]
        assert c.outcome in ("INCONCLUSIVE", record["criteria"][0]["outcome"]) or (
            not c.method.startswith(METHOD_SEQUENTIAL)  # a full run keeps the fixed rule
        )


SPEC = """
name: stopped
hypothesis: p95 holds
candidates: [{{name: a, host: "http://127.0.0.1:1"}}]
load: {{locustfile: l.py, duration: 60s{extra}}}
criteria:
  - {{metric: latency_p95_ms, op: "<", threshold: 300}}
  - {{metric: error_rate, op: "<", threshold: 0.1}}
"""


def _run_at_96_5(tmp_path: Path, *, stopped: bool) -> RunDir:
    """1,000 requests, 96.5% under 300 ms: Clopper-Pearson's lower bound (95.3%) clears 95%,
    the anytime bound (about 94.5% at n = 1,000) does not."""
    n = 1000
    lat = np.where(np.arange(n) < 965, 20.0, 900.0)
    run = make_run(tmp_path / "runs", "a", lat)
    if stopped:
        run.update_meta(stop_code=StopCode.DECIDED, stop_reason="load.stop_when: decided")
    return run


def test_decide_uses_the_anytime_bound_after_an_early_stop(tmp_path: Path) -> None:
    spec = spec_in(tmp_path, SPEC.format(extra=""))
    full = decide(spec, [_run_at_96_5(tmp_path / "full", stopped=False).path])
    assert [c.outcome for c in full.criteria] == ["PASS", "PASS"]
    assert not full.criteria[0].method.startswith(METHOD_SEQUENTIAL)

    early = decide(spec, [_run_at_96_5(tmp_path / "early", stopped=True).path])
    p95, err = early.criteria
    # stopping when the look says so voids the fixed-length bound: the anytime one decides
    assert p95.outcome == "INCONCLUSIVE", p95.reason
    assert p95.method.startswith(METHOD_SEQUENTIAL)
    assert p95.details["fixed_outcome"] == "PASS"
    assert p95.details["share_ci_low"] < 0.95 < full.criteria[0].details["share_ci_low"]
    assert "fixed-length bounds would say PASS" in p95.reason
    # 0 errors in 1,000 is decided either way; its upper bound is the wider anytime one
    assert err.outcome == "PASS" and err.method.startswith(METHOD_SEQUENTIAL)
    assert err.ci_high >= full.criteria[1].ci_high
    assert early.verdict == "INCONCLUSIVE" and full.verdict == "GO"


def test_spec_stop_when_fields(tmp_path: Path) -> None:
    (tmp_path / "l.py").write_text("")
    on = spec_in(
        tmp_path,
        SPEC.format(
            extra=", stop_when: decided, stop_when_min_duration: 10s, stop_when_require: key"
        ),
    )
    assert (on.load.stop_when, on.load.stop_when_min_duration_s, on.load.stop_when_require) == (
        "decided",
        10.0,
        "key",
    )
    plan = make_plan(on)
    assert plan.stop_when is not None and plan.stop_when.require == "key"
    off = spec_in(tmp_path, SPEC.format(extra=", stop_when: off"))  # YAML reads `off` as false
    assert off.load.stop_when == "off" and make_plan(off).stop_when is None
    assert spec_in(tmp_path, SPEC.format(extra="")).load.stop_when == "off"
    for extra, field, words in [
        (", stop_when: decide", "load.stop_when", "did you mean 'decided'"),
        (", stop_when_require: key", "load.stop_when_require", "no effect unless"),
        (", stop_when: decided, stop_when_require: any", "load.stop_when_require", "all key"),
        (
            ", stop_when: decided, stop_when_min_duration: 60s",
            "load.stop_when_min_duration",
            "never",
        ),
        (
            ", stop_when: decided, stop_when_min_duraton: 5s",
            "load.stop_when_min_duraton",
            "did you",
        ),
    ]:
        with pytest.raises(SpecError) as exc:
            spec_in(tmp_path, SPEC.format(extra=extra))
        [err] = exc.value.errors
        assert err.field == field and words in err.message and err.line == 5, err
