"""The request hook's ``fire`` with the capture's recorder first (:func:`attach`).

The capture records inside Locust's ``events.request.fire`` rather than as one more listener: the
event's keyword arguments are bound once per request, not once more for pockit. What the listeners
see is exactly what Locust's own ``fire`` gives them (tests/load/test_capture_attach.py).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from pockit.load._native import native as _native


def attach(hook: Any, record: Callable[[dict[str, Any]], None]) -> None:
    """Run ``record(kwargs)`` at each ``hook.fire(**kwargs)``, before the hook's listeners.

    A listener costs a second binding of the event's nine keyword arguments per request (Locust
    calls each ``handler(**kwargs)``), ~1.2 µs on this 2-core VM against ~0.5 µs for ``record``
    reading the dict that ``fire`` already holds. So this instance's ``fire`` becomes Locust's
    own loop (``locust.event.EventHook.fire``, the same exceptions passed on, the same logging)
    with ``record`` called first. A hook whose class has its own ``fire`` gets ``record`` as an
    ordinary listener instead. Locust is imported here, not at module import: the tests import
    this module into a process gevent must not patch.

    When ``record`` is the C recorder's (pockit's extension was built), that loop runs in C too
    (``_crecord.Fire``): it reads the event from the keyword arguments as given and calls each
    listener with them, with no dict and no Python frame of its own, so it costs less than
    Locust's own ``fire`` (~1.8 µs a request in ``timeit``); any other call form goes to the
    Python loop.
    """
    from locust import log as locust_log
    from locust.event import EventHook
    from locust.exception import (
        InterruptTaskSet,
        RescheduleTask,
        RescheduleTaskImmediately,
        StopTest,
        StopUser,
    )

    if type(hook).fire is not EventHook.fire:
        hook.add_listener(_as_listener(record))
        return
    passed_on = (StopUser, StopTest, RescheduleTask, RescheduleTaskImmediately, InterruptTaskSet)

    def fire(*, reverse: bool = False, **kwargs: Any) -> None:
        record(kwargs)
        # Locust's EventHook.fire from here on (a copy, so listeners may add or remove listeners)
        handlers = hook._handlers[::-1] if reverse else hook._handlers.copy()
        for handler in handlers:
            try:
                handler(**kwargs)
            except passed_on:
                raise
            except Exception:
                logging.error("Uncaught exception in event handler: \n%s", traceback.format_exc())
                locust_log.unhandled_greenlet_exception = True

    recorder = getattr(record, "__self__", None)
    native = _native()
    if native is not None and isinstance(recorder, native.Recorder):
        # the same loop in C, the listeners called with the event's keywords as given (no dict,
        # no frame: what Locust's own fire costs, less ~1.8 us a request; _crecord.c)
        hook.fire = native.Fire(
            hook=hook,
            recorder=recorder,
            python_fire=fire,
            passed_on=passed_on,
            on_error=lambda exc: _listener_failed(exc, locust_log),
        )
    else:
        hook.fire = fire


def _listener_failed(exc: BaseException, locust_log: Any) -> None:
    """What Locust's ``fire`` does when a listener raises an Exception, for the C ``Fire``: the
    same log line and flag (the traceback starts at the listener: ``Fire`` has no Python frame)."""
    text = "".join(traceback.format_exception(exc))
    logging.error("Uncaught exception in event handler: \n%s", text)
    locust_log.unhandled_greenlet_exception = True


def _as_listener(record: Callable[[dict[str, Any]], None]) -> Callable[..., None]:
    def on_request(**kwargs: Any) -> None:
        record(kwargs)

    return on_request
