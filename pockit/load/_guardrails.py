"""Guardrails: where load may go and how much of it, checked before a single request is sent."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from pockit._errors import GuardrailError, LoadError
from pockit.spec import Guardrails, host_allowed

#: How long the pre-flight TCP connect may take before the target counts as unreachable.
CONNECT_TIMEOUT_S = 3.0


def check_host(host: str, guard: Guardrails) -> None:
    """GuardrailError unless ``host`` is in ``guardrails.allowed_hosts``."""
    if not host_allowed(host, guard.allowed_hosts):
        name = urlsplit(host).hostname
        raise GuardrailError(
            f"refusing to send load to {host}: host {name!r} is not in guardrails.allowed_hosts "
            f"({', '.join(guard.allowed_hosts)}); add it to the spec's guardrails if load may really go there"
        )


def check_caps(guard: Guardrails, *, users: int, duration_s: float, rate: float | None) -> None:
    """GuardrailError when the planned peak users, duration or arrival rate exceeds a cap."""
    if users > guard.max_users:
        raise GuardrailError(
            f"{users} users exceeds guardrails.max_users ({guard.max_users}); lower --users or raise the cap in the spec"
        )
    if duration_s > guard.max_duration_s:
        raise GuardrailError(
            f"a {duration_s:g}s run exceeds guardrails.max_duration ({guard.max_duration_s:g}s); "
            "lower --duration or raise the cap in the spec"
        )
    if rate is not None and rate > guard.max_rps:
        raise GuardrailError(
            f"{rate:g} req/s exceeds guardrails.max_rps ({guard.max_rps:g}); lower load.shape.rate or raise the cap"
        )


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if not parts.hostname:
        raise LoadError(
            f"cannot tell the host of {url!r}; expected a URL such as http://127.0.0.1:8080"
        )
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def accepts_connections(url: str, timeout: float = CONNECT_TIMEOUT_S) -> str | None:
    """None when a TCP connect to ``url``'s host and port works, else the reason it does not."""
    host, port = host_port(url)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return exc.strerror or str(exc) or type(exc).__name__


def check_reachable(url: str) -> None:
    """LoadError ``host refuses connections`` before anything is created, when nobody listens."""
    reason = accepts_connections(url)
    if reason is not None:
        raise LoadError(
            f"host refuses connections: {url} ({reason}); is the service running and the port right? "
            "nothing was recorded"
        )
