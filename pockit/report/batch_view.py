"""What ``compare.ipynb`` shows: the grid's points, each judged against the spec's criteria, their
headline numbers (from ``run_stats``), curves along a numeric grid key, and failures.

A point passes when its candidate's verdict is GO (WARN counts as the spec says). Along a numeric
key (users, duration_s, ...), each candidate's *last passing value* is the largest grid value at
which it passes; :func:`pass_sentence` says it in words, and names gaps ("passes at 20 users, not
at 5") instead of claiming a range the grid did not show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pockit._display import (
    VERDICT_COLORS,
    badge,
    bound_notes,
    esc,
    interval,
    missing_bound,
    note,
    number,
    table,
)
from pockit.report.batch_model import (  # gathered there; still importable here
    judge_point,
    judge_points,
    load_points,
)
from pockit.report.grid import GridPoint, PointCriterion

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from pockit.analysis import GroupStats

__all__ = [
    "PassRange",
    "along",
    "along_html",
    "grid_figure",
    "judge_point",
    "judge_points",
    "last_passing",
    "load_points",
    "numeric_key",
    "pass_sentence",
    "rows",
    "rows_note",
    "summary_banner",
    "verdict_table",
]

#: The verdict under which a grid point counts as passing.
PASSING = "GO"
#: What a point that produced no verdict (its notebook failed, or it could not be judged) shows.
NOT_RUN = "not run"


def _candidate(point: GridPoint) -> str:
    """The candidate a point ran (poc_run runs one): its grid value, else the one it was judged on."""
    if point.params.get("candidate"):
        return str(point.params["candidate"])
    names = list(point.candidates)
    return names[0] if len(names) == 1 else ""


def _point_verdict(point: GridPoint) -> str | None:
    """The point's candidate's verdict (the decision's when the candidate is unknown)."""
    name = _candidate(point)
    return point.candidates.get(name, point.verdict)


def _verdict_badge(verdict: Any) -> str:
    text = str(verdict) if verdict else NOT_RUN
    color = VERDICT_COLORS.get(text, "#616e7c")
    style = (
        f"background:{color};color:#fff;font-weight:700;padding:1px 6px;border-radius:3px;"
        "white-space:nowrap;"
    )
    return f'<span class="verdict-badge" style="{style}">{esc(text)}</span>'


def verdict_table(points: Sequence[GridPoint]) -> str:
    """Point × criterion: each point's verdict and every criterion's outcome (badge and estimate)."""
    from pockit.criteria import unit as unit_of

    labels: list[str] = []
    for p in points:
        labels.extend(c.label for c in p.criteria if c.label not in labels)
    keys: list[str] = []
    for p in points:
        keys.extend(k for k in p.params if k not in keys)
    body = []
    for p in points:
        by_label: dict[str, PointCriterion] = {c.label: c for c in p.criteria}
        cells: list[Any] = [esc(p.params.get(k, "")) for k in keys]
        cells.append(_verdict_badge(_point_verdict(p)))
        for label in labels:
            c: PointCriterion | None = by_label.get(label)
            if c is None:
                cells.append(esc("—"))
                continue
            unit = unit_of(c.metric)
            cells.append(
                f"{badge(c.outcome)} {esc(number(c.estimate, unit))}"
                f'<br><span style="font-size:11px;color:#616e7c;">'
                f"{esc(interval(c.ci_low, c.ci_high, unit))}</span>"
            )
        cells.append(("reason", esc(p.verdict_reason or "")))
        body.append(cells)
    if not body:
        return note("No grid points.")
    return table([*keys, "verdict", *labels, "why"], body, cls="pockit-criteria batch-verdicts")


# -- the last passing value along a numeric key -------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PassRange:
    """Where one series (a candidate) passes along a numeric grid key."""

    series: str
    passing: tuple[float, ...]
    #: the values it does not pass at, each with its verdict (or ``not run``)
    failing: tuple[tuple[float, str], ...]

    @property
    def last(self) -> float | None:
        """The largest grid value at which it passes (None: it passes nowhere)."""
        return max(self.passing) if self.passing else None

    @property
    def contiguous(self) -> bool:
        """Passing at every value up to :attr:`last` (so "up to" is true)."""
        last = self.last
        return last is not None and all(x > last for x, _ in self.failing)


def last_passing(verdicts: Mapping[str, Mapping[float, str | None]]) -> dict[str, PassRange]:
    """``{series: {grid value: verdict}}`` → where each series passes (verdict GO)."""
    out: dict[str, PassRange] = {}
    for name, by_x in verdicts.items():
        xs = sorted(by_x)
        out[name] = PassRange(
            series=name,
            passing=tuple(x for x in xs if by_x[x] == PASSING),
            failing=tuple((x, str(by_x[x] or NOT_RUN)) for x in xs if by_x[x] != PASSING),
        )
    return out


def _value(x: float) -> str:
    return f"{x:g}"


def _with_unit(key: str, values: Sequence[float]) -> str:
    text = " and ".join(
        [", ".join(_value(x) for x in values[:-1]), _value(values[-1])]
        if len(values) > 1
        else [_value(values[0])]
    )
    if key == "users":
        return f"{text} user" + ("" if len(values) == 1 and values[0] == 1 else "s")
    if key.endswith("_s"):
        return f"{text} s"
    return f"{key} = {text}"


def _not_at(failing: Sequence[tuple[float, str]]) -> str:
    return "not at " + ", ".join(f"{_value(x)} ({v})" for x, v in failing)


def pass_sentence(key: str, ranges: Mapping[str, PassRange]) -> str:
    """One sentence on where each series passes along ``key``: "async passes up to 20 users;
    baseline passes up to 5 users, not at 20 (NO-GO)"; with gaps, the values themselves."""
    parts = []
    for r in ranges.values():
        if not r.passing:
            parts.append(
                f"{r.series} passes at none of {_with_unit(key, [x for x, _ in r.failing])}"
                f" ({', '.join(sorted({v for _, v in r.failing}))})"
            )
        elif not r.failing:
            parts.append(
                f"{r.series} passes up to {_with_unit(key, [r.passing[-1]])} (every value tried)"
            )
        elif r.contiguous:
            parts.append(
                f"{r.series} passes up to {_with_unit(key, [r.passing[-1]])}, {_not_at(r.failing)}"
            )
        else:
            parts.append(
                f"{r.series} passes at {_with_unit(key, list(r.passing))}, {_not_at(r.failing)}"
            )
    return "; ".join(parts) + "." if parts else ""


def numeric_key(points: Sequence[GridPoint]) -> str | None:
    """The grid key to draw curves along: the first (candidate aside) whose values are all numbers,
    with at least two of them; None when the grid has no such key (the bars stay)."""
    keys: list[str] = []
    for p in points:
        keys.extend(k for k in p.params if k not in keys and k != "candidate")
    for k in keys:
        vals = [p.params.get(k) for p in points]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals) and (
            len(set(vals)) >= 2
        ):
            return k
    return None


