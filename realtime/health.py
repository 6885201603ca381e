"""Health of this process's dependencies: one warning when an outage starts, one when it ends.

Every piece of code that talks to Redis or the database and can live through
an outage (the hub's receive loop, the background loops, chat presence, the
stats view) reports here instead of logging a traceback per attempt:
`failed(name, exc)` on an error, `recovered(name)` once a call works again.
Failures are counted; once they have gone on for `CONFIRM_AFTER` seconds the
outage is logged as one WARNING with the error, and its end as one WARNING
with how long it lasted. A lone failure that the next call contradicts (a
connection pooled before an earlier outage) logs nothing. Readiness
(`GET /readyz`) shows what is down.

Libraries that log a traceback per failed attempt (the channel layer's
receive task) are quietened by `OutageLogFilter`, which turns their records
into `failed()` calls.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger(__name__)

REDIS = "redis"
DATABASE = "database"


# An outage is announced once it has lasted this long: a single failed call
# that the next one (or the watcher's probe, every half second) contradicts
# is most often a connection pooled before an outage, not a new one.
CONFIRM_AFTER = 0.4
clock = time.monotonic


@dataclass
class Outage:
    error: str
    started: float
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    failures: int = 1
    announced: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "seconds": round(clock() - self.started, 1),
            "error": self.error,
            "failures": self.failures,
        }


_lock = threading.Lock()
_outages: dict[str, Outage] = {}


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def failed(name: str, exc: BaseException | str) -> bool:
    """Record a failed call to `name`; True when this one announces the outage."""
    error = exc if isinstance(exc, str) else describe(exc)
    now = clock()
    with _lock:
        outage = _outages.get(name)
        if outage is None:
            outage = _outages[name] = Outage(error, started=now)
        else:
            outage.failures += 1
        if outage.announced or now - outage.started < CONFIRM_AFTER:
            return False
        outage.announced = True
    logger.warning("%s unavailable: %s", name, outage.error)
    return True


def recovered(name: str) -> bool:
    """Record a call to `name` that worked; True when this one ends an outage."""
    if name not in _outages:  # the common case, without the lock
        return False
    with _lock:
        outage = _outages.pop(name, None)
    if outage is None or not outage.announced:
        return False
    logger.warning(
        "%s available again after %.1f s (%d failed call%s)",
        name,
        clock() - outage.started,
        outage.failures,
        "" if outage.failures == 1 else "s",
    )
    return True


def is_down(name: str) -> bool:
    return name in _outages


def down() -> dict[str, dict[str, Any]]:
    """The dependencies this process found unavailable, with since when and why."""
    with _lock:
        return {name: outage.as_dict() for name, outage in _outages.items()}


def reset() -> None:
    """Forget every outage (tests)."""
    with _lock:
        _outages.clear()


def classify(exc: BaseException) -> str | None:
    """Which dependency an exception says is unavailable, or None for any other error."""
    import redis.exceptions
    from django.db import utils as db_utils

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (db_utils.OperationalError, db_utils.InterfaceError)):
            return DATABASE
        if isinstance(
            current,
            (
                redis.exceptions.ConnectionError,
                redis.exceptions.TimeoutError,
                redis.exceptions.BusyLoadingError,
            ),
        ):
            return REDIS
        module = type(current).__module__
        if module.startswith("psycopg"):
            return DATABASE if "OperationalError" in type(current).__name__ else None
        current = current.__cause__ or current.__context__
    return None


def report(exc: BaseException) -> bool:
    """`failed()` for an outage error; False (nothing recorded) for any other error."""
    name = classify(exc)
    if name is None:
        return False
    failed(name, exc)
    return True


class OutageLogFilter(logging.Filter):
    """Drops library records about an unavailable dependency, recording the outage instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        candidates: list[Any] = []
        if record.exc_info and record.exc_info[1] is not None:
            candidates.append(record.exc_info[1])
        args = record.args if isinstance(record.args, tuple) else ()
        candidates += [arg for arg in args if isinstance(arg, BaseException)]
        for exc in candidates:
            if report(exc):
                return False
        return True


# The channel layer's receive task logs a traceback every second while Redis
# is away; publishing and volatile frames log one line per event.
QUIET_LOGGERS = ("channels_redis.pubsub", "channels_redis.core", "realtime.outbox")
_filter = OutageLogFilter()


def quieten_library_logs() -> None:
    for name in QUIET_LOGGERS:
        target = logging.getLogger(name)
        if _filter not in target.filters:
            target.addFilter(_filter)
