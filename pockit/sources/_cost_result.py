"""What attribution returns: the cost of a window and tags, with how it was computed and what it lacks."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

PRORATION = "linear time overlap: cost × overlap(charge period, window) / charge period"


@dataclass(frozen=True, kw_only=True)
class CostResult:
    """Cost attributed to a window and tags, with how it was computed (architecture.md contracts 2 and 5).

    ``covers_window`` is false when the *usage* line items of the providers that bill the
    candidate (those of the rows carrying its tags or resource ids; every provider when none do)
    do not reach the window's end (billing lag) or start: the total is then a lower bound and
    decisions built on it are INCONCLUSIVE. ``export_start`` / ``export_end`` are that usage span
    (see :func:`usage_coverage`); ``landed`` says, per provider, up to when usage has landed.

    ``unattributed_rows`` / ``unattributed_cost``: rows in the window whose owner cannot be told
    (tags that are not a JSON object), counted in lenient mode instead of refused. When non-zero,
    the total is not the candidate's whole cost and :attr:`complete` is false.
    """

    total: float
    currency: str | None
    rows: int
    by_service: dict[str, float]
    by_hour: list[dict[str, Any]]
    by_charge_category: dict[str, float]
    covers_window: bool
    start: datetime
    end: datetime
    tags: dict[str, str] = field(default_factory=dict)
    resource_ids: tuple[str, ...] = ()
    column: str = "effective"
    cost_column: str | None = None
    proration: str = PRORATION
    export_start: datetime | None = None
    export_end: datetime | None = None
    source: str | None = None
    notes: tuple[str, ...] = ()
    landed: dict[str, str] = field(default_factory=dict)
    judged_providers: tuple[str, ...] = ()
    unattributed_rows: int = 0
    unattributed_cost: float = 0.0

    @property
    def complete(self) -> bool:
        """True when no row in the window was left unattributed (lenient mode counted none)."""
        return self.unattributed_rows == 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``total``, ``currency``, ``rows``, ``by_service``, ``covers_window``, ..."""
        data = asdict(self)
        for key in ("start", "end", "export_start", "export_end"):
            value = data[key]
            data[key] = value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None
        data["resource_ids"] = list(self.resource_ids)
        data["notes"] = list(self.notes)
        data["judged_providers"] = list(self.judged_providers)
        return data

    def __str__(self) -> str:
        cur = self.currency or ""
        lines = [
            f"{self.total:.6f} {cur} over {self.rows} row(s), {self.start.isoformat()} → {self.end.isoformat()}",
            f"cost column: {self.column} ({self.cost_column}); proration: {self.proration}",
            f"covers window: {'yes' if self.covers_window else 'NO (billing not landed yet?)'}",
        ]
        if self.landed:
            lines.append(
                "usage landed up to: "
                + ", ".join(f"{p} {t}" for p, t in sorted(self.landed.items()))
                + (
                    f" (judged on {', '.join(self.judged_providers)})"
                    if self.judged_providers
                    else ""
                )
            )
        if self.unattributed_rows:
            lines.append(
                f"UNATTRIBUTED: {self.unattributed_rows} row(s) in the window, "
                f"{self.unattributed_cost:.6f} {cur}, could not be told apart (lenient mode)"
            )
        for svc, value in sorted(self.by_service.items(), key=lambda kv: -abs(kv[1])):
            lines.append(f"  {svc:<40} {value:>14.6f} {cur}")
        if len(self.by_charge_category) > 1:
            cats = ", ".join(f"{k} {v:.6f}" for k, v in sorted(self.by_charge_category.items()))
            lines.append(f"by charge category: {cats}")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """JupyterLab: total with its currency, cost column, coverage, the top services."""
        from pockit._display import cost_html

        return cost_html(self)
