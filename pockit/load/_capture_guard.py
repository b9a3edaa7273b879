"""The capture plugin's host guard: a request to a host outside ``guardrails.allowed_hosts`` is
refused before anything is sent, counted as a failed request and recorded once per host."""

from __future__ import annotations

import logging
import sys
import time
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

from locust.exception import RescheduleTask

from pockit._contract import EventKind, GuardrailRule
from pockit.load import _protocol as protocol
from pockit.load._capture_links import record_event
from pockit.load._native import native as _native

log = logging.getLogger("pockit.capture")


class GuardrailRefused(RescheduleTask):
    """A request to a host outside ``guardrails.allowed_hosts``: raised before anything is sent.

    A RescheduleTask, so Locust ends the task quietly (no traceback per request) and moves on; the
    refusal is reported as a failed request, so it shows in the samples and in Locust's statistics.
    """


_refused_hosts: set[str] = set()
#: The hosts the guard allows; None: only the session's base URL host (until the master says).
_allowed_hosts: set[str] | None = None


#: base URL -> whether its host is allowed (a relative URL's host is its session's base URL host);
#: emptied whenever the allowed hosts change
_base_permitted: dict[str, bool] = {}


def set_allowed(hosts: Any) -> None:
    global _allowed_hosts
    _allowed_hosts = {str(h).lower().strip("[]") for h in hosts}
    _base_permitted.clear()


def install_host_guard(allowed: tuple[str, ...] | None) -> None:
    """Wrap ``_build_url`` of ``HttpSession`` and ``FastHttpSession``: refuse disallowed hosts.

    Both sessions' ``request`` build the full URL first, before anything is timed or sent, so a
    refusal raised there sends nothing. ``allowed`` None: only the session's own base URL host
    (the candidate's ``--host``) is allowed.

    Why ``_build_url`` and not ``request``: a wrapper around ``request`` passes every keyword
    argument on once more, which cost ~1.4 µs per request on this 2-core VM (as much as the whole
    capture hook); this one costs a call with one argument (benchmarks/bench_capture.py).
    """
    from locust.clients import HttpSession
    from locust.contrib.fasthttp import FastHttpSession

    if allowed is not None:
        set_allowed(allowed)
    for cls in (HttpSession, FastHttpSession):
        _requests.add(cls.request.__code__)
        cls._build_url = _guarded(cls._build_url)  # type: ignore[method-assign]


#: the code of the ``request`` methods that call ``_build_url``: where a refusal finds its method
_requests: set[Any] = set()


def _guarded(build: Any) -> Any:
    """``build`` (a session's ``_build_url``) with the host check; in C when pockit's extension
    was built (``_crecord.Guard``: the same fast path, no Python frame per request)."""
    if getattr(build, "_pockit_guarded", False):
        return build

    def _build_url(self: Any, path: Any) -> Any:
        full = build(self, path)  # Locust's own: the path itself when absolute, else base + path
        if path[:1] == "/" and path[:2] != "//" and _base_permitted.get(self.base_url) is True:
            return full  # relative, to a base URL already allowed
        return _after_build(self, path, full)

    _build_url._pockit_guarded = True  # type: ignore[attr-defined]
    native = _native()
    if native is not None:  # the same, in C; a call it does not expect goes to _build_url
        return native.Guard(
            build=build, permitted=_base_permitted, slow=_after_build, fallback=_build_url
        )
    return _build_url


def _after_build(session: Any, path: Any, full: Any) -> Any:
    """Past the fast path: a relative URL's base decided once, an absolute URL checked."""
    if path[:1] == "/" and path[:2] != "//":  # relative: the session's host, decided once
        known = _base_permitted.get(session.base_url)
        if known is None:
            known = _decide_base(session.base_url)
        if known:
            return full
    return _check(session, path, full)


def _decide_base(base: Any) -> bool:
    host = (urlsplit(base or "").hostname or "").lower()
    allowed = _allowed_hosts
    known = _base_permitted[base] = allowed is None or host in allowed
    return known


def _check(session: Any, path: Any, full: Any) -> Any:
    """The full URL when its host is allowed; else the request is refused (GuardrailRefused)."""
    host = (urlsplit(full).hostname or "").lower()
    allowed = _allowed_hosts
    if allowed is None:
        permitted = host == (urlsplit(session.base_url or "").hostname or "").lower()
    else:
        permitted = host in allowed
    if permitted:
        return full
    exc = GuardrailRefused(f"{protocol.REFUSED_PREFIX}: host {host or full!r} not in allowed_hosts")
    method, name = _caller_request(path)
    session.request_event.fire(
        request_type=method,
        name=name,
        response_time=0.0,
        response_length=0,
        response=None,
        context={},
        exception=exc,
        start_time=time.time(),
        url=full,
    )
    if host not in _refused_hosts:
        _refused_hosts.add(host)
        log.error("pockit capture: %s (url %s)", exc, full)
        record_event(EventKind.GUARDRAIL, rule=GuardrailRule.ALLOWED_HOSTS, host=host, url=full)
    raise exc


def _caller_request(path: Any) -> tuple[str, str]:
    """The method and name of the refused request: the locals of the session's ``request`` that
    is building its URL (a few frames up). Only a refusal looks, so requests pay nothing for it;
    a ``_build_url`` called from elsewhere gives method ``""`` and the path as its name."""
    frame: FrameType | None = sys._getframe(2)
    for _ in range(6):
        if frame is None:
            break
        if frame.f_code in _requests:
            local = frame.f_locals
            method, name = local.get("method"), local.get("name")
            method = method.decode() if isinstance(method, bytes) else str(method or "")
            return method, str(name or path)
        frame = frame.f_back
    return "", str(path)
