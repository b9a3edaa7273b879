"""A share of requests with its bounds, the run as the unit with several runs (rates, classes, burn).

Rates count every request, whatever its latency. Rows that ``pockit import --skip-bad-rows``
skipped (:attr:`CandidateData.rows_unknown`) are requests of unknown outcome: a share is judged with
them at both extremes and PASSes or FAILs only when both agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pockit.criteria._base import CandidateData, Rule
from pockit.criteria._judge import Judged, both_ways, judge, share, widen

if TYPE_CHECKING:
    from pockit.analysis import Requests


def run_share(
    data: CandidateData, counts: dict[str, tuple[int, int]], *, unknown_rows: bool | None
) -> tuple[float, float, float]:
    """Share and bounds of ``k`` of ``n`` (run id -> (n, k)); with several runs the run is the unit.

    ``unknown_rows`` says where the importer's skipped rows go: None leaves them out, False counts
    them as requests not counted, True as requests counted."""
    n_run = {r: n for r, (n, _) in counts.items()}
    k_run = {r: k for r, (_, k) in counts.items()}
    if unknown_rows is not None:
        for rid, (count, _) in data.rows_unknown.items():
            n_run[rid] = n_run.get(rid, 0) + count
            k_run[rid] = k_run.get(rid, 0) + (count if unknown_rows else 0)
    n, k = sum(n_run.values()), sum(k_run.values())
    value, lo, hi = share(k, n)
    if data.unit == "run":
        lo, hi, _ = widen((lo, hi), [k_run[r] / n_run[r] for r in n_run if n_run[r]])
        lo, hi = max(0.0, lo), min(1.0, hi)
    return value, lo, hi


def request_share(
    data: CandidateData, requests: Requests, *, errors: bool, unknown_ok: bool | None = None
) -> tuple[int, float, float, float]:
    """Count, share and bounds of failed (``errors``) or successful requests among *all* of
    ``requests``, whatever their latency; with several runs the run is the unit.

    ``unknown_ok`` True / False adds the rows of unknown outcome (``data.rows_unknown``) as all
    successful / all failed; None leaves them out (the share of the rows read)."""
    counts = {rid: (n, n - ok if errors else ok) for rid, (n, ok) in requests.run_counts().items()}
    rows = None if unknown_ok is None else unknown_ok != errors  # all OK count as successes
    value, lo, hi = run_share(data, counts, unknown_rows=rows)
    return sum(k for _, k in counts.values()), value, lo, hi


def judged_share(
    rule: Rule, data: CandidateData, requests: Requests, *, errors: bool, scale: float = 1.0
) -> tuple[int, Judged]:
    """Judge the failed (``errors``) or successful share of ``requests`` (divided by ``scale``):
    once, or at both extremes of the rows of unknown outcome (all OK, all failed)."""
    k, value, lo, hi = request_share(data, requests, errors=errors)
    if not data.n_unknown:
        est = (value / scale, lo / scale, hi / scale)
        return k, Judged(judge(rule, *est), *est)
    ends = []
    for unknown_ok in (True, False):
        _, v, lo, hi = request_share(data, requests, errors=errors, unknown_ok=unknown_ok)
        ends.append((judge(rule, v / scale, lo / scale, hi / scale), lo / scale, hi / scale))
    (good, lo_a, hi_a), (bad, lo_b, hi_b) = ends
    return k, Judged(
        both_ways(good, bad),
        value / scale,
        min(lo_a, lo_b),
        max(hi_a, hi_b),
        if_good=good,
        if_bad=bad,
    )
