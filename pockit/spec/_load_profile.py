"""The ``load`` section: the profile, its shape and stages, idle gaps, user classes, ``stop_when``."""

import difflib
import keyword
from pathlib import Path
from typing import Any, cast

from pockit._constants import STOP_WHEN_MIN_DURATION_S
from pockit.spec._capacity import capacity_duration, capacity_fields
from pockit.spec._convert import (
    _choice,
    _count,
    _positive,
    _positive_count,
    _positive_duration,
    _resolve,
    _scalar,
    _text,
)
from pockit.spec._durations import parse_duration
from pockit.spec._keys import GAP_KEYS, LOAD_KEYS, SHAPE_KEYS, STAGE_KEYS
from pockit.spec._model import IdleGap, Load, Shape, Stage
from pockit.spec._reader import _Reader


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
        shape_raw,
        sf,
        "kind",
        _choice("constant", "stages", "spike", "arrival_rate", "capacity"),
        "constant",
    )
    shape = Shape(
        kind=cast(Any, kind),
        stages=tuple(stages),
        spike_users=r.get(shape_raw, sf, "spike_users", _count, None),
        spike_at_s=r.get(shape_raw, sf, "spike_at", parse_duration, None),
        spike_s=r.get(shape_raw, sf, "spike_duration", _positive_duration, None),
        rate=r.get(shape_raw, sf, "rate", _positive, None),
        **capacity_fields(r, shape_raw, sf, kind),
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
    if kind == "capacity":
        duration = capacity_duration(r, d, f, shape) or duration
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
