"""Connection and room statistics, summed over every server process (PROTOCOL section 9).

Each process keeps its own counters; with Redis, each writes a snapshot under
a key that expires unless refreshed, and the stats view adds them up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import resource
import socket
import uuid
from typing import Any

from django.conf import settings
from django.utils import timezone

from realtime import health, metrics
from realtime.hub import current_hub

logger = logging.getLogger(__name__)
PROCESS_ID = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
_counters = {"current": 0, "total": 0, "reconnects": 0}


def opened(socket_name: str) -> None:
    _counters["current"] += 1
    _counters["total"] += 1
    metrics.CONNECTIONS.labels(socket_name).inc()
    metrics.CONNECTIONS_TOTAL.labels(socket_name).inc()


def closed(socket_name: str) -> None:
    _counters["current"] -= 1
    metrics.CONNECTIONS.labels(socket_name).dec()


def reconnected() -> None:
    _counters["reconnects"] += 1
    metrics.RECONNECTS.inc()


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def snapshot() -> dict[str, Any]:
    """This process's figures, with room names so rooms shared by processes count once."""
    hub = current_hub()
    rooms: dict[str, dict[str, Any]] = {}
    if hub is not None:
        for room, subscribers in list(hub.rooms.items()):
            entry = rooms.setdefault(
                room.partition(":")[0], {"clients": 0, "names": []}
            )
            entry["clients"] += len(subscribers)
            entry["names"].append(room)
    return {
        "process": PROCESS_ID,
        "connections": dict(_counters),
        "rooms": rooms,
        "memory": {"rss": rss_bytes()},
        "messages": {"received": _total(metrics.MESSAGES_IN)},
        "errors": {"total": _total(metrics.ERRORS)},
    }


def _total(counter: Any) -> int:
    """A Prometheus counter summed over its labels (this process's count)."""
    return int(
        sum(
            sample.value
            for family in counter.collect()
            for sample in family.samples
            if sample.name.endswith("_total")
        )
    )


def combine(snapshots: list[dict[str, Any]]) -> dict[str, Any]:
    connections = {"current": 0, "total": 0, "reconnects": 0}
    clients: dict[str, int] = {}
    names: dict[str, set[str]] = {}
    rss = received = errors = 0
    for snap in snapshots:
        # Snapshots of processes that predate these figures have none.
        received += int(snap.get("messages", {}).get("received", 0))
        errors += int(snap.get("errors", {}).get("total", 0))
        for key in connections:
            connections[key] += int(snap["connections"].get(key, 0))
        for room_type, entry in snap["rooms"].items():
            clients[room_type] = clients.get(room_type, 0) + int(entry["clients"])
            names.setdefault(room_type, set()).update(entry["names"])
        rss += int(snap["memory"]["rss"])
    return {
        "connections": connections,
        "rooms": {
            room_type: {
                "clients": clients[room_type],
                "totalRooms": len(names[room_type]),
            }
            for room_type in sorted(clients)
        },
        "memory": {"rss": rss},
        "messages": {"received": received},
        "errors": {"total": errors},
        "processes": len(snapshots),
        "timestamp": timezone.now().isoformat(),
    }


def _key(process: str) -> str:
    return f"{settings.REDIS_PREFIX}:stats:{process}"


_async_clients: dict[int, Any] = {}


def _async_client() -> Any:
    from redis import asyncio as aioredis

    loop_id = id(asyncio.get_running_loop())
    client = _async_clients.get(loop_id)
    if client is None:
        client = _async_clients[loop_id] = aioredis.from_url(
            settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
        )
    return client


async def ping_redis() -> None:
    """Raise unless Redis answers (the dependency watcher's probe)."""
    if settings.REDIS_URL:
        await _async_client().ping()


async def publish_snapshot() -> None:
    if not settings.REDIS_URL:
        return
    ttl = max(3, int(settings.TIDINGS["STATS_INTERVAL"] * 3))
    await _async_client().set(_key(PROCESS_ID), json.dumps(snapshot()), ex=ttl)
    health.recovered(health.REDIS)


async def remove_snapshot() -> None:
    client = _async_clients.pop(id(asyncio.get_running_loop()), None)
    if client is not None:
        try:
            await client.delete(_key(PROCESS_ID))
        except Exception as exc:  # the key expires by itself
            logger.info("could not remove the stats snapshot: %s", exc)
        finally:
            await client.aclose()


def _other_snapshots() -> list[dict[str, Any]]:
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
    )
    found = []
    try:
        for key in client.scan_iter(match=_key("*"), count=500):
            if key.decode() == _key(PROCESS_ID):
                continue
            raw = client.get(key)
            if raw:
                found.append(json.loads(raw))
    finally:
        client.close()
    return found


def cluster_stats() -> dict[str, Any]:
    """Figures of every live process (just this one without Redis).

    While Redis is unavailable the other processes' figures cannot be read:
    the answer is this process's own, with `cluster` saying the sum is
    unavailable, rather than an error.
    """
    snapshots = [snapshot()]
    cluster: dict[str, Any] = {"complete": True}
    if settings.REDIS_URL:
        try:
            snapshots += _other_snapshots()
        except Exception as exc:
            if not health.report(exc):
                raise
            cluster = {
                "complete": False,
                "unavailable": health.REDIS,
                "detail": "Redis is unavailable: these are this process's figures only",
            }
        else:
            health.recovered(health.REDIS)
    return {**combine(snapshots), "cluster": cluster}
