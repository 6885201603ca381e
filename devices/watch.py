"""Each server process closes the open sockets of a revoked screen token at once.

The same way a removed chat member's sockets are closed: the revocation is a
room event, published in the revocation's transaction (`device:revoked` to
the `devices` room), and whoever receives it closes the sockets it concerns.
Here the receiver is one watch per process, subscribed to that room on the
process's hub like a socket (from the process's startup, `runtime.add_startup`),
so the event has the outbox's guarantees: relayed if the channel layer was
down at commit, read from the history by the hub's check if a frame was lost.
The watch closes every local socket (native or Socket.IO) whose user is that
device with `UNAUTHORIZED` and 4401. A socket that authenticated just before
the revocation and connects just after it is refused at its first join,
since join rules ask the database again (`DevicePrincipal.still_valid`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from channels.db import database_sync_to_async

from devices import events, selectors
from realtime import health
from realtime.auth import close_sockets_of
from realtime.hub import get_hub
from realtime.permissions import DevicePrincipal

logger = logging.getLogger(__name__)
REVOKED = "This screen token was revoked; pair the device again"
RETRY_MAX = 5.0


def _device_of(user: Any) -> int | None:
    return user.device_id if isinstance(user, DevicePrincipal) else None


def close_device(device_id: int) -> int:
    """Close this process's sockets of the device; return how many."""
    return close_sockets_of(lambda user: _device_of(user) == device_id, REVOKED)


async def sweep() -> int:
    """Close this process's sockets of every revoked device (after a lost history)."""
    sockets = list(get_hub().heartbeats.sockets)
    ids = {_device_of(getattr(s, "user", None)) for s in sockets} - {None}
    if not ids:
        return 0
    revoked = await database_sync_to_async(selectors.revoked_among)(ids)
    return close_sockets_of(lambda user: _device_of(user) in revoked, REVOKED)


class RevocationWatch:
    """The hub's subscriber of the `devices` room in one process."""

    def __init__(self) -> None:
        self._sweeps: set[asyncio.Task[int]] = set()

    def deliver(self, room: str, seq: int | None, event: str, text: str) -> None:
        if event != events.DEVICE_REVOKED:
            return
        try:
            device_id = json.loads(text)["data"]["deviceId"]
        except (ValueError, KeyError, TypeError):
            return
        if isinstance(device_id, int):
            close_device(device_id)

    def catch_up_later(self, room: str) -> None:
        # The history no longer reaches back to what this process saw: ask
        # the database about every device with a socket here instead.
        task = asyncio.ensure_future(sweep())
        self._sweeps.add(task)
        task.add_done_callback(self._sweeps.discard)


_watches: dict[asyncio.AbstractEventLoop, RevocationWatch] = {}


async def start() -> RevocationWatch:
    """Subscribe this event loop's watch to the `devices` room (once)."""
    loop = asyncio.get_running_loop()
    for old in [key for key in _watches if key.is_closed()]:
        del _watches[old]
    watch = _watches.setdefault(loop, RevocationWatch())
    await get_hub().subscribe(events.ROOM, watch)
    return watch


async def watch_revocations() -> None:
    """The process's startup task: subscribe the watch, retrying while it fails."""
    delay = 0.5
    while True:
        try:
            await start()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not health.report(exc):
                logger.exception("devices: watching revocations failed; retrying")
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)
