"""Read ``poc.yaml`` into a :class:`Spec`, collecting every problem with its field path and line.

Errors name the field the way a user would point at it: ``criteria[1].op: expected one of
< <= > >=``. Unknown keys are errors too (a misspelt ``threshhold`` must not pass silently), with a
"did you mean" when a known key is close.
"""

from __future__ import annotations

import difflib
import hashlib
import keyword
import math
import reprlib
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import yaml

from pockit._constants import STOP_WHEN_MIN_DURATION_S
from pockit._errors import FieldError, SpecError
from pockit._vocabulary import BILLING_FORMATS, COST_CHOICES, FORMAT_ALIASES
from pockit.criteria import expected_text, needs
from pockit.spec._durations import parse_duration
from pockit.spec._model import (
    LATENCY_SHAPE,
    OPS,
    Baseline,
    Candidate,
    CostSource,
    Criterion,
    Fault,
    Guardrails,
    IdleGap,
    Load,
    MetricSource,
    Shape,
    Spec,
    Stage,
    metric_is_known,
)
from pockit.spec._yaml import Document, as_written, read_yaml, refusal

T = TypeVar("T")

TOP_KEYS = {
    "name",
    "hypothesis",
    "candidates",
    "load",
    "criteria",
    "cost",
    "metrics",
    "faults",
    "guardrails",
    "baseline",
    "slo",
    "notes",
    "decision",
}
CANDIDATE_KEYS = {"name", "host", "tags", "resource_ids", "description"}
LOAD_KEYS = {
    "locustfile",
    "users",
    "spawn_rate",
    "duration",
    "repeats",
    "cooldown",
    "workers",
    "user_classes",
    "shape",
    "idle_gaps",
    "stop_when",
    "stop_when_min_duration",
    "stop_when_require",
}
SHAPE_KEYS = {"kind", "stages", "spike_users", "spike_at", "spike_duration", "rate"}
STAGE_KEYS = {"duration", "users", "spawn_rate", "rate"}
GAP_KEYS = {"at", "pause", "probe"}
CRITERION_KEYS = {
    "metric",
    "op",
    "threshold",
    "warn",
    "key",
    "weight",
    "min_samples",
    "on_missing",
    "endpoint",
}
COST_KEYS = {"source", "format", "column", "price_book", "lag_ok"}
METRIC_KEYS = {
    "kind",
    "name",
    "url",
    "query",
    "path",
    "namespace",
    "metric_name",
    "dimensions",
    "stat",
    "step",
    "unit",
}
FAULT_KEYS = {"kind", "at", "duration", "value", "command", "restart", "candidate"}
GUARD_KEYS = {
    "allowed_hosts",
    "max_users",
    "max_rps",
    "max_duration",
    "max_budget_usd",
    "max_workers",
}
BASELINE_KEYS = {"candidate", "margin", "metrics"}
SLO_KEYS = {"target"}
DECISION_KEYS = {"warn_is_go"}


