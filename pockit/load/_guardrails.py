"""Guardrails: where load may go and how much of it, checked before a single request is sent."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pockit._errors import GuardrailError, LoadError
from pockit.spec import Candidate, Guardrails, Spec, host_allowed

if TYPE_CHECKING:
    from pockit.sources import PriceBook

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


class Budget:
    """``guardrails.max_budget_usd``, enforced from the spec's price book (``cost.source: model``).

    Billing lands hours after the load, so pockit cannot watch real spend; the price book projects
    it. Before the run, an open-model run whose planned rate already projects past the budget is
    refused. While it runs, spend accrues once a second at the price book's cost per hour for the
    measured request rate, and the run stops when it passes the budget.
    """

    def __init__(self, limit_usd: float, book: PriceBook, key: str) -> None:
        self.limit_usd = limit_usd
        self.book = book
        self.key = key
        self.spent_usd = 0.0
        self._last: float | None = None

    @classmethod
    def from_spec(cls, spec: Spec, candidate: Candidate) -> Budget | None:
        """The candidate's budget watch, or None when the spec sets no budget."""
        limit = spec.guardrails.max_budget_usd
        if limit is None:
            return None
        from pockit.sources import PriceBook

        if spec.cost is None or spec.cost.source != "model" or not spec.cost.price_book:
            raise GuardrailError(
                "guardrails.max_budget_usd needs cost.source: model with a price_book: pockit cannot "
                "see billed spend while load runs"
            )
        book = PriceBook.load(spec.cost.price_book)
        key = book.entry_for(candidate.name, candidate.tags)
        if key is None:
            raise GuardrailError(
                f"guardrails.max_budget_usd: the price book has no entry for {candidate.name!r} or its "
                f"tags, so its spend cannot be projected; it prices {', '.join(book.candidates)}"
            )
        return cls(limit, book, key)

    def for_run(self) -> Budget:
        """A fresh watch for one run (the cap is per run), sharing the loaded price book."""
        return Budget(self.limit_usd, self.book, self.key)

    def check_plan(self, *, rate: float | None, duration_s: float) -> None:
        """Refuse before any request when the planned arrival rate projects past the budget."""
        if rate is None or rate <= 0:
            return
        projected = self.book.cost_per_hour(self.key, rate) * duration_s / 3600.0
        if projected > self.limit_usd:
            raise GuardrailError(
                f"{rate:g} req/s for {duration_s:g}s projects ${projected:.4f} by the price book, over "
                f"guardrails.max_budget_usd (${self.limit_usd:g}); lower the rate or duration, or raise the cap"
            )

    def accrue(self, now: float, rps: float) -> bool:
        """Add the spend since the last call at ``rps``; True once the budget is exceeded."""
        if self._last is not None and rps > 0:
            self.spent_usd += self.book.cost_per_hour(self.key, rps) * (now - self._last) / 3600.0
        self._last = now
        return self.spent_usd > self.limit_usd
