"""Socket.IO connection state recovery (protocol v5; PROTOCOL section 10).

socket.io-client 4.6+ keeps what the server sends it: a private session id
(`pid`, in the CONNECT reply) and the offset of the last room event (the
event's last argument). When its transport drops and it reconnects, it sends
both back in its CONNECT packet; the server restores the session's rooms,
replays what the client missed and answers with the same `pid`, so
`socket.recovered` is true with no application code.

Tidings builds this on the room history: a session's record (its user and
each room with the seq it started from) is kept under its `pid` while it is
connected and for `SOCKETIO_MAX_DISCONNECTION_DURATION` seconds after it
drops, in Redis when `REDIS_URL` is set (a client may come back to another
process) and in this process's memory otherwise. An offset is the session's
position in every room it is in (`kitchen=41|order:ab12=3`), so a recovered
session rejoins each room with the right `lastSeq` and gets each missed
event once. Rooms come only from the record; the offset only says how far
the client got, and every room is joined again through its join rule.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections import OrderedDict
from typing import Any

from django.conf import settings

from realtime import health, stats

logger = logging.getLogger(__name__)

# Entries an offset may name, and the longest offset read back.
MAX_OFFSET_ROOMS = 100
MAX_OFFSET_LENGTH = 8192
# Records kept in memory when there is no Redis (oldest dropped first).
MEMORY_RECORDS = 100_000


def max_duration() -> float:
    """Seconds a dropped session can be recovered (0 turns recovery off)."""
    return float(settings.TIDINGS["SOCKETIO_MAX_DISCONNECTION_DURATION"])


def new_pid() -> str:
    """A private session id: 128 random bits, never logged."""
    return secrets.token_urlsafe(16)


def identity(user: Any) -> str:
    """Who a session belongs to: a recovered session must come back as the same one."""
    device = getattr(user, "device_id", None)
    if device is not None:
        return f"device:{device}"  # a paired screen (realtime.permissions)
    if not getattr(user, "is_authenticated", False):
        return "anonymous"
    return f"{type(user).__name__}:{user.pk}"


def encode_offset(positions: dict[str, int]) -> str:
    """`{room: seq}` as an offset string (`room=seq|room=seq`)."""
    return "|".join(f"{room}={seq}" for room, seq in positions.items())


def parse_offset(offset: Any) -> dict[str, int]:
    """An offset a client sent back, as `{room: seq}`; anything malformed is left out."""
    if not isinstance(offset, str) or len(offset) > MAX_OFFSET_LENGTH:
        return {}
    positions: dict[str, int] = {}
    for part in offset.split("|")[:MAX_OFFSET_ROOMS]:
        room, _, seq = part.rpartition("=")
        if room and seq.isascii() and seq.isdigit() and len(seq) <= 18:
            positions[room] = int(seq)
    return positions


def valid_pid(pid: Any) -> bool:
    return isinstance(pid, str) and 0 < len(pid) <= 64 and pid.isascii()


class _MemoryRecords:
    """Records of this process, each with its expiry (no Redis configured)."""

    def __init__(self) -> None:
        self.items: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def set(self, pid: str, value: str, ttl: float) -> None:
        self.items[pid] = (time.monotonic() + ttl, value)
        self.items.move_to_end(pid)
        while len(self.items) > MEMORY_RECORDS:
            self.items.popitem(last=False)

    def expire(self, pid: str, ttl: float) -> None:
        item = self.items.get(pid)
        if item is not None:
            self.items[pid] = (time.monotonic() + ttl, item[1])

    def take(self, pid: str) -> str | None:
        item = self.items.pop(pid, None)
        if item is None or item[0] < time.monotonic():
            return None
        return item[1]

    def purge(self) -> None:
        now = time.monotonic()
        for pid in [pid for pid, (at, _) in self.items.items() if at < now]:
            del self.items[pid]


_memory = _MemoryRecords()


def _key(pid: str) -> str:
    return f"{settings.REDIS_PREFIX}:sio:{pid}"


def _connected_ttl() -> float:
    """A connected session's record outlives a crash by the recovery window."""
    conf = settings.TIDINGS
    return max_duration() + conf["HEARTBEAT_INTERVAL"] + conf["HEARTBEAT_TIMEOUT"]


async def save(pid: str, user: Any, rooms: dict[str, int]) -> None:
    """Keep a connected session's rooms (`{room: the seq it started from}`)."""
    value = json.dumps({"user": identity(user), "rooms": rooms})
    ttl = _connected_ttl()
    if not settings.REDIS_URL:
        _memory.set(pid, value, ttl)
        return
    try:
        await stats._async_client().set(_key(pid), value, ex=int(ttl) + 1)
    except Exception as exc:
        if not health.report(exc):
            raise
        # Redis is away: this session will not be recoverable elsewhere.


async def touch(pid: str, ttl: float | None = None) -> None:
    """Keep a record alive (each heartbeat), or start its recovery window (`ttl`)."""
    ttl = _connected_ttl() if ttl is None else ttl
    if not settings.REDIS_URL:
        _memory.expire(pid, ttl)
        return
    try:
        await stats._async_client().expire(_key(pid), max(1, int(ttl)))
    except Exception as exc:
        if not health.report(exc):
            raise


async def dropped(pid: str) -> None:
    """The session's transport dropped: recoverable for the recovery window."""
    await touch(pid, max_duration())


async def forget(pid: str) -> None:
    """The session ended for good (a client or server disconnect)."""
    if not settings.REDIS_URL:
        _memory.take(pid)
        return
    try:
        await stats._async_client().delete(_key(pid))
    except Exception as exc:
        if not health.report(exc):
            raise


async def take(pid: str, user: Any) -> dict[str, int] | None:
    """The rooms of the dropped session `pid` of `user`, once; None if it cannot recover."""
    if not valid_pid(pid) or max_duration() <= 0:
        return None
    if not settings.REDIS_URL:
        _memory.purge()
        raw: Any = _memory.take(pid)
    else:
        try:
            raw = await stats._async_client().getdel(_key(pid))
        except Exception as exc:
            if not health.report(exc):
                raise
            return None
    if raw is None:
        return None
    try:
        record = json.loads(raw)
        rooms = record["rooms"]
        same_user = record["user"] == identity(user)
    except (ValueError, KeyError, TypeError):
        logger.warning("unreadable Socket.IO session record dropped")
        return None
    if not same_user or not isinstance(rooms, dict):
        return None
    return {
        room: seq
        for room, seq in rooms.items()
        if isinstance(room, str) and isinstance(seq, int)
    }
