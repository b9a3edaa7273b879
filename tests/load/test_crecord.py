"""The capture's recorder in C (``pockit/load/_crecord.c``) against the pure-Python one.

``Capture.recorder()`` returns the C recorder when pockit's extension was built (``make install``
builds it) and the Python one otherwise, or with ``pure=True``. Differential: the same request
events, well-formed and hostile (missing keys, values of the wrong type, a response whose
``status_code`` raises, an exception whose ``str`` raises, a context that is not a mapping), go
through both; the buffered values (type and value), the flushes, the dropped count and the
errors named must be the same, event by event. No Locust here: the recorder is plain Python/C
over a dict, as ``attach`` calls it inside Locust's ``fire``.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pockit._contract import COMPACT_MAGIC
from pockit.load import _native
from pockit.load._capture_batch import Capture


def test_make_install_built_the_extension() -> None:
    """A fresh ``make install`` on this kind of machine (gcc and Python's headers) builds it; a
    pure-Python capture costs ~3.5% of Locust's requests/s (benchmarks/bench_capture.py)."""
    assert _native.kind() == "c", (
        "pockit.load._crecord is not importable: rerun `make install` and read scripts/hatch_build.py's "
        "message (a C compiler and Python's headers are needed)"
    )


class Status:
    def __init__(self, value: Any) -> None:
        self.status_code = value


class Raising:
    """An object whose attribute (``status_code``) or ``str`` raises ``error``."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    @property
    def status_code(self) -> Any:
        raise self.error

    def __str__(self) -> str:
        raise self.error


class Falsy:
    def __bool__(self) -> bool:
        raise ValueError("no truth")


class Pacer:
    def intended(self, start: Any) -> float:
        if isinstance(start, str):
            raise TypeError("a start time that is a str")
        return float(start) - 0.5


class Quiet(Exception):
    def __str__(self) -> str:
        return ""


numbers = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**70), 2**70),
    st.sampled_from([10**400, -(10**400), 2**63, 2**15]),  # past a float, an int64, an int16
    st.booleans(),
    st.text(max_size=3),
)
VALUES = {
    "request_type": st.one_of(st.sampled_from(["GET", "POST", b"GET"]), st.none(), st.integers()),
    "name": st.one_of(st.text(max_size=5), st.none(), st.just("/x\udc80")),
    "response_time": numbers,
    "response_length": numbers,
    "start_time": numbers,
    "response": st.one_of(
        st.none(),
        st.builds(Status, numbers),
        st.just(object()),
        st.builds(Raising, st.just(ValueError("status"))),
        st.builds(Raising, st.just(AttributeError("no status"))),
    ),
    "exception": st.one_of(
        st.none(),
        st.builds(ValueError, st.text(max_size=3)),
        st.just(Quiet()),
        st.builds(Raising, st.just(RuntimeError("str fails"))),
    ),
    "context": st.one_of(
        st.just({}),
        st.none(),
        st.fixed_dictionaries({"retry": numbers}),
        st.just([1]),
        st.just(Falsy()),
    ),
}
events = st.lists(st.fixed_dictionaries({}, optional=VALUES).map(dict), min_size=1, max_size=12)


class Hook:
    """What ``_crecord.Fire`` needs of Locust's EventHook: its listeners (none here)."""

    _handlers: list[Any] = []


def fired(record: Any) -> Any:
    """``record`` reached as ``attach`` installs it in C: ``hook.fire(**kw)`` through
    ``_crecord.Fire``, which reads the keyword arguments as given (no dict)."""
    native = _native.native()
    assert native is not None
    fire = native.Fire(
        hook=Hook(),
        recorder=record.__self__,
        python_fire=lambda **kw: pytest.fail("Fire went to the Python loop"),
        passed_on=(StopIteration,),
        on_error=lambda exc: pytest.fail(f"no listener to fail: {exc!r}"),
    )
    return lambda kw: fire(**kw)


def run(
    tmp: Path, evts: list[dict[str, Any]], *, pure: bool, open_model: bool, via_fire: bool = False
) -> dict[str, Any]:
    cap = Capture(tmp, batch_rows=3, batch_seconds=60)
    if open_model:
        cap.pacer = Pacer()  # type: ignore[assignment]
    flushed: list[list[Any]] = []

    def flush(**_: Any) -> None:  # what the recorder hands to a flush, kept aside
        flushed.append(cap.values[:])
        del cap.values[:]

    cap.flush = flush  # type: ignore[method-assign]
    record = cap.recorder(pure=pure)
    if via_fire:
        record = fired(record)
    raised: list[str] = []
    for kw in evts:
        try:
            record(kw)
        except BaseException as exc:  # noqa: BLE001 - what escapes the recorder is compared
            raised.append(type(exc).__name__)
    return {
        "values": [spelled(v) for v in cap.values],
        "flushed": [[spelled(v) for v in batch] for batch in flushed],
        "dropped": cap.dropped,
        "errors": cap.errors,
        "raised": raised,
        "kind": cap.recorder_kind,
    }


def spelled(value: Any) -> tuple[str, str]:
    """Type and value, NaN equal to NaN, 0 apart from 0.0 and False."""
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, repr(value))