class _Reader:
    """Walks the raw mapping; every accessor records a FieldError instead of raising."""

    def __init__(self, doc: Document) -> None:
        self.errors: list[FieldError] = list(doc.errors)
        self.lines = doc.lines
        self.nodes = doc.nodes

    def error(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message, self._line(field)))

    def _line(self, field: str) -> int | None:
        """The field's line, or its nearest enclosing field's (a missing field has none of its own)."""
        while field:
            if field in self.lines:
                return self.lines[field]
            cut = max(field.rfind("."), field.rfind("["))
            field = field[:cut] if cut > 0 else ""
        return None

    def mapping(self, value: Any, field: str, allowed: set[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(field, f"expected a mapping, got {type(value).__name__}")
            return {}
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                hint = (
                    f"; did you mean {close[0]!r}?"
                    if close
                    else f"; known fields: {', '.join(sorted(allowed))}"
                )
                self.error(_join(field, str(key)), f"unknown field{hint}")
        return value

    def get(
        self,
        data: dict[str, Any],
        field: str,
        key: str,
        convert: Callable[[Any], T],
        default: T,
        *,
        required: bool = False,
        what: str = "",
    ) -> T:
        path = _join(field, key)
        if key not in data or data[key] is None:
            if required:
                self.error(path, f"required field is missing{f' ({what})' if what else ''}")
            return default
        try:
            return convert(self.written(path, data[key]) if convert in _AS_WRITTEN else data[key])
        except (TypeError, ValueError) as exc:
            self.error(path, str(exc))
            return default

    def written(self, path: str, value: Any) -> Any:
        """``value`` with its scalars as the text written (``true``, ``007``), when its node is known."""
        node = self.nodes.get(path)
        return as_written(node) if node is not None else value

    def items(self, value: Any, field: str) -> list[tuple[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(field, f"expected a list, got {type(value).__name__}")
            return []
        return [(f"{field}[{i}]", item) for i, item in enumerate(value)]


def _join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


#: The only control characters prose (hypothesis, notes, a PromQL query) may hold.
_PROSE_CONTROLS = "\n\t"


def _no_controls(text: str, allowed: str = "") -> str:
    """``text``, or ValueError naming its first control character (C0, DEL, C1, U+2028/2029).

    Names and tags end up in email headers, file names, argv, HTML and billing filters, where a
    CR/LF or NUL breaks or rewrites what follows.
    """
    for i, ch in enumerate(text):
        if ch not in allowed and unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            where = (
                "prose (only newline and tab)" if allowed else "a name, tag or single-line field"
            )
            raise ValueError(
                f"control character {ch!r} (U+{ord(ch):04X}) at position {i} of "
                f"{reprlib.repr(text)} is not allowed in {where}"
            )
    return text


def _nonempty(value: Any) -> str:
    if (
        not isinstance(value, str | int | float)
        or isinstance(value, bool)
        or str(value).strip() == ""
    ):
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return str(value)


def _text(value: Any) -> str:
    """A single-line string: names, hosts, paths, tags."""
    return _no_controls(_nonempty(value))


def _prose(value: Any) -> str:
    """Free text that may span lines: hypothesis, description, query."""
    return _no_controls(_nonempty(value), _PROSE_CONTROLS)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        # nan compares false with everything: a cap of .nan would let anything through.
        raise ValueError(f"expected a finite number, got {reprlib.repr(value)}")
    return number


def _above_zero(convert: Callable[[Any], float], what: str) -> Callable[[Any], float]:
    def converted(value: Any) -> float:
        number = convert(value)
        if number <= 0:
            raise ValueError(f"expected {what} > 0, got {value!r}")
        return number

    return converted


_positive = _above_zero(_number, "a number")
_positive_duration = _above_zero(parse_duration, "a duration")


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a whole number >= 0, got {value!r}")
    return value


def _positive_count(value: Any) -> int:
    number = _count(value)
    if number < 1:
        raise ValueError(f"expected a whole number >= 1, got {value!r}")
    return number


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _fraction(value: Any) -> float:
    number = _number(value)
    if not 0 < number < 1:
        raise ValueError(f"expected a fraction between 0 and 1, got {value!r}")
    return number


def _choice(*options: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in options:
            raise ValueError(f"expected one of {' '.join(options)}, got {value!r}")
        return str(value)

    return convert


def _scalar(value: Any) -> str:
    """One written scalar (``true`` stays ``true``), refused when it is a list or mapping."""
    if isinstance(value, list | dict | yaml.Node):
        raise ValueError(
            f"expected a string, got a {'list' if isinstance(value, list) else 'mapping'}"
        )
    return str(value)


def _str_map(value: Any) -> dict[str, str]:
    """Tags and dimensions: flat, single-line, keys non-empty; values kept as written."""
    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping of strings, got {type(value).__name__}")
    out: dict[str, str] = {}
    for k, v in value.items():
        try:
            key = _text(_scalar(k))
            out[key] = _no_controls(_scalar(v))
        except ValueError as exc:
            raise ValueError(f"expected a mapping of strings; at {k!r}: {exc}") from None
    return out


def _list_of(convert: Callable[[Any], str]) -> Callable[[Any], tuple[str, ...]]:
    def converted(value: Any) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, list):
            raise ValueError(f"expected a list of strings, got {value!r}")
        return tuple(convert(_scalar(v)) for v in value)

    return converted


_str_list = _list_of(_text)
_prose_list = _list_of(_prose)

#: Converters that read the value as written, not as YAML typed it (``007`` is not 7).
_AS_WRITTEN: frozenset[Callable[[Any], Any]] = frozenset(
    {_text, _prose, _str_map, _str_list, _prose_list}
)


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
    """Validate spec text; relative paths in it (locustfile, cost source) resolve against ``path``'s folder."""
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


def _resolve(base: Path, value: str) -> str:
    if "://" in value or value in {"cost-explorer", "athena", "model"}:
        return value
    candidate = Path(value)
    return str(candidate if candidate.is_absolute() else (base / candidate))


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
    if load is not None:
        _check_offsets(r, load, faults)
    _check_references(r, criteria, metrics)
    return Spec(
        name=name,
        hypothesis=hypothesis,
        candidates=tuple(candidates),
        load=load,
        criteria=tuple(criteria),
        cost=cost,
        metrics=tuple(metrics),
        faults=tuple(faults),
        guardrails=guardrails,
        baseline=baseline,
        slo_target=slo_target,
        warn_is_go=warn_is_go,
        notes=notes,
    )


def _build_load(r: _Reader, top: dict[str, Any], base: Path) -> Load | None:
    if (
        "load" not in top
    ):  # judging imported runs needs none; running load does (Spec.runnable_load)
        return None
    f = "load"
    d = r.mapping(top["load"], f, LOAD_KEYS)
    locustfile = r.get(d, f, "locustfile", _text, "", required=True, what="path to your locustfile")
    if locustfile:
        resolved = Path(_resolve(base, locustfile))
        try:  # a missing file is only a note (Spec.load_problem): deciding does not need it
            resolved.is_file()
        except OSError as exc:  # a name too long for the file system, say
            r.error(f"{f}.locustfile", f"cannot read: {exc.strerror or exc}")
        locustfile = str(resolved)
    shape_raw = r.mapping(d.get("shape"), f"{f}.shape", SHAPE_KEYS)
    sf = f"{f}.shape"
    stages: list[Stage] = []
    for field, item in r.items(shape_raw.get("stages"), f"{sf}.stages"):
        s = r.mapping(item, field, STAGE_KEYS)
        stages.append(
            Stage(
                duration_s=r.get(s, field, "duration", _positive_duration, 0.0, required=True),
                users=r.get(s, field, "users", _count, None),
                spawn_rate=r.get(s, field, "spawn_rate", _positive, None),
                rate=r.get(s, field, "rate", _positive, None),
            )
        )
    kind = r.get(
        shape_raw, sf, "kind", _choice("constant", "stages", "spike", "arrival_rate"), "constant"
    )
    shape = Shape(
        kind=cast(Any, kind),
        stages=tuple(stages),
        spike_users=r.get(shape_raw, sf, "spike_users", _count, None),
        spike_at_s=r.get(shape_raw, sf, "spike_at", parse_duration, None),
        spike_s=r.get(shape_raw, sf, "spike_duration", _positive_duration, None),
        rate=r.get(shape_raw, sf, "rate", _positive, None),
    )
    if kind == "stages" and not stages:
        r.error(f"{sf}.stages", "kind 'stages' needs a list of {duration, users}")
    if kind == "spike" and (
        shape.spike_users is None or shape.spike_at_s is None or shape.spike_s is None
    ):
        r.error(sf, "kind 'spike' needs spike_users, spike_at and spike_duration")
    no_rate = shape_raw.get("rate") is None  # a rate given but refused has its own error
    if kind == "arrival_rate" and no_rate and not any(s.rate for s in stages):
        r.error(
            f"{sf}.rate", "kind 'arrival_rate' needs rate (requests per second) or stages with rate"
        )
    gaps: list[IdleGap] = []
    for field, item in r.items(d.get("idle_gaps"), f"{f}.idle_gaps"):
        g = r.mapping(item, field, GAP_KEYS)
        gaps.append(
            IdleGap(
                at_s=r.get(g, field, "at", parse_duration, 0.0, required=True),
                pause_s=r.get(g, field, "pause", _positive_duration, 0.0, required=True),
                probe=r.get(g, field, "probe", _count, 20),
            )
        )
    duration = r.get(d, f, "duration", _positive_duration, 60.0)
    if stages and "duration" not in d:
        duration = sum(s.duration_s for s in stages)
    users = r.get(d, f, "users", _count, 10)
    if users == 0 and kind == "constant":
        r.error(f"{f}.users", "expected at least 1 user")
    return Load(
        locustfile=locustfile,
        users=users,
        spawn_rate=r.get(d, f, "spawn_rate", _positive, 10.0),
        duration_s=duration,
        repeats=r.get(d, f, "repeats", _positive_count, 1),
        cooldown_s=r.get(d, f, "cooldown", parse_duration, 5.0),
        workers=r.get(d, f, "workers", _count, 0),
        user_classes=_user_classes(r, d.get("user_classes"), f"{f}.user_classes"),
        shape=shape,
        idle_gaps=tuple(gaps),
        **_stop_when(r, d, f, duration),
    )


#: ``load.stop_when`` rules; YAML 1.1 reads a bare ``off`` (or ``no``, ``false``) as false.
STOP_RULES = ("off", "decided")


def _stop_rule(value: Any) -> str:
    if value is False:
        return "off"
    if value not in STOP_RULES:
        close = difflib.get_close_matches(str(value), STOP_RULES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"expected one of {' '.join(STOP_RULES)}, got {value!r}{hint}")
    return str(value)


def _stop_when(r: _Reader, d: dict[str, Any], f: str, duration_s: float) -> dict[str, Any]:
    """``stop_when`` with its options; an option without the rule, or a minimum duration the run
    never reaches, would silently do nothing, so both are errors."""
    rule = r.get(d, f, "stop_when", _stop_rule, "off")
    min_s = r.get(d, f, "stop_when_min_duration", parse_duration, STOP_WHEN_MIN_DURATION_S)
    require = r.get(d, f, "stop_when_require", _choice("all", "key"), "all")
    if rule == "off":
        for key in ("stop_when_min_duration", "stop_when_require"):
            if d.get(key) is not None:
                r.error(f"{f}.{key}", "has no effect unless load.stop_when is decided")
    elif min_s >= duration_s:
        r.error(
            f"{f}.stop_when_min_duration",
            f"{min_s:g}s is not shorter than the run ({duration_s:g}s, load.duration): "
            "stop_when could never stop it",
        )
    return {
        "stop_when": rule,
        "stop_when_min_duration_s": min_s,
        "stop_when_require": require,
    }


def _user_classes(r: _Reader, value: Any, field: str) -> tuple[str, ...]:
    """Class names only: they are appended to Locust's argv, where ``-u 500`` would be an option."""
    out: list[str] = []
    for path, item in r.items(value, field):
        try:
            name = _text(_scalar(r.written(path, item)))
        except ValueError as exc:
            r.error(path, str(exc))
            continue
        if not name.isidentifier() or keyword.iskeyword(name):
            r.error(
                path,
                f"expected the name of a User class in the locustfile (a Python identifier), "
                f"got {name!r}",
            )
            continue
        out.append(name)
    return tuple(out)


def _build_criteria(r: _Reader, top: dict[str, Any]) -> list[Criterion]:
    out: list[Criterion] = []
    if "criteria" not in top:
        r.error("criteria", "required field is missing (a list of {metric, op, threshold})")
    for field, item in r.items(top.get("criteria"), "criteria"):
        c = r.mapping(item, field, CRITERION_KEYS)
        metric = r.get(c, field, "metric", _text, "", required=True)
        if metric and not metric_is_known(metric) and LATENCY_SHAPE.fullmatch(metric):
            r.error(
                f"{field}.metric",
                f"{metric!r}: a latency percentile must be between 0 and 100, both excluded "
                "(latency_p0_ms would always pass); e.g. latency_p95_ms, latency_p99.9_ms",
            )
        elif metric and not metric_is_known(metric):
            r.error(
                f"{field}.metric",
                f"unknown metric {metric!r}; expected {expected_text()}",
            )
        warn = r.get(c, field, "warn", _number, None)
        if warn is not None and warn < 0:
            r.error(f"{field}.warn", "the warning band is a distance from the threshold, so >= 0")
        out.append(
            Criterion(
                metric=metric,
                op=cast(Any, r.get(c, field, "op", _choice(*OPS), "<", required=True)),
                threshold=r.get(c, field, "threshold", _number, 0.0, required=True),
                warn=warn,
                key=r.get(c, field, "key", _flag, False),
                weight=r.get(c, field, "weight", _positive, 1.0),
                min_samples=r.get(c, field, "min_samples", _count, None),
                on_missing=cast(
                    Any,
                    r.get(c, field, "on_missing", _choice("inconclusive", "fail"), "inconclusive"),
                ),
                endpoint=r.get(c, field, "endpoint", _text, None),
            )
        )
    return out


def _build_cost(r: _Reader, top: dict[str, Any], base: Path) -> CostSource | None:
    if "cost" not in top:
        return None
    c = r.mapping(top["cost"], "cost", COST_KEYS)
    source = r.get(
        c,
        "cost",
        "source",
        _text,
        "",
        required=True,
        what="a path, s3:// URL, cost-explorer, athena or model",
    )
    price_book = r.get(c, "cost", "price_book", _text, None)
    if source == "model" and not price_book:
        r.error("cost.price_book", "source 'model' needs price_book: a YAML price book")
    return CostSource(
        source=_resolve(base, source) if source else source,
        format=r.get(c, "cost", "format", _choice(*BILLING_FORMATS, *FORMAT_ALIASES), None),
        column=cast(Any, r.get(c, "cost", "column", _choice(*COST_CHOICES), "effective")),
        price_book=_resolve(base, price_book) if price_book else None,
        lag_ok=r.get(c, "cost", "lag_ok", _flag, False),
    )


def _build_metrics(r: _Reader, top: dict[str, Any], base: Path) -> list[MetricSource]:
    out: list[MetricSource] = []
    for field, item in r.items(top.get("metrics"), "metrics"):
        m = r.mapping(item, field, METRIC_KEYS)
        kind = r.get(
            m,
            field,
            "kind",
            _choice("prometheus", "cloudwatch", "file"),
            "prometheus",
            required=True,
        )
        path = r.get(m, field, "path", _text, None)
        if kind == "prometheus" and not m.get("query"):
            r.error(f"{field}.query", "a prometheus source needs query (PromQL)")
        if kind == "file" and not path:
            r.error(f"{field}.path", "a file source needs path")
        out.append(
            MetricSource(
                kind=cast(Any, kind),
                name=r.get(m, field, "name", _text, f"metric{len(out)}", required=True),
                url=r.get(m, field, "url", _text, None),
                query=r.get(m, field, "query", _prose, None),
                path=_resolve(base, path) if path else None,
                namespace=r.get(m, field, "namespace", _text, None),
                metric_name=r.get(m, field, "metric_name", _text, None),
                dimensions=r.get(m, field, "dimensions", _str_map, {}),
                stat=r.get(m, field, "stat", _text, "Average"),
                step_s=r.get(m, field, "step", _positive_duration, 1.0),
                unit=r.get(m, field, "unit", _text, None),
            )
        )
    return out


def _build_faults(r: _Reader, top: dict[str, Any], candidates: set[str]) -> list[Fault]:
    out: list[Fault] = []
    for field, item in r.items(top.get("faults"), "faults"):
        f = r.mapping(item, field, FAULT_KEYS)
        kind = r.get(
            f,
            field,
            "kind",
            _choice("latency", "error_rate", "kill", "command"),
            "latency",
            required=True,
        )
        command = r.get(f, field, "command", _prose_list, tuple[str, ...]())
        if kind == "command" and not command:
            r.error(
                f"{field}.command",
                "kind 'command' needs command: an argument list such as [systemctl, restart, app]",
            )
        restart = r.get(f, field, "restart", _prose_list, tuple[str, ...]())
        if restart and kind != "kill":
            r.error(
                f"{field}.restart",
                f"restart is for kind 'kill' (the command that brings the service back), not {kind!r}",
            )
        if command and kind not in ("kill", "command"):
            r.error(
                f"{field}.command",
                f"command is for kind 'command' or 'kill' (how to kill), not {kind!r}",
            )
        if kind in ("latency", "error_rate") and "value" not in f:
            r.error(
                f"{field}.value",
                f"kind {kind!r} needs value ({'milliseconds added' if kind == 'latency' else 'fraction of requests failing'})",
            )
        value = r.get(f, field, "value", _number, None)
        if value is not None and kind == "latency" and value < 0:
            r.error(f"{field}.value", f"added latency is milliseconds >= 0, got {value:g}")
        if value is not None and kind == "error_rate" and not 0 <= value <= 1:
            r.error(f"{field}.value", f"an error rate is a fraction from 0 to 1, got {value:g}")
        cand = r.get(f, field, "candidate", _text, None)
        if cand and candidates and cand not in candidates:
            r.error(
                f"{field}.candidate",
                f"no candidate {cand!r}; candidates: {', '.join(sorted(candidates))}",
            )
        out.append(
            Fault(
                kind=cast(Any, kind),
                at_s=r.get(f, field, "at", parse_duration, 0.0, required=True),
                duration_s=r.get(f, field, "duration", parse_duration, 0.0),
                value=value,
                command=command,
                restart=restart,
                candidate=cand,
            )
        )
    return out


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


def _check_references(r: _Reader, criteria: list[Criterion], metrics: list[MetricSource]) -> None:
    """A ``server:NAME`` criterion when the spec's metrics sources have no NAME: a misspelt name
    would only ever be INCONCLUSIVE ("metric absent"), far from the cause. (A spec without
    ``metrics`` may still be judged on metrics passed to ``decide(..., metrics=...)``.)"""
    names = [m.name for m in metrics]
    if not names:
        return
    for i, c in enumerate(criteria):
        wanted = c.metric.removeprefix("server:")
        if "server_metrics" in needs(c.metric) and wanted not in names:
            hint = difflib.get_close_matches(wanted, names, n=1)
            r.error(
                f"criteria[{i}].metric",
                f"no metrics source named {wanted!r} (metrics[].name: {', '.join(names)})"
                + (f"; did you mean 'server:{hint[0]}'?" if hint else ""),
            )


def _check_offsets(r: _Reader, load: Load, faults: list[Fault]) -> None:
    """A fault or idle gap that starts after the run has ended would silently never happen."""
    for i, fault in enumerate(faults):
        if fault.at_s >= load.duration_s:
            r.error(
                f"faults[{i}].at",
                f"starts at {fault.at_s:g}s, but each run lasts {load.duration_s:g}s (load.duration)",
            )
    for i, gap in enumerate(load.idle_gaps):
        if gap.at_s >= load.duration_s:
            r.error(
                f"load.idle_gaps[{i}].at",
                f"starts at {gap.at_s:g}s, but each run lasts {load.duration_s:g}s (load.duration)",
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
