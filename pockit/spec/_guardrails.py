"""The ``guardrails`` section, the caps checked at validation, and which hosts load may go to."""

from typing import Any
from urllib.parse import urlsplit

from pockit.spec._convert import _count, _positive, _positive_count, _positive_duration, _str_list
from pockit.spec._keys import GUARD_KEYS
from pockit.spec._model import Candidate, CostSource, Guardrails, Load
from pockit.spec._reader import _Reader


def _build_guardrails(r: _Reader, top: dict[str, Any]) -> Guardrails:
    g = r.mapping(top.get("guardrails"), "guardrails", GUARD_KEYS)
    default = Guardrails()
    return Guardrails(
        allowed_hosts=r.get(g, "guardrails", "allowed_hosts", _str_list, default.allowed_hosts),
        max_users=r.get(g, "guardrails", "max_users", _count, default.max_users),
        max_rps=r.get(g, "guardrails", "max_rps", _positive, default.max_rps),
        max_duration_s=r.get(
            g, "guardrails", "max_duration", _positive_duration, default.max_duration_s
        ),
        max_budget_usd=r.get(g, "guardrails", "max_budget_usd", _positive, None),
        max_workers=r.get(g, "guardrails", "max_workers", _positive_count, None),
    )


def _check_caps(
    r: _Reader,
    load: Load | None,
    guard: Guardrails,
    candidates: list[Candidate],
    cost: CostSource | None = None,
) -> None:
    """Caps are checked at validation too, so a spec that would be refused never gets to run."""
    if load is not None:
        _check_load_caps(r, load, guard)
    _check_budget_and_hosts(r, guard, candidates, cost)


def _check_load_caps(r: _Reader, load: Load, guard: Guardrails) -> None:
    peak_users = max(
        [load.users, load.shape.spike_users or 0, *[s.users or 0 for s in load.shape.stages]]
    )
    if peak_users > guard.max_users:
        r.error(
            "load.users", f"{peak_users} users exceeds guardrails.max_users ({guard.max_users})"
        )
    peak_rate = max([load.shape.rate or 0.0, *[s.rate or 0.0 for s in load.shape.stages]])
    if peak_rate > guard.max_rps:
        r.error(
            "load.shape.rate", f"{peak_rate:g} req/s exceeds guardrails.max_rps ({guard.max_rps:g})"
        )
    if load.duration_s > guard.max_duration_s:
        r.error(
            "load.duration",
            f"{load.duration_s:g}s exceeds guardrails.max_duration ({guard.max_duration_s:g}s)",
        )


def _check_budget_and_hosts(
    r: _Reader, guard: Guardrails, candidates: list[Candidate], cost: CostSource | None
) -> None:
    if guard.max_budget_usd is not None and (cost is None or cost.source != "model"):
        r.error(
            "guardrails.max_budget_usd",
            "a budget is enforced from a price book: set cost.source: model and cost.price_book "
            "(billed spend cannot be seen while load runs)",
        )
    for i, cand in enumerate(candidates):
        valid = cand.host and _url_problem(cand.host) is None  # else refused above already
        if valid and not host_allowed(cand.host, guard.allowed_hosts):
            r.error(
                f"candidates[{i}].host",
                f"host {urlsplit(cand.host).hostname!r} is not in guardrails.allowed_hosts "
                f"({', '.join(guard.allowed_hosts)}); add it there if load may really go to it",
            )


def _url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a candidate host (urllib raises on a bad port or bracketed host)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - evaluated for its ValueError on a port out of range
    except ValueError as exc:
        return f"not a valid URL: {exc}"
    if not parts.hostname:
        return f"no host name in {url!r}; expected e.g. http://127.0.0.1:8080"
    return None


def host_allowed(url: str, allowed: tuple[str, ...]) -> bool:
    """Whether the host of ``url`` is one of ``allowed`` (names or IP addresses, compared exactly).

    A URL that cannot be parsed is not allowed (never a ValueError from here).
    """
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host is not None and host.lower() in {h.lower().strip("[]") for h in allowed}
