"""The capture plugin's host guard: a request to a host outside ``guardrails.allowed_hosts`` is
refused before anything is sent, counted as a failed request and recorded once per host."""

from __future__ import annotations

import logging
import time
from typing import Any

from locust.exception import RescheduleTask

from pockit._contract import EventKind, GuardrailRule
from pockit.load import _protocol as protocol
from pockit.load._capture_links import record_event

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
    """Wrap ``HttpSession.request`` and ``FastHttpSession.request``: refuse disallowed hosts.

    ``allowed`` None: only the session's own base URL host (the candidate's ``--host``) is allowed.
    """
    from urllib.parse import urlsplit

    from locust.clients import HttpSession
    from locust.contrib.fasthttp import FastHttpSession

    if allowed is not None:
        set_allowed(allowed)

    def guard(original: Any) -> Any:
        if getattr(original, "_pockit_guarded", False):
            return original

        def request(self: Any, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
            text = url.decode() if isinstance(url, bytes) else str(url)
            if text[:1] == "/" and text[:2] != "//":  # relative: the session's host, decided once
                base = self.base_url or ""
                known = _base_permitted.get(base)
                if known is None:
                    host = (urlsplit(base).hostname or "").lower()
                    allowed_now = _allowed_hosts
                    known = _base_permitted[base] = allowed_now is None or host in allowed_now
                if known:
                    return original(self, method, url, *args, **kwargs)
            full = self._build_url(text)
            host = (urlsplit(full).hostname or "").lower()
            allowed_set = _allowed_hosts
            if allowed_set is None:
                permitted = host == (urlsplit(self.base_url or "").hostname or "").lower()
            else:
                permitted = host in allowed_set
            if permitted:
                return original(self, method, url, *args, **kwargs)
            exc = GuardrailRefused(
                f"{protocol.REFUSED_PREFIX}: host {host or full!r} not in allowed_hosts"
            )
            name = kwargs.get("name") or (args[0] if args and isinstance(args[0], str) else None)
            self.request_event.fire(
                request_type=method.decode() if isinstance(method, bytes) else str(method),
                name=name or text,
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
                record_event(
                    EventKind.GUARDRAIL, rule=GuardrailRule.ALLOWED_HOSTS, host=host, url=full
                )
            raise exc

        request._pockit_guarded = True  # type: ignore[attr-defined]
        return request

    HttpSession.request = guard(HttpSession.request)  # type: ignore[method-assign]
    FastHttpSession.request = guard(FastHttpSession.request)  # type: ignore[method-assign]
