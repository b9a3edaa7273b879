"""The capture records inside Locust's ``events.request.fire`` (``_capture_fire.attach``), not as a
listener: the event's listeners must see exactly what Locust's own ``fire`` gives them.

Differential: the same listeners and the same events through a plain ``EventHook`` and through one
with the capture attached; the calls, the exceptions passed on and Locust's "unhandled exception"
flag must match, and the capture must hold one row per event. Runs in a child Python (importing
Locust gevent-patches the process, which pytest's must not be).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

CHECK = textwrap.dedent(
    """
    import json, logging, sys
    from pathlib import Path
    from locust import log as locust_log
    from locust.event import EventHook
    from locust.exception import StopUser
    from pockit.load._capture_batch import Capture
    from pockit.load._capture_fire import attach

    logging.disable(logging.CRITICAL)  # the logged tracebacks are expected

    def scenario(hook):
        calls = []
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
        def last(**kw):
            calls.append(("last", kw["name"], kw["response_time"]))
        for listener in (first, failing, last):
            hook.add_listener(listener)
        outcomes = []
        locust_log.unhandled_greenlet_exception = False
        for name in ("/a", "/boom", "/late", "/stop", "/b"):
            try:
                hook.fire(request_type="GET", name=name, response_time=1.5, response_length=3,
                          exception=None, context={}, response=None, start_time=1.7e9, url="u")
                outcomes.append("fired")
            except StopUser:
                outcomes.append("StopUser")
        hook.fire(reverse=True, request_type="GET", name="/rev", response_time=2.0,
                  response_length=0, exception=None, context={}, response=None,
                  start_time=1.7e9, url="u")
        # a request event the capture cannot read: Locust's listeners still get it
        hook.fire(request_type="GET", name="/odd", response_time="slow", response_length=0)
        return {"calls": calls, "outcomes": outcomes,
                "unhandled": locust_log.unhandled_greenlet_exception}

    plain = scenario(EventHook())
    cap = Capture(Path(sys.argv[1]), batch_rows=1000, batch_seconds=60)
    hooked = EventHook()
    attach(hooked, cap.recorder())
    assert hooked.fire is not EventHook.fire
    captured = scenario(hooked)
    print(json.dumps({"plain": plain, "captured": captured, "rows": cap.pending,
                      "dropped": cap.dropped, "errors": cap.errors,
                      "names": list(cap.columns().name)}))
    """
)


def test_attached_fire_is_lockstep_with_locusts_own(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["captured"] == out["plain"]
    plain = out["plain"]
    # what Locust's fire does, spelled out (so two equal wrong behaviours cannot pass)
    assert plain["outcomes"] == ["fired", "fired", "fired", "StopUser", "fired"]
    assert plain["unhandled"] is True  # the ValueError was logged, not raised
    assert ("last", "/boom", 1.5) in [tuple(c) for c in plain["calls"]]  # later listeners ran
    assert ["late", "/late"] not in plain["calls"] and ["late", "/b"] in plain["calls"]
    # every event recorded once, the unreadable one counted as dropped and named
    assert out["names"] == ["/a", "/boom", "/late", "/stop", "/b", "/rev"]
    assert out["dropped"] == 1
    assert out["errors"] == ["cannot record a request event: TypeError: unsupported operand "
                             "type(s) for /: 'str' and 'float'"]  # fmt: skip
