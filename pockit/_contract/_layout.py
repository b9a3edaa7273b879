"""The run directory's file names, the event envelope and the contract's version."""

from __future__ import annotations

#: Version of this contract, written into run.json as ``schema``; bump it when a field changes meaning.
SCHEMA_VERSION = 1

RUN_JSON = "run.json"
SAMPLES_DIR = "samples"
EVENTS_FILE = "events.jsonl"
LOCUST_DIR = "locust"
SOURCES_DIR = "sources"

#: The envelope of every event line: ``{"ts": ISO-8601 UTC, "kind": EventKind, ...its fields}``.
EVENT_TS = "ts"
EVENT_KIND = "kind"
