"""The host guard's fast path for relative URLs: decided once per base URL, and re-decided when the
allowed hosts change (the master sends them to workers after they start).

It runs in a child Python: importing Locust monkey-patches the whole process with gevent, which the
test process must not be. Locust's real ``HttpSession`` is used, with the network call replaced by
a stand-in that records what the guard let through (nothing is sent anywhere).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHECK = textwrap.dedent(
    """
    from locust.clients import HttpSession
    from locust.event import EventHook

    from pockit.load import _capture_guard as guard

    sent = []
    HttpSession.request = lambda self, method, url, *a, **k: sent.append(url) or "sent"
    guard.record_event = lambda *a, **k: None
    guard.install_host_guard(("localhost",))

    def session(base):
        return HttpSession(base_url=base, request_event=EventHook(), user=None)

    def refused(s, url, host):
        try:
            s.request("GET", url)
        except guard.GuardrailRefused as exc:
            assert host in str(exc), exc
            return
        raise AssertionError(f"{url} on {s.base_url} was let through")

    ok, other = session("http://localhost:9"), session("http://127.0.0.1:9")
    assert ok.request("GET", "/a") == "sent"
    assert ok.request("GET", b"/b") == "sent"
    refused(other, "/a", "127.0.0.1")
    refused(ok, "http://example.org/x", "example.org")
    assert ok.request("GET", "//x") == "sent"  # Locust appends it to the base URL: same host
    guard.set_allowed(["127.0.0.1"])  # what a worker hears from the master
    assert other.request("GET", "/a") == "sent"
    refused(ok, "/a", "localhost")
    assert sent == ["/a", b"/b", "//x", "/a"], sent
    print("ok")
    """
)


def test_relative_urls_follow_the_base_hosts_verdict_and_its_changes() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]
