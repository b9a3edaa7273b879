"""Read ``poc.yaml`` into a :class:`Spec`, collecting every problem with its field path and line.

Errors name the field the way a user would point at it: ``criteria[1].op: expected one of
< <= > >=``. Unknown keys are errors too (a misspelt ``threshhold`` must not pass silently), with a
"did you mean" when a known key is close.

This module reads the file and the top level; each section has its module (``_load_profile``,
``_criteria``, ``_sources``, ``_faults``, ``_guardrails``), all walking the mapping through
:class:`~pockit.spec._reader._Reader` with the converters of ``_convert``.
"""

import hashlib
from pathlib import Path
from typing import Any

import yaml

from pockit._errors import FieldError, SpecError
from pockit.spec._capacity import check_capacity
from pockit.spec._convert import _flag, _fraction, _prose, _prose_list, _str_list, _str_map, _text
from pockit.spec._criteria import _build_criteria, _check_references
from pockit.spec._faults import _build_faults, _check_offsets
from pockit.spec._guardrails import _build_guardrails, _check_caps, _url_problem
from pockit.spec._keys import BASELINE_KEYS, CANDIDATE_KEYS, DECISION_KEYS, SLO_KEYS, TOP_KEYS
from pockit.spec._load_profile import _build_load
from pockit.spec._model import Baseline, Candidate, Criterion, Load, Spec
from pockit.spec._reader import _Reader
from pockit.spec._sources import _build_cost, _build_metrics, _build_observability
from pockit.spec._yaml import read_yaml, refusal


