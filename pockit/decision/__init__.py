"""Decision: criteria -> outcomes (PASS / FAIL / WARN / INCONCLUSIVE) -> verdict (GO / NO-GO /
INCONCLUSIVE), with the evidence for each (architecture.md contract 3).

>>> from pockit.decision import decide
>>> decision = decide(spec, runs)          # doctest: +SKIP
>>> decision.verdict, decision.recommended  # doctest: +SKIP
('GO', 'async')
>>> costs = candidate_costs(spec, runs)    # doctest: +SKIP  (the same figures, with details)
>>> decide(spec, runs, costs=costs)        # doctest: +SKIP
"""

from __future__ import annotations

from pockit.decision._costs import (
    CandidateCost,
    CostFigure,
    CostLike,
    candidate_costs,
    cost_figures,
)
from pockit.decision._criteria import judge
from pockit.decision._decide import (
    SENSITIVITY_STEP,
    candidate_verdict,
    decide,
    headroom_score,
    overall_verdict,
)
from pockit.decision._model import (
    CandidateResult,
    CriterionResult,
    Decision,
    Outcome,
    Verdict,
)

__all__ = [
    "SENSITIVITY_STEP",
    "CandidateCost",
    "CandidateResult",
    "CostFigure",
    "CostLike",
    "CriterionResult",
    "Decision",
    "Outcome",
    "Verdict",
    "candidate_costs",
    "candidate_verdict",
    "cost_figures",
    "decide",
    "headroom_score",
    "judge",
    "overall_verdict",
]
