"""The keys each section of ``poc.yaml`` may hold; anything else is an unknown field."""

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