def _series_name(point: GridPoint, key: str) -> str:
    """A curve's name: the candidate, plus any other grid key's value (one line per combination)."""
    others = [f"{k}={v}" for k, v in point.params.items() if k not in (key, "candidate")]
    cand = _candidate(point) or "(candidate)"
    return " ".join([cand, *others])


def _along(
    points: Sequence[GridPoint], key: str
) -> tuple[dict[str, list[tuple[float, GroupStats]]], dict[str, PassRange]]:
    series: dict[str, list[tuple[float, GroupStats]]] = {}
    verdicts: dict[str, dict[float, str | None]] = {}
    for p in points:
        x = float(p.params[key])
        name = _series_name(p, key)
        verdicts.setdefault(name, {})[x] = _point_verdict(p) if p.ok else None
        if p.ok and p.stats is not None:
            series.setdefault(name, []).append((x, p.stats))
    return series, last_passing(verdicts)


def along(points: Sequence[GridPoint]) -> dict[str, Any] | None:
    """The numeric key, each series' last passing value and the sentence (None without such a key)."""
    key = numeric_key(points)
    if key is None:
        return None
    _, ranges = _along(points, key)
    return {
        "key": key,
        "last_passing": {n: r.last for n, r in ranges.items()},
        "sentence": pass_sentence(key, ranges),
    }