def load_spec(path: str | Path) -> Spec:
    """Read and validate the spec at ``path``.

    >>> spec = load_spec("poc.yaml")          # doctest: +SKIP
    >>> spec.candidate("async").host          # doctest: +SKIP

    Raises :class:`SpecError` listing every problem (``.errors``), each with field and line.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SpecError([FieldError("(file)", f"spec file not found: {path}")], str(path)) from None
    except OSError as exc:
        raise SpecError([FieldError("(file)", f"cannot read spec: {exc}")], str(path)) from None
    return parse_spec(data, path=path)


def parse_spec(data: bytes | str, *, path: str | Path | None = None) -> Spec:
    """Validate spec text; relative paths in it (locustfile, cost source) resolve against ``path``'s folder.

    >>> spec = parse_spec('''
    ... name: checkout
    ... hypothesis: async checkout keeps p95 under 300 ms
    ... candidates:
    ...   - {name: async, host: "http://127.0.0.1:8082"}
    ... load: {locustfile: locustfile.py, users: 10, duration: 1m}
    ... criteria:
    ...   - {metric: latency_p95_ms, op: "<", threshold: 300}
    ... ''')
    >>> spec.candidate("async").host, spec.load.duration_s, spec.criteria[0].label
    ('http://127.0.0.1:8082', 60.0, 'latency_p95_ms < 300')

    Every problem is collected, each with its field (and line when the text has one):

    >>> parse_spec("name: x\\ncandidates: []\\n")
    Traceback (most recent call last):
    ...
    pockit._errors.SpecError: spec is not valid (3 problem(s)):
      hypothesis: required field is missing (one sentence: what you expect to hold)
      candidates: needs at least one candidate (line 2)
      criteria: required field is missing (a list of {metric, op, threshold})
    """
    raw_bytes = data.encode() if isinstance(data, str) else data
    where = str(path) if path is not None else None
    try:
        doc = read_yaml(raw_bytes.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SpecError([FieldError("(file)", f"not UTF-8 text: {exc}")], where) from None
    except yaml.YAMLError as exc:
        message, line = refusal(exc)
        raise SpecError([FieldError("(file)", message, line)], where) from None
    raw = doc.data
    reader = _Reader(doc)
    if not isinstance(raw, dict):
        raise SpecError(
            [
                FieldError(
                    "(file)",
                    "a spec is a YAML mapping with name, hypothesis, candidates, load, criteria",
                )
            ],
            where,
        )
    base = Path(path).parent if path is not None else Path.cwd()
    spec = _build(reader, raw, base)
    if reader.errors:
        raise SpecError(reader.errors, where)
    assert spec is not None
    return Spec(
        **{
            **spec.__dict__,
            "path": where,
            "sha256": hashlib.sha256(raw_bytes).hexdigest(),
            "raw": raw,
        }
    )


def _build(r: _Reader, raw: dict[str, Any], base: Path) -> Spec | None:
    top = r.mapping(raw, "", TOP_KEYS)
    name = r.get(top, "", "name", _text, "", required=True, what="a short name for the PoC")
    hypothesis = r.get(
        top,
        "",
        "hypothesis",
        _prose,
        "",
        required=True,
        what="one sentence: what you expect to hold",
    )

    candidates: list[Candidate] = []
    if "candidates" not in top:
        r.error("candidates", "required field is missing (a list of {name, host})")
    for field, item in r.items(top.get("candidates"), "candidates"):
        c = r.mapping(item, field, CANDIDATE_KEYS)
        if not c:
            continue
        host = r.get(c, field, "host", _text, "", required=True, what="e.g. http://127.0.0.1:8080")
        if host and "://" not in host:
            r.error(f"{field}.host", f"expected a URL with a scheme such as http://{host}")
        elif host:
            problem = _url_problem(host)
            if problem:
                r.error(f"{field}.host", problem)
        candidates.append(
            Candidate(
                name=r.get(c, field, "name", _text, f"candidate{len(candidates)}", required=True),
                host=host.rstrip("/"),
                tags=r.get(c, field, "tags", _str_map, {}),
                resource_ids=r.get(c, field, "resource_ids", _str_list, tuple[str, ...]()),
                description=r.get(c, field, "description", _prose, ""),
            )
        )
    seen: set[str] = set()
    for i, cand in enumerate(candidates):
        if cand.name in seen:
            r.error(f"candidates[{i}].name", f"duplicate candidate name {cand.name!r}")
        seen.add(cand.name)
    if "candidates" in top and not candidates and isinstance(top.get("candidates"), list):
        r.error("candidates", "needs at least one candidate")

    load = _build_load(r, top, base)
    criteria = _build_criteria(r, top)
    cost = _build_cost(r, top, base)
    metrics = _build_metrics(r, top, base)
    observability = _build_observability(r, top)
    faults = _build_faults(r, top, seen)
    guardrails = _build_guardrails(r, top)

    baseline = None
    if "baseline" in top:
        b = r.mapping(top["baseline"], "baseline", BASELINE_KEYS)
        bname = r.get(b, "baseline", "candidate", _text, "", required=True)
        if bname and seen and bname not in seen:
            r.error(
                "baseline.candidate",
                f"no candidate {bname!r}; candidates: {', '.join(sorted(seen))}",
            )
        baseline = Baseline(
            candidate=bname,
            margin=r.get(b, "baseline", "margin", _fraction, 0.10),
            metrics=r.get(b, "baseline", "metrics", _str_list, ("latency_ms",)),
        )
    slo = r.mapping(top.get("slo"), "slo", SLO_KEYS)
    slo_target = r.get(slo, "slo", "target", _fraction, None) if slo else None
    decision = r.mapping(top.get("decision"), "decision", DECISION_KEYS)
    warn_is_go = r.get(decision, "decision", "warn_is_go", _flag, True)
    notes = r.get(top, "", "notes", _prose_list, tuple[str, ...]())

    _check_caps(r, load, guardrails, candidates, cost)
    check_capacity(r, load, criteria, guardrails)
    if load is not None:
        _check_offsets(r, load, faults)
    _check_references(r, criteria, metrics, observability)
    _check_stop_when(r, load, criteria, slo_target)
    return Spec(
        name=name,
        hypothesis=hypothesis,
        candidates=tuple(candidates),
        load=load,
        criteria=tuple(criteria),
        cost=cost,
        metrics=tuple(metrics),
        observability=observability,
        faults=tuple(faults),
        guardrails=guardrails,
        baseline=baseline,
        slo_target=slo_target,
        warn_is_go=warn_is_go,
        notes=notes,
    )


def _check_stop_when(
    r: _Reader, load: Load | None, criteria: list[Criterion], slo_target: float | None
) -> None:
    """``stop_when: decided`` watches the criteria that are shares of requests; without one the
    run could never stop early, which is not what the spec asked for."""
    if load is None or load.stop_when != "decided" or not criteria:
        return
    from pockit.analysis import share_test  # numpy: only for a spec that asks for stop_when

    if any(share_test(c, slo_target=slo_target) is not None for c in criteria):
        return
    r.error(
        "load.stop_when",
        "decided needs a criterion the anytime-valid bounds can judge while the run goes (a "
        "latency percentile, success_rate, error_rate, a request-class rate, or "
        "error_budget_burn with slo.target); "
        f"{', '.join(c.metric for c in criteria)} are judged after the run only, so this run "
        "would never stop early: add such a criterion or remove stop_when",
    )
