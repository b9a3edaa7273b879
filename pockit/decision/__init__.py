"""Decision: criteria -> outcomes (PASS / FAIL / WARN / INCONCLUSIVE) -> verdict (GO / NO-GO /
INCONCLUSIVE), with the evidence for each (architecture.md contract 3).

>>> from pockit.decision import decide
>>> decision = decide(spec, runs)          # doctest: +SKIP
>>> decision.verdict, decision.recommended  # doctest: +SKIP
('GO', 'async')
>>> costs = candidate_costs(spec, runs)    # doctest: +SKIP
>>> decide(spec, runs, costs=costs)        # doctest: +SKIP

``candidate_costs`` gives the cost figures the decision judges, with their details.
"""

from __future__ import annotations

from pockit.criteria import judge
from pockit.decision._billing import candidate_costs
from pockit.decision._costs import CandidateCost, CostFigure, CostLike, cost_figures
from pockit.decision._decide import decide
from pockit.decision._model import (
    CandidateResult,
    CriterionResult,
    Decision,
    Outcome,
    Verdict,
)
from pockit.decision._sensitivity import SENSITIVITY_STEP
from pockit.decision._verdicts import candidate_verdict, headroom_score, overall_verdict

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
