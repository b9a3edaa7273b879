"""What every run directory written by the real writers must satisfy, for the contract tests."""

from __future__ import annotations

from typing import Any

from pockit._contract import EVENT_KIND, EVENT_TS, RunMeta, check_event, parse_iso
from pockit._rundir import RunDir
from pockit.report.facts import risks
from pockit.report.run_facts import run_facts


class NoNotes:
    """A spec stand-in for risks(): no spec notes, so every item comes from the run."""

    notes = ()


def follows_contract(run: RunDir) -> RunMeta:
    """run.json checks as RunMeta; every event has a known kind, a timestamp and exactly its
    declared fields (all required ones present). Returns the typed run.json."""
    rec = run.record
    assert rec.schema == 1 and rec.stop_code is not None
    for event in run.events():
        fields = {k: v for k, v in event.items() if k not in (EVENT_TS, EVENT_KIND)}
        check_event(event[EVENT_KIND], fields, complete=True)
        parse_iso(event[EVENT_TS])
    return rec


def risk_items(run: RunDir) -> dict[str, list[str]]:
    """The report's risks for this run, by source."""
    out: dict[str, list[str]] = {}
    for source, text in risks(NoNotes(), [run_facts(run)]):
        out.setdefault(source, []).append(text)
    return out


def criterion(decision: dict[str, Any], metric: str) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [c for c in decision["criteria"] if c["metric"] == metric]
    [found] = matches
    return found
