"""Background work of each server process: the relay, history pruning, stats snapshots.

Started from the ASGI lifespan (uvicorn) or lazily by the first socket
(servers without lifespan, such as daphne).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from realtime import health, metrics, stats
from realtime.hub import get_hub
from realtime.outbox import layer_message, mark_published, prune_history, unpublished
from realtime.rooms import group_name

logger = logging.getLogger(__name__)

_tasks: dict[asyncio.AbstractEventLoop, list[asyncio.Task[None]]] = {}
# Other apps add their own loops (the in-process monitor, say) with `add_startup`.
_startup: list[Callable[[], Coroutine[Any, Any, None]]] = []


def add_startup(factory: Callable[[], Coroutine[Any, Any, None]]) -> None:
    if factory not in _startup:
        _startup.append(factory)


async def relay_once() -> int:
    """Send committed events the channel layer did not take at commit time."""
    rows = await database_sync_to_async(unpublished)()
    if not rows:
        return 0
    layer = get_channel_layer()
    sent = []
    for row in rows:
        try:
            await layer.group_send(group_name(row.room), layer_message(row))
        except Exception as exc:
            if not health.report(exc):
                logger.warning("relay: channel layer refused an event: %s", exc)
            break
        sent.append(row)
    if sent:
        health.recovered(health.REDIS)
        await database_sync_to_async(mark_published)(sent)
        metrics.RELAYED_EVENTS.inc(len(sent))
    return len(sent)


async def _every(
    seconds: float, step: Callable[[], Awaitable[object]], name: str
) -> None:
    while True:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # An unavailable dependency is one warning for the whole outage
            # (realtime.health), not a traceback per attempt.
            if not health.report(exc):
                logger.exception("%s failed", name)
        await asyncio.sleep(seconds)


def _ping_database() -> None:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        # A connection broken by the outage is not reused for the next try.
        connection.close_if_unusable_or_obsolete()
        raise


async def probe(name: str) -> bool:
    """Try `name` once; True when it answers (and record the answer in health)."""
    try:
        if name == health.DATABASE:
            await database_sync_to_async(_ping_database)()
        elif name == health.REDIS:
            await stats.ping_redis()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        health.failed(name, exc)
        return False
    health.recovered(name)
    return True


async def watch_dependencies(interval: float = 0.5) -> None:
    """While a dependency is down, try it every `interval` so its return is noticed at once."""
    while True:
        for name in health.down():
            await probe(name)
        await asyncio.sleep(interval)


async def check_history() -> int:
    return await get_hub().check_history()


async def prune_once() -> int:
    return await database_sync_to_async(prune_history)()


_serving = False


def is_serving() -> bool:
    """True in a process that serves sockets (and so relays its in-memory events)."""
    return _serving


def ensure_started() -> None:
    """Start this process's background loops once per event loop."""
    global _serving
    _serving = True
    loop = asyncio.get_running_loop()
    if loop in _tasks:
        return
    health.quieten_library_logs()
    conf = settings.TIDINGS
    if not conf["BACKGROUND_TASKS"]:
        _tasks[loop] = []
        return
    tasks = [
        loop.create_task(_every(conf["RELAY_INTERVAL"], relay_once, "relay")),
        loop.create_task(_every(conf["PRUNE_INTERVAL"], prune_once, "prune")),
        loop.create_task(
            _every(conf["STATS_INTERVAL"], stats.publish_snapshot, "stats")
        ),
        loop.create_task(
            _every(conf["HISTORY_CHECK_INTERVAL"], check_history, "history check")
        ),
        loop.create_task(watch_dependencies()),
    ]
    tasks += [loop.create_task(factory()) for factory in _startup]
    _tasks[loop] = tasks


async def shutdown() -> None:
    loop = asyncio.get_running_loop()
    tasks = _tasks.pop(loop, [])
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await stats.remove_snapshot()


class LifespanApp:
    """ASGI lifespan: start the loops at startup, stop them at shutdown."""

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                ensure_started()
                # Everything loaded so far (Django, the apps, their modules)
                # lives as long as the process: keep it out of the collector's
                # full passes, which otherwise pause every socket for twice as
                # long (measured with 1,000 sockets: 150 ms -> 85 ms).
                gc.collect()
                gc.freeze()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return
