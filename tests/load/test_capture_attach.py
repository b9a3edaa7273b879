"""The capture records inside Locust's ``events.request.fire`` (``_capture_fire.attach``), not as a
listener: the event's listeners must see exactly what Locust's own ``fire`` gives them.

Differential: the same listeners and the same events through a plain ``EventHook`` and through one
with the capture attached; the calls, the exceptions passed on or raised, what is logged and
Locust's "unhandled exception" flag must match, and the capture must hold one row per event. Both
``fire``s attach can install run it: the C one (``_crecord.Fire``, when pockit's extension was
built) and the Python copy of Locust's loop (``POCKIT_PURE_CAPTURE=1``). Runs in a child Python
(importing Locust gevent-patches the process, which pytest's must not be).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CHECK = textwrap.dedent(
    """
    import json, logging, sys
    from pathlib import Path
    from locust import log as locust_log
    from locust.event import EventHook
    from locust.exception import StopUser
    from pockit.load._capture_batch import Capture
    from pockit.load._capture_fire import attach

    logged = []  # the logged tracebacks are expected: their first and last lines are compared

    class Keep(logging.Handler):
        def emit(self, record):
            if record.name.startswith("pockit"):  # the capture's own "cannot record" line
                return
            lines = record.getMessage().strip().splitlines()
            logged.append([record.levelname, lines[0], lines[-1]])

    logging.getLogger().handlers[:] = [Keep()]

    def scenario(hook):
        calls = []
        del logged[:]
        def first(**kw):
            calls.append(("first", sorted(kw)))
            if kw["name"] == "/late":
                hook.add_listener(late)  # added while firing: not called in this fire
        def late(**kw):
            calls.append(("late", kw["name"]))
        def failing(**kw):
            calls.append(("failing", kw["name"]))
            if kw["name"] == "/boom":
                raise ValueError("a listener's own bug")
            if kw["name"] == "/stop":
                raise StopUser()
            if kw["name"] == "/interrupt":
                raise KeyboardInterrupt()
            if kw["name"] == "/leave":
                hook.remove_listener(failing)  # removed while firing: still called in this fire
        def last(**kw):
            calls.append(("last", kw["name"], kw["response_time"]))
        for listener in (first, failing, last):
            hook.add_listener(listener)
        outcomes = []
        locust_log.unhandled_greenlet_exception = False
        for name in ("/a", "/boom", "/late", "/stop", "/interrupt", "/b", "/leave", "/c"):
            try:
                hook.fire(request_type="GET", name=name, response_time=1.5, response_length=3,
                          exception=None, context={}, response=None, start_time=1.7e9, url="u")
                outcomes.append("fired")
            except (StopUser, KeyboardInterrupt) as exc:
                outcomes.append(type(exc).__name__)
        # keywords whose names are made at run time (not the interned ones a call site spells)
        made = {"".join(["na", "me"]): "/made", "".join(["request", "_type"]): "GET",
                "response_time": 1.0, "".join(["start", "_time"]): 1.7e9}
        hook.fire(**made)
        try:  # Locust's fire takes keywords only
            hook.fire("GET")
        except TypeError:
            outcomes.append("TypeError")
        hook.fire(reverse=True, request_type="GET", name="/rev", response_time=2.0,
                  response_length=0, exception=None, context={}, response=None,
                  start_time=1.7e9, url="u")
        # a request event the capture cannot read: Locust's listeners still get it
        hook.fire(request_type="GET", name="/odd", response_time="slow", response_length=0)
        return {"calls": calls, "outcomes": outcomes, "logged": list(logged),
                "unhandled": locust_log.unhandled_greenlet_exception}

    plain = scenario(EventHook())
    cap = Capture(Path(sys.argv[1]), batch_rows=1000, batch_seconds=60)
    hooked = EventHook()
    attach(hooked, cap.recorder())
    assert hooked.fire is not EventHook.fire
    captured = scenario(hooked)
    print(json.dumps({"plain": plain, "captured": captured, "rows": cap.pending,
                      "fire": type(hooked.fire).__name__,
                      "dropped": cap.dropped, "errors": cap.errors,
                      "names": list(cap.columns().name)}))
    """
)


@pytest.mark.parametrize(("pure", "fire"), [("0", "Fire"), ("1", "function")])
def test_attached_fire_is_lockstep_with_locusts_own(tmp_path: Path, pure: str, fire: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "POCKIT_PURE_CAPTURE": pure},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["fire"] == fire  # _crecord.Fire, or attach's Python copy of Locust's loop
    assert out["captured"] == out["plain"]
    plain = out["plain"]
    # what Locust's fire does, spelled out (so two equal wrong behaviours cannot pass)
    assert plain["outcomes"] == [
        "fired", "fired", "fired", "StopUser", "KeyboardInterrupt", "fired", "fired", "fired",
        "TypeError",
    ]  # fmt: skip
    assert plain["unhandled"] is True  # the ValueError was logged, not raised
    assert plain["logged"] == [
        ["ERROR", "Uncaught exception in event handler: ", "ValueError: a listener's own bug"]
    ]
    assert ("last", "/boom", 1.5) in [tuple(c) for c in plain["calls"]]  # later listeners ran
    assert ["late", "/late"] not in plain["calls"] and ["late", "/b"] in plain["calls"]
    # a listener that removed itself ran in that fire, not in the next
    assert ["failing", "/leave"] in plain["calls"] and ["failing", "/c"] not in plain["calls"]
    assert ["last", "/interrupt", 1.5] not in plain["calls"]  # KeyboardInterrupt ended that fire
    # every event recorded once (an interrupted one too: recorded before the listeners), the
    # unreadable one counted as dropped and named
    assert out["names"] == [
        "/a", "/boom", "/late", "/stop", "/interrupt", "/b", "/leave", "/c", "/made", "/rev",
    ]  # fmt: skip
    assert out["dropped"] == 1
    assert out["errors"] == ["cannot record a request event: TypeError: unsupported operand "
                             "type(s) for /: 'str' and 'float'"]  # fmt: skip
