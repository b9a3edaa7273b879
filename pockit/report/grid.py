"""A batch grid's points as typed values, and ``grid_results.json``, their file, spelt once here.

``run_batch`` (:mod:`pockit.report._batch`) writes one :class:`GridPoint` per combination of
parameters with :meth:`GridPoint.to_dict`; ``compare.ipynb`` reads them back with
:meth:`GridPoint.from_dict` (:func:`pockit.report.batch_model.load_points`), which treats the file as
untrusted input: a field of the wrong type is an :class:`~pockit.InputError` naming the file, the
point and the field. :mod:`.batch_view` and :mod:`.plots.batch` read only these types.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pockit._errors import InputError

if TYPE_CHECKING:
    from pockit.analysis import GroupStats

__all__ = ["POINT_FAILED", "POINT_OK", "GridPoint", "PointCriterion"]

#: ``status`` of a point whose notebook ran / failed (papermill's error in ``error``).
POINT_OK = "ok"
POINT_FAILED = "failed"


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True, kw_only=True)
class PointCriterion:
    """One criterion's outcome at one grid point (from the point's :func:`pockit.decide`)."""

    metric: str
    label: str
    outcome: str
    candidate: str | None = None
    op: str | None = None
    threshold: float | None = None
    key: bool = False
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "metric": self.metric,
            "label": self.label,
            "op": self.op,
            "threshold": self.threshold,
            "key": self.key,
            "outcome": self.outcome,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "n": self.n,
            "reason": self.reason,
        }

    @classmethod
    def of(cls, result: Mapping[str, Any]) -> PointCriterion:
        """From a criterion result's ``to_dict()`` (:class:`pockit.decision.CriterionResult`) or
        the same shape read from a file; numbers that are not finite read as None."""
        n = result.get("n")
        return cls(
            metric=str(result.get("metric") or "?"),
            label=str(result.get("label") or result.get("metric") or "?"),
            outcome=str(result.get("outcome") or "INCONCLUSIVE"),
            candidate=None if result.get("candidate") is None else str(result.get("candidate")),
            op=None if result.get("op") is None else str(result.get("op")),
            threshold=_finite(result.get("threshold")),
            key=result.get("key") is True,
            estimate=_finite(result.get("estimate")),
            ci_low=_finite(result.get("ci_low")),
            ci_high=_finite(result.get("ci_high")),
            n=n if isinstance(n, int) and not isinstance(n, bool) else None,
            reason=str(result.get("reason") or ""),
        )


@dataclass(frozen=True, kw_only=True)
class GridPoint:
    """One combination of grid parameters: how its notebook went, its runs, and once judged, its
    verdict. ``stats`` (the runs' overall figures, :func:`pockit.analysis.run_stats`) is filled
    when the point is read for the comparison; it is not written to ``grid_results.json``."""

    params: Mapping[str, Any]
    name: str
    status: str
    run_dirs: tuple[str, ...] = ()
    error: str | None = None
    notebook: str | None = None
    runs_dir: str | None = None
    stats: GroupStats | None = None
    #: whether the point was judged against the spec (a verdict of None: it could not be)
    judged: bool = False
    verdict: str | None = None
    verdict_reason: str | None = None
    #: candidate -> its verdict at this point
    candidates: Mapping[str, str] = field(default_factory=dict)
    criteria: tuple[PointCriterion, ...] = ()

    @property
    def ok(self) -> bool:
        """The point's notebook ran."""
        return self.status == POINT_OK

    def to_dict(self) -> dict[str, Any]:
        """The point as ``grid_results.json`` and ``pockit batch --json`` hold it."""
        out: dict[str, Any] = {
            "params": dict(self.params),
            "name": self.name,
            "status": self.status,
            "run_dirs": list(self.run_dirs),
        }
        for key, value in (
            ("error", self.error),
            ("notebook", self.notebook),
            ("runs_dir", self.runs_dir),
        ):
            if value is not None:
                out[key] = value
        if self.judged:
            out.update(
                verdict=self.verdict,
                verdict_reason=self.verdict_reason,
                candidates=dict(self.candidates),
                criteria=[c.to_dict() for c in self.criteria],
            )
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "grid point") -> GridPoint:
        """A point as :meth:`to_dict` wrote it; ``where`` names it in errors (file and index)."""
        if not isinstance(data, Mapping):
            raise InputError(f"{where}: expected an object, found {type(data).__name__}")

        def text(key: str, *, required: bool = False) -> str | None:
            value = data.get(key)
            if value is None and not required:
                return None
            if not isinstance(value, str):
                raise InputError(f"{where}: {key!r} must be text, found {value!r}")
            return value

        params = data.get("params") or {}
        runs = data.get("run_dirs") or []
        cands = data.get("candidates") or {}
        crits = data.get("criteria") or []
        if not isinstance(params, Mapping):
            raise InputError(f"{where}: 'params' must be an object, found {params!r}")
        if not isinstance(runs, list) or not all(isinstance(r, str) for r in runs):
            raise InputError(f"{where}: 'run_dirs' must be a list of paths, found {runs!r}")
        if not isinstance(cands, Mapping):
            raise InputError(f"{where}: 'candidates' must be an object, found {cands!r}")
        if not isinstance(crits, list) or not all(isinstance(c, Mapping) for c in crits):
            raise InputError(f"{where}: 'criteria' must be a list of objects")
        status = text("status", required=True)
        if status not in (POINT_OK, POINT_FAILED):
            raise InputError(
                f"{where}: 'status' must be {POINT_OK!r} or {POINT_FAILED!r}, found {status!r}"
            )
        return cls(
            params=dict(params),
            name=text("name") or "point",
            status=status,
            run_dirs=tuple(runs),
            error=text("error"),
            notebook=text("notebook"),
            runs_dir=text("runs_dir"),
            judged="verdict" in data,
            verdict=text("verdict"),
            verdict_reason=text("verdict_reason"),
            candidates={str(k): str(v) for k, v in cands.items()},
            criteria=tuple(PointCriterion.of(c) for c in crits),
        )
