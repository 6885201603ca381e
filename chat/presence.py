"""Who is online in each chat session, per user across connections and processes.

Embedded mode (no Redis): an in-process table; a process that dies takes its
sockets with it, so nothing can go stale. With REDIS_URL: one sorted set per
session of `<userId>:<connectionId>` scored by expiry time. Live sockets
refresh their entry; entries of a process that died expire, and every
process sweeps expired entries. The sweep is one Lua script, so exactly one
process learns that a user went offline and publishes `presence:left`.

Presence is sent as volatile room frames (not stored, not replayed): it is
current state, and a client that reconnects gets a fresh online list on
connect, while replaying stale joins and leaves would only mislead it (and
would crowd the message history a reconnecting client replays).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from django.conf import settings

from chat import events
from realtime import health
from realtime.outbox import abroadcast_volatile

logger = logging.getLogger(__name__)


def ttl() -> float:
    """Seconds an entry lives without a refresh."""
    return float(settings.CHAT_PRESENCE["TTL"])


def refresh_interval() -> float:
    return float(settings.CHAT_PRESENCE["REFRESH"])


def sweep_interval() -> float:
    return float(settings.CHAT_PRESENCE["SWEEP"])


Online = list[events.UserData]


class MemoryPresence:
    """One process's table: session -> connection -> user."""

    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, events.UserData]] = {}

    def _online(self, session_id: str) -> Online:
        seen: dict[int, events.UserData] = {}
        for user in self.sessions.get(session_id, {}).values():
            seen.setdefault(user["id"], user)
        return sorted(seen.values(), key=lambda u: (u["name"], u["id"]))

    async def connect(
        self, session_id: str, user: events.UserData, connection_id: str
    ) -> tuple[bool, Online]:
        conns = self.sessions.setdefault(session_id, {})
        first = all(u["id"] != user["id"] for u in conns.values())
        conns[connection_id] = user
        return first, self._online(session_id)

    async def disconnect(
        self, session_id: str, user_id: int, connection_id: str
    ) -> tuple[bool, Online]:
        conns = self.sessions.get(session_id, {})
        removed = conns.pop(connection_id, None)
        last = removed is not None and all(u["id"] != user_id for u in conns.values())
        online = self._online(session_id)
        if not conns:
            self.sessions.pop(session_id, None)
        return last, online

    async def refresh(
        self, session_id: str, user: events.UserData, connection_id: str
    ) -> bool:
        return False

    async def online(self, session_id: str) -> Online:
        return self._online(session_id)

    async def sweep(self) -> list[tuple[str, events.UserData, Online]]:
        return []


