"""Numbers that matter, named once. Change them here, nowhere else."""

from __future__ import annotations

#: Confidence level of every interval pockit reports.
CONFIDENCE = 0.95

#: Default percentiles reported by ``pockit stats``.
DEFAULT_PERCENTILES = (50.0, 95.0, 99.0)

#: Capture plugin: a (compact) batch is flushed after this many samples ...
CAPTURE_BATCH_ROWS = 20_000
#: ... or after this many seconds, whichever comes first.
CAPTURE_BATCH_SECONDS = 2.0

#: ``load.stop_when: decided`` never stops a run before this many seconds of load unless the spec
#: says otherwise: a warm-up transient or a slow drift needs time to show before an early answer.
STOP_WHEN_MIN_DURATION_S = 30.0
#: How often ``stop_when: decided`` looks at the captured samples (seconds): the capture plugin
#: flushes a batch every 2 s; ``pockit plan`` simulates looks at the same interval.
STOP_WHEN_POLL_S = 5.0
#: ``load.shape.kind: capacity``: the shortest step (seconds) and the most steps a ramp may have. A
#: step shorter than two capture flushes (2 s each) would be judged on too few batches.
CAPACITY_MIN_STEP_S = 4.0
CAPACITY_MAX_STEPS = 200

#: Demo: how long each candidate is loaded by ``pockit demo`` unless told otherwise.
DEMO_DURATION_S = 15.0

#: Hosts load may go to when the spec's guardrails do not say otherwise.
DEFAULT_ALLOWED_HOSTS = ("127.0.0.1", "localhost", "::1")

#: Guardrail caps used when the spec does not set its own.
DEFAULT_MAX_USERS = 1000
DEFAULT_MAX_DURATION_S = 3600.0
DEFAULT_MAX_RPS = 10_000.0

#: Exit codes of decide/report per verdict (architecture.md contract 5).
VERDICT_EXIT = {"GO": 0, "NO-GO": 1, "INCONCLUSIVE": 2}