def along_html(points: Sequence[GridPoint]) -> str:
    """The sentence that answers the grid's question, or why there is none ('' without a numeric key)."""
    a = along(points)
    if a is None:
        return ""
    return f'<p class="batch-along"><strong>{esc(a["sentence"])}</strong></p>' + note(
        f"A point passes when its candidate's verdict is {PASSING}; the last passing value is the "
        f"largest value of {a['key']} at which it does."
    )


def grid_figure(points: Sequence[GridPoint]) -> Figure:
    """Curves along a numeric grid key (one line per candidate, last passing value marked); the
    per-point bars otherwise."""
    from pockit.report import plots

    key = numeric_key(points)
    if key is None:
        return plots.grid_bars(points)
    series, ranges = _along(points, key)
    return plots.grid_curves(key, series, {n: r.last for n, r in ranges.items()})


# -- the table and the bars ---------------------------------------------------------------------


def summary_banner(points: Sequence[GridPoint]) -> str:
    ok = sum(1 for p in points if p.ok)
    failed = len(points) - ok
    color = "nogo" if ok == 0 else ("inconclusive" if failed else "go")
    counts: dict[str, int] = {}
    for p in points:
        if p.ok and p.judged:
            v = str(_point_verdict(p) or NOT_RUN)
            counts[v] = counts.get(v, 0) + 1
    judged = ", ".join(f"{n} {v}" for v, n in counts.items())
    return (
        f'<div class="pockit-banner {color}" id="verdict"><div class="verdict">{ok} of {len(points)} grid point(s) ran</div>'
        + (f"<div>judged against the spec's criteria: {esc(judged)}</div>" if judged else "")
        + (f"<div>{failed} failed; their errors are listed below.</div>" if failed else "")
        + "</div>"
    )


def _p95(point: GridPoint) -> tuple[float | None, float | None, float | None] | None:
    """The point's P95 (value, low, high; ends the data could not set are None), None without one."""
    est = point.stats.latency_ms.get("p95") if point.stats is not None else None
    if est is None:
        return None
    d = est.to_dict()
    return d["value"], d["ci_low"], d["ci_high"]


def rows(points: Sequence[GridPoint]) -> list[dict[str, Any]]:
    """One table row per point: parameters, status, verdict, n, success rate (%), throughput,
    p95 [interval], error."""
    out = []
    for p in points:
        s = p.stats
        p95 = _p95(p)
        row: dict[str, Any] = dict(p.params)
        row.update(
            {
                "status": p.status,
                "verdict": _point_verdict(p) or "",
                "requests": s.n if s is not None else None,
                "success rate": number(s.success_rate.value, "%") if s is not None else "",
                "throughput (req/s)": s.to_dict()["throughput_rps"] if s is not None else None,
                "p95 (ms)": p95[0] if p95 else None,
                "p95 95% interval": (
                    interval(p95[1], p95[2], "ms", mark_missing=True) if p95 else ""
                ),
                "error": p.error or "",
            }
        )
        out.append(row)
    return out


def rows_note(points: Sequence[GridPoint]) -> str:
    """The footnote for p95 interval ends in :func:`rows` the data could not set ('' if none)."""
    sides = []
    for p in points:
        p95 = _p95(p)
        side = missing_bound(p95[1], p95[2]) if p95 else None
        if side:
            sides.append(side)
    return bound_notes(sides)
