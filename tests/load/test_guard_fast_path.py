"""The host guard's fast path for relative URLs: decided once per base URL, and re-decided when the
allowed hosts change (the master sends them to workers after they start).

It runs in a child Python: importing Locust monkey-patches the whole process with gevent, which the
test process must not be. Locust's real ``HttpSession`` and ``FastHttpSession`` are used: a URL the
guard lets through is built (``_build_url``, where the guard sits) but not sent; a refused one goes
through the session's real ``request``, which the guard stops before anything is sent.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

CHECK = textwrap.dedent(
    """
    from locust.clients import HttpSession
    from locust.contrib.fasthttp import FastHttpSession
    from locust.env import Environment
    from locust.event import EventHook

    from pockit.load import _capture_guard as guard

    guard.record_event = lambda *a, **k: None
    guard.install_host_guard(("localhost",))
    fired = []
    event = EventHook()
    event.add_listener(lambda **kw: fired.append((kw["request_type"], kw["name"])))

    def session(base):
        return HttpSession(base_url=base, request_event=event, user=None)

    def let_through(s, url):  # what the session's request would send to
        built = s._build_url(url)
        assert built == (url if "://" in url[:8] else s.base_url + url), built
        return built

    def refused(s, url, host, method="GET", **kw):
        try:
            s.request(method, url, **kw)  # refused in _build_url: nothing is sent
        except guard.GuardrailRefused as exc:
            assert host in str(exc), exc
            return
        raise AssertionError(f"{url} on {s.base_url} was let through")

    ok, other = session("http://localhost:9"), session("http://127.0.0.1:9")
    let_through(ok, "/a")
    let_through(ok, "/a")  # the base URL's verdict, remembered
    assert HttpSession._build_url(ok, "/b") == "http://localhost:9/b"  # called on the class
    assert ok._build_url(path="/c") == "http://localhost:9/c"  # by keyword
    let_through(ok, "http://LOCALHOST:7/x")
    try:  # by keyword, off-site: still refused
        ok._build_url(path="http://example.org/k")
        raise AssertionError("a keyword path was let through")
    except guard.GuardrailRefused:
        pass
    refused(other, "/a", "127.0.0.1")
    refused(other, "/a2", "127.0.0.1")  # the base URL's refusal, remembered
    refused(ok, "http://example.org/x", "example.org", method="POST", name="offsite")
    let_through(ok, "//x")  # Locust appends it to the base URL: same host
    guard.set_allowed(["127.0.0.1"])  # what a worker hears from the master
    let_through(other, "/a")
    refused(ok, "/a", "localhost")
    other.base_url = "http://example.org"  # a locustfile moving its session elsewhere
    refused(other, "/a", "example.org")
    # Locust's FastHttpSession too, through the environment's own request event
    env = Environment()
    env.events.request.add_listener(lambda **kw: fired.append((kw["request_type"], kw["name"])))
    fast = FastHttpSession("http://127.0.0.1:9", env.events.request, None)
    let_through(fast, "/a")
    refused(fast, "http://localhost:9/b", "localhost", method="PUT")
    # each refusal is one failed request with the method and name the locustfile gave
    assert fired == [("", "http://example.org/k"), ("GET", "/a"), ("GET", "/a2"), ("POST", "offsite"),
                     ("GET", "/a"), ("GET", "/a"), ("PUT", "http://localhost:9/b")], fired
    print("ok", type(HttpSession._build_url).__name__)
    """
)


@pytest.mark.parametrize(("pure", "guard"), [("0", "Guard"), ("1", "function")])
def test_relative_urls_follow_the_base_hosts_verdict_and_its_changes(pure: str, guard: str) -> None:
    """Both guards: the C one (pockit's extension, ``_crecord.Guard``) and the pure-Python one
    (``POCKIT_PURE_CAPTURE=1``, or an install without a C compiler)."""
    proc = subprocess.run(
        [sys.executable, "-c", CHECK],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "POCKIT_PURE_CAPTURE": pure},
    )
    assert proc.returncode == 0 and proc.stdout.split() == ["ok", guard], proc.stderr[-2000:]