# KEYS: zset, names, sessions. ARGV: member, expiry, now, userId, name, sessionId.
JOIN = """
local prefix = ARGV[4] .. ':'
local others = 0
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[3], '+inf')) do
  if m ~= ARGV[1] and string.sub(m, 1, #prefix) == prefix then others = 1 break end
end
local added = redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
redis.call('SADD', KEYS[3], ARGV[6])
return {others, added}
"""
# KEYS: zset. ARGV: member, now, userId. Returns 1 when the user went offline.
LEAVE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
local prefix = ARGV[3] .. ':'
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '+inf')) do
  if string.sub(m, 1, #prefix) == prefix then return 0 end
end
return 1
"""
# KEYS: zset, sessions. ARGV: now, sessionId. Returns the user ids gone offline.
SWEEP = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
end
local live = {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  live[string.match(m, '^([^:]+):')] = true
end
local gone, seen = {}, {}
for _, m in ipairs(expired) do
  local u = string.match(m, '^([^:]+):')
  if not live[u] and not seen[u] then
    seen[u] = true
    table.insert(gone, u)
  end
end
if redis.call('ZCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
return gone
"""


class RedisPresence:
    def __init__(
        self, url: str, prefix: str, clock: Callable[[], float] = time.time
    ) -> None:
        import redis.asyncio as redis

        self.clock = clock
        self.redis = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=5, socket_connect_timeout=2
        )
        self.prefix = f"{prefix}:chat:presence"
        self._join = self.redis.register_script(JOIN)
        self._leave = self.redis.register_script(LEAVE)
        self._sweep = self.redis.register_script(SWEEP)

    def _keys(self, session_id: str) -> tuple[str, str]:
        return f"{self.prefix}:{session_id}", f"{self.prefix}:{session_id}:names"

    @property
    def _sessions(self) -> str:
        return f"{self.prefix}:sessions"

    async def online(self, session_id: str) -> Online:
        zset, names = self._keys(session_id)
        members = await self.redis.zrangebyscore(zset, f"({self.clock()}", "+inf")
        ids = sorted({str(m).partition(":")[0] for m in members})
        if not ids:
            return []
        labels = await self.redis.hmget(names, ids)
        users: Online = [
            {"id": int(i), "name": str(label or i)}
            for i, label in zip(ids, labels, strict=True)
        ]
        return sorted(users, key=lambda u: (u["name"], u["id"]))

    async def _enter(
        self, session_id: str, user: events.UserData, connection_id: str
    ) -> tuple[int, int]:
        """Add or extend this connection's entry: (other live entries of the user, added)."""
        zset, names = self._keys(session_id)
        now = self.clock()
        others, added = await self._join(
            keys=[zset, names, self._sessions],
            args=[
                f"{user['id']}:{connection_id}",
                now + ttl(),
                now,
                user["id"],
                user["name"],
                session_id,
            ],
        )
        return others, added

    async def connect(
        self, session_id: str, user: events.UserData, connection_id: str
    ) -> tuple[bool, Online]:
        """Add the entry: (first connection of the user, who is online).

        While Redis is unavailable chat works on without presence: the user
        counts as just arrived and alone, and the presence loop adds the
        entry once Redis is back.
        """
        try:
            others, _ = await self._enter(session_id, user, connection_id)
            return not others, await self.online(session_id)
        except Exception as exc:
            if not health.report(exc):
                raise
            return True, [user]

    async def refresh(
        self, session_id: str, user: events.UserData, connection_id: str
    ) -> bool:
        """Extend the entry; True when it had expired and this brought the user back."""
        try:
            others, added = await self._enter(session_id, user, connection_id)
        except Exception as exc:
            if not health.report(exc):
                raise
            return False
        return bool(added) and not others

    async def disconnect(
        self, session_id: str, user_id: int, connection_id: str
    ) -> tuple[bool, Online]:
        """Remove the entry: (the user's last connection, who is online).

        While Redis is unavailable nothing is announced: the entry expires
        and a sweep announces the departure.
        """
        zset, _ = self._keys(session_id)
        try:
            last = await self._leave(
                keys=[zset], args=[f"{user_id}:{connection_id}", self.clock(), user_id]
            )
            return bool(last), await self.online(session_id)
        except Exception as exc:
            if not health.report(exc):
                raise
            return False, []

    async def sweep(self) -> list[tuple[str, events.UserData, Online]]:
        """Drop expired entries of every session; who went offline, once across processes."""
        gone: list[tuple[str, events.UserData, Online]] = []
        for member in await self.redis.smembers(self._sessions):
            session_id = str(member)
            zset, names = self._keys(session_id)
            user_ids = await self._sweep(
                keys=[zset, self._sessions], args=[self.clock(), session_id]
            )
            if not user_ids:
                continue
            online = await self.online(session_id)
            labels = await self.redis.hmget(names, user_ids)
            for user_id, label in zip(user_ids, labels, strict=True):
                gone.append(
                    (
                        session_id,
                        {"id": int(user_id), "name": str(label or user_id)},
                        online,
                    )
                )
        return gone


_stores: dict[Any, Any] = {}


def get_store() -> MemoryPresence | RedisPresence:
    """The presence store of the running event loop."""
    loop = asyncio.get_running_loop()
    store = _stores.get(loop)
    if store is None:
        for old in [key for key in _stores if key.is_closed()]:
            del _stores[old]
        url = getattr(settings, "REDIS_URL", "")
        store = (
            RedisPresence(url, getattr(settings, "REDIS_PREFIX", "tidings"))
            if url
            else MemoryPresence()
        )
        _stores[loop] = store
    return store


async def sweep_once() -> int:
    """Publish `presence:left` for users whose entries expired; return how many."""
    gone = await get_store().sweep()
    for session_id, user, online in gone:
        await abroadcast_volatile(
            events.room_of(session_id),
            events.PRESENCE_LEFT,
            dict(events.presence_data(user, online)),
        )
    return len(gone)


class Present(Protocol):
    async def refresh_presence(self) -> None: ...


# This process's chat sockets with a presence entry: the sweeper refreshes
# them all, so a socket needs no timer task of its own.
local: set[Present] = set()


async def refresh_local() -> None:
    for socket in list(local):
        if health.is_down(health.REDIS):
            return  # refreshed again on the first pass after Redis is back
        await socket.refresh_presence()


async def sweeper() -> None:
    """Background loop of each server process (Redis mode only).

    While Redis is unavailable the loop waits (the dependency watcher notices
    its return): no attempt, and no log line, per socket and pass. Right after
    Redis is back every local socket is refreshed, so entries that expired
    during the outage come back before a sweep could call their users gone.
    """
    if not getattr(settings, "REDIS_URL", ""):
        return
    refreshed_at = time.monotonic()
    was_down = False
    while True:
        try:
            if health.is_down(health.REDIS):
                was_down = True
            else:
                if was_down or time.monotonic() - refreshed_at >= refresh_interval():
                    was_down = False
                    refreshed_at = time.monotonic()
                    await refresh_local()
                await sweep_once()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not health.report(exc):
                logger.exception("presence sweep failed")
        await asyncio.sleep(min(sweep_interval(), refresh_interval()))