@pytest.mark.parametrize("open_model", [False, True])
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(evts=events)
def test_c_recorder_writes_what_the_python_one_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_model: bool, evts: list[dict[str, Any]]
) -> None:
    monkeypatch.setattr(time, "time", lambda: 1.7e9)  # a missing start time reads the clock
    pure = run(tmp_path, evts, pure=True, open_model=open_model)
    native = run(tmp_path, evts, pure=False, open_model=open_model)
    via_fire = run(tmp_path, evts, pure=False, open_model=open_model, via_fire=True)
    assert pure.pop("kind") == "python" and native.pop("kind") == via_fire.pop("kind") == "c"
    assert native == pure
    assert via_fire == pure
    # whatever was recorded makes a batch: a value of the wrong type is written as unknown
    cap = Capture(tmp_path, batch_rows=100, batch_seconds=60)
    record = cap.recorder()
    for kw in evts:
        with contextlib.suppress(Exception):
            record(kw)
    assert cap.columns().encode(0, open_model=False)[:4] == COMPACT_MAGIC


def test_rows_errors_and_flushes_by_hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What both write, spelled out for a few events (the differential test says only "equal")."""
    monkeypatch.setattr(time, "time", lambda: 100.0)
    evts: list[dict[str, Any]] = [
        dict(request_type="GET", name="/a", response_time=2.0, response_length=5,
             response=Status(200), context={}, exception=None, start_time=10.0),
        dict(request_type="POST", name="/b", response_time=500.0, response_length=None,
             response=None, context={"retry": 3}, exception=Quiet()),
        dict(request_type="GET", name="/c", response_time="slow"),  # no start: now - "slow"/1000
        OrderedDict(request_type="GET", name="/d", response_time=1.0, start_time=11.0,
                    exception=ValueError("boom")),  # not a plain dict: the Python recorder's
    ]  # fmt: skip
    for pure in (True, False):
        out = run(tmp_path, evts, pure=pure, open_model=False)
        # three rows recorded (the third event is not), 24 values: the 3rd row fills the batch
        assert [len(b) for b in out["flushed"]] == [24] and out["values"] == [], out
        assert out["dropped"] == 1 and "TypeError" in out["errors"][0], out
        assert out["raised"] == []
    cap = Capture(tmp_path, batch_rows=100, batch_seconds=60)
    record = cap.recorder()
    for kw in evts:
        record(kw)
    assert cap.values == [
        10.0, 2.0, 200, 5, -1, "/a", "GET", None,
        99.5, 500.0, 0, 0, 3, "/b", "POST", "Quiet",
        11.0, 1.0, 0, 0, -1, "/d", "GET", "boom",
    ]  # fmt: skip
    assert cap.dropped == 1


def test_a_base_exception_is_raised_and_leaves_no_half_row(tmp_path: Path) -> None:
    """KeyboardInterrupt (or gevent's GreenletExit) inside the event is not a bad event: it goes
    up to Locust, as from the Python recorder's ``except Exception``, and nothing is buffered."""
    for pure, via_fire in ((True, False), (False, False), (False, True)):
        cap = Capture(tmp_path, batch_rows=100, batch_seconds=60)
        record = cap.recorder(pure=pure)
        if via_fire:
            record = fired(record)
        with pytest.raises(KeyboardInterrupt):
            record(dict(request_type="GET", name="/a", response_time=1.0, start_time=1.0,
                        response=Raising(KeyboardInterrupt())))  # fmt: skip
        assert cap.values == [] and cap.dropped == 0


def test_pure_capture_environment_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("POCKIT_PURE_CAPTURE", "1")
    assert _native.kind() == "python"
    cap = Capture(tmp_path, batch_rows=100, batch_seconds=60)
    cap.recorder()
    assert cap.recorder_kind == "python"
    monkeypatch.setenv("POCKIT_PURE_CAPTURE", "0")
    assert _native.kind() == "c"
