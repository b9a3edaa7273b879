"""What a decision is made of: criterion results, candidate verdicts, and the overall decision."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

# Outcomes are defined with the criteria that produce them; re-exported here for the decision.
from pockit.criteria import FAIL as FAIL
from pockit.criteria import INCONCLUSIVE as INCONCLUSIVE
from pockit.criteria import PASS as PASS
from pockit.criteria import WARN as WARN
from pockit.criteria import Outcome as Outcome

Verdict = Literal["GO", "NO-GO", "INCONCLUSIVE"]
GO: Verdict = "GO"
NO_GO: Verdict = "NO-GO"
UNDECIDED: Verdict = "INCONCLUSIVE"


def _f(x: float | None) -> float | None:
    return float(x) if isinstance(x, int | float) and math.isfinite(x) else None


@dataclass(frozen=True)
class CriterionResult:
    """One criterion judged for one candidate, with its evidence.

    ``ci_low``/``ci_high`` are one-sided bounds at the decision confidence (see
    :mod:`pockit.decision`); ``None`` in JSON means "not bounded by the data".
    """

    candidate: str
    metric: str
    op: str
    threshold: float
    outcome: Outcome
    estimate: float
    ci_low: float
    ci_high: float
    n: int
    reason: str
    method: str
    key: bool = False
    weight: float = 1.0
    warn: float | None = None
    endpoint: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        where = f" [{self.endpoint}]" if self.endpoint else ""
        return f"{self.metric}{where} {self.op} {self.threshold:g}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "metric": self.metric,
            "label": self.label,
            "endpoint": self.endpoint,
            "op": self.op,
            "threshold": self.threshold,
            "warn": self.warn,
            "outcome": self.outcome,
            "estimate": _f(self.estimate),
            "ci_low": _f(self.ci_low),
            "ci_high": _f(self.ci_high),
            "n": self.n,
            "reason": self.reason,
            "method": self.method,
            "key": self.key,
            "weight": self.weight,
            "details": {k: (_f(v) if isinstance(v, float) else v) for k, v in self.details.items()},
        }


@dataclass(frozen=True)
class CandidateResult:
    """A candidate's verdict, why, and every criterion's result."""

    name: str
    verdict: Verdict
    reason: str
    criteria: list[CriterionResult]
    runs: list[str]
    n: int
    unit: str
    warnings: list[str] = field(default_factory=list)
    score: float = math.nan
    is_baseline: bool = False
    comparisons: list[Any] = field(default_factory=list)

    @property
    def n_runs(self) -> int:
        return len(self.runs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "criteria": [c.to_dict() for c in self.criteria],
            "n_runs": self.n_runs,
            "runs": self.runs,
            "n": self.n,
            "unit": self.unit,
            "warnings": self.warnings,
            "score": _f(self.score),
            "is_baseline": self.is_baseline,
            "comparisons": [c.to_dict() for c in self.comparisons],
        }


@dataclass(frozen=True)
class Decision:
    """The overall verdict, the recommended candidate, and all the evidence behind them.

    ``to_dict()`` is the ``pockit decide --json`` shape (architecture.md contract 5).
    """

    verdict: Verdict
    reason: str
    spec_name: str
    spec_sha256: str
    candidates: dict[str, CandidateResult]
    recommended: str | None = None
    baseline: str | None = None
    ranking: list[dict[str, Any]] = field(default_factory=list)
    pareto: list[str] = field(default_factory=list)
    pareto_points: list[dict[str, Any]] = field(default_factory=list)
    sensitivity: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    confidence: float = 0.95
    method: str = ""

    @property
    def criteria(self) -> list[CriterionResult]:
        """Every criterion result of every candidate, in candidate order."""
        return [c for cand in self.candidates.values() for c in cand.criteria]

    @property
    def comparisons(self) -> list[Any]:
        return [c for cand in self.candidates.values() for c in cand.comparisons]

    @property
    def exit_code(self) -> int:
        from pockit._constants import VERDICT_EXIT

        return VERDICT_EXIT[self.verdict]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "reason": self.reason,
            "spec_name": self.spec_name,
            "spec_sha256": self.spec_sha256,
            "recommended": self.recommended,
            "baseline": self.baseline,
            "candidates": {name: c.to_dict() for name, c in self.candidates.items()},
            "criteria": [c.to_dict() for c in self.criteria],
            "comparisons": [c.to_dict() for c in self.comparisons],
            "ranking": self.ranking,
            "pareto": self.pareto,
            "pareto_points": self.pareto_points,
            "sensitivity": self.sensitivity,
            "warnings": self.warnings,
            "confidence": self.confidence,
            "method": self.method,
        }

    def _repr_html_(self) -> str:
        """JupyterLab: the verdict on its colour, criteria with outcome badges, the baseline comparison."""
        from pockit._display import decision_html

        return decision_html(self)

    def __repr__(self) -> str:
        counts = {
            o: sum(c.outcome == o for c in self.criteria) for o in (PASS, WARN, FAIL, INCONCLUSIVE)
        }
        told = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
        rec = f", recommended={self.recommended!r}" if self.recommended else ""
        return (
            f"Decision(verdict={self.verdict!r}{rec}, {len(self.candidates)} candidate(s), "
            f"criteria: {told or 'none'}, spec_sha256={self.spec_sha256[:12]!r}…)"
        )
