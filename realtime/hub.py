"""Process-local fan-out: one channel-layer subscription per room per process.

Every socket of this process that joined a room (Channels consumers and the
Socket.IO gateway alike) registers here; the hub holds one channel on the
layer, adds it to a room's group when the first local socket joins, and hands
each arriving frame, encoded once at publish time, to the local subscribers.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from typing import Any, Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from realtime import health, metrics
from realtime.rooms import group_name

logger = logging.getLogger(__name__)
# Seconds between attempts of the receive loop while the channel layer fails.
RECEIVE_RETRY_MIN = 0.1
RECEIVE_RETRY_MAX = 2.0
# Missed events a history check reads per room (the rest at the next check).
HISTORY_PAGE = 500
# Seconds frames after a gap wait, at most, for the missing ones to be read.
FILL_HOLD_MAX = 0.5
# The latest events the hub keeps per joined room, to answer catch-ups
# without a database read (see `Recent`).
RECENT_EVENTS = 1000


class Recent:
    """A room's latest events, contiguous: seqs first .. first + len - 1.

    Filled by every frame the hub delivers (in seq order; a gap starts the
    window again after it) and by history reads. A socket catching up from a
    seq inside the window is answered from here; that is what a reconnect
    wave after a restart asks for thousands of times, for the same events.
    """

    __slots__ = ("first", "frames")

    def __init__(self) -> None:
        self.first = 0
        self.frames: collections.deque[str] = collections.deque()

    @property
    def last(self) -> int:
        return self.first + len(self.frames) - 1

    def add(self, seq: int, frame: str) -> None:
        if self.frames and seq <= self.last:
            return  # had it
        if not self.frames or seq != self.last + 1:
            self.frames.clear()  # a gap: only what follows it is contiguous
            self.first = seq
        self.frames.append(frame)
        self._trim()

    def _trim(self) -> None:
        while len(self.frames) > RECENT_EVENTS:
            self.frames.popleft()
            self.first += 1

    def merge(self, rows: list[tuple[int, str]]) -> None:
        """Take contiguous history rows, where they join the window or start it."""
        if not rows:
            return
        start, end = rows[0][0], rows[-1][0]
        if not self.frames or end < self.first - 1 or start > self.last + 1:
            if self.frames and end < self.last:
                return  # older and apart from the window: keep the newer
            self.frames = collections.deque(frame for _seq, frame in rows)
            self.first = start
        else:
            if start < self.first:
                older = [frame for seq, frame in rows if seq < self.first]
                self.frames.extendleft(reversed(older))
                self.first = start
            for seq, frame in rows:
                if seq > self.last:
                    self.frames.append(frame)
        self._trim()

    def after(self, seq: int, limit: int) -> list[tuple[int, str]] | None:
        """The events after `seq` (at most `limit`), or None if the window does not hold them."""
        if not self.frames or seq < self.first - 1 or seq > self.last:
            return None
        start = seq + 1 - self.first
        stop = min(len(self.frames), start + limit)
        return [(self.first + i, self.frames[i]) for i in range(start, stop)]


class Subscriber(Protocol):
    def deliver(self, room: str, seq: int | None, event: str, text: str) -> None:
        """Take one room event (`seq` None: volatile, not stored); must not block."""

    def catch_up_later(self, room: str) -> None:
        """The room has events this process never received: read them from history."""


class Heartbeats:
    """One loop per process beats every socket, instead of a task per socket."""

    def __init__(self) -> None:
        self.sockets: set[Any] = set()
        self._task: asyncio.Task[None] | None = None

    def add(self, socket: Any) -> None:
        self.sockets.add(socket)
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())

    def discard(self, socket: Any) -> None:
        self.sockets.discard(socket)

    async def _run(self) -> None:
        from django.conf import settings
        from django.utils import timezone

        from realtime.events import HEARTBEAT
        from realtime.outbox import encode

        while self.sockets:
            conf = settings.TIDINGS
            # Fine enough for short test settings, cheap at 30 s / 15 s.
            tick = min(
                1.0, conf["HEARTBEAT_INTERVAL"] / 4, conf["HEARTBEAT_TIMEOUT"] / 4
            )
            await asyncio.sleep(tick)
            # One heartbeat frame per tick, encoded once for every socket.
            beat = encode(
                {"event": HEARTBEAT, "data": {"timestamp": timezone.now().isoformat()}}
            )
            now = time.monotonic()
            for socket in list(self.sockets):
                try:
                    socket.heartbeat_tick(now, beat)
                except Exception:
                    logger.exception("heartbeat failed")


class Hub:
    def __init__(self) -> None:
        self.heartbeats = Heartbeats()
        self.layer = get_channel_layer()
        self.channel: str | None = None
        self.rooms: dict[str, set[Subscriber]] = {}
        self._groups: set[str] = set()
        # Rooms joined while the channel layer was unavailable: served from
        # the history by `check_history` until their group is added.
        self._pending: set[str] = set()
        # Rooms whose missed frames are being read, with the frames held meanwhile.
        self._filling: dict[str, list[dict[str, Any]]] = {}
        self._fills: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        # Highest seq this process has seen per room, and the rooms found
        # behind the history at the last check, with what they had seen then.
        self.seen: dict[str, int] = {}
        self._behind: dict[str, int] = {}
        # The latest events of each joined room, and the history reads under
        # way (room -> the seq read after, the read), shared by catch-ups.
        self.recent: dict[str, Recent] = {}
        self._reading: dict[str, tuple[int, asyncio.Future[list[tuple[int, str]]]]] = {}

    async def _ensure_channel(self) -> str:
        if self.channel is None:
            self.channel = await self.layer.new_channel("hub.")
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._receive_loop())
        return self.channel

    async def _group_add(self, room: str) -> bool:
        """Add the room's group; False (room pending) while the layer is unavailable."""
        try:
            channel = await self._ensure_channel()
            await self.layer.group_add(group_name(room), channel)
        except Exception as exc:
            if not health.report(exc):
                raise
            self._pending.add(room)
            return False
        self._pending.discard(room)
        self._groups.add(room)
        health.recovered(health.REDIS)
        return True

    async def subscribe(self, room: str, subscriber: Subscriber) -> None:
        self.rooms.setdefault(room, set()).add(subscriber)
        # A room whose group is added but whose seq is not read yet is still
        # being subscribed: wait for that below, so that every join of a wave
        # starts from the hub's seq (`seen`) instead of reading its own.
        if (room in self._groups and room in self.seen) or room in self._pending:
            return
        async with self._lock:
            if room in self._groups or room in self._pending or room not in self.rooms:
                return
            try:
                await self._group_add(room)
            except Exception:
                self._discard(room, subscriber)
                raise
            # From here on every frame of the room should arrive (or, while
            # the room is pending, be read from the history); remember where
            # the history stood so a frame lost on the way is noticed.
            latest = (await database_sync_to_async(_current_seqs)([room])).get(room, 0)
            self.seen[room] = max(self.seen.get(room, 0), latest)

    async def add_pending_groups(self) -> int:
        """Add the groups of rooms joined during an outage; return how many were added."""
        if not self._pending or health.is_down(health.REDIS):
            return 0
        added = 0
        async with self._lock:
            for room in list(self._pending):
                if room not in self.rooms:
                    self._pending.discard(room)
                    continue
                if not await self._group_add(room):
                    break
                added += 1
        return added

    def _discard(self, room: str, subscriber: Subscriber) -> bool:
        subscribers = self.rooms.get(room)
        if subscribers is None:
            return False
        subscribers.discard(subscriber)
        if subscribers:
            return False
        del self.rooms[room]
        self.seen.pop(room, None)
        self.recent.pop(room, None)
        self._behind.pop(room, None)
        self._pending.discard(room)
        return True

    async def unsubscribe(self, room: str, subscriber: Subscriber) -> None:
        if not self._discard(room, subscriber):
            return
        async with self._lock:
            if room in self.rooms or room not in self._groups or self.channel is None:
                return
            self._groups.discard(room)
            try:
                await self.layer.group_discard(group_name(room), self.channel)
            except Exception as exc:  # the group expires or is dropped on reconnect
                logger.info("group_discard(%s) failed: %s", room, exc)

    async def _receive_loop(self) -> None:
        assert self.channel is not None
        delay = RECEIVE_RETRY_MIN
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Redis away: one warning for the outage (realtime.health),
                # retries backing off; lost frames come from the history.
                if not health.report(exc):
                    logger.exception("hub receive failed; retrying")
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECEIVE_RETRY_MAX)
                continue
            delay = RECEIVE_RETRY_MIN
            health.recovered(health.REDIS)
            try:
                self.dispatch(message)
            except Exception:
                logger.exception("hub dispatch failed")

    def dispatch(self, message: dict[str, Any]) -> None:
        """Hand a room frame to the local subscribers, in seq order.

        A frame that arrives after a gap (one lost while Redis reconnected,
        or a later frame of another publisher that overtook an earlier one)
        is held, with the frames after it, while the hub reads the missing
        ones from the history: one read for the room instead of one per
        socket, each of which would otherwise see the gap and read on its own.
        """
        room = message.get("room")
        if not isinstance(room, str):
            return
        if not self.rooms.get(room):
            return
        seq = message.get("seq")
        if seq is not None:
            held = self._filling.get(room)
            if held is not None:
                held.append(message)
                return
            seen = self.seen.get(room)
            if seen is not None and seq > seen + 1:
                held = self._filling[room] = [message]
                task = asyncio.ensure_future(self._fill_gap(room, seen, held))
                self._fills.add(task)
                task.add_done_callback(self._fills.discard)
                # Never held for long: a database busy elsewhere must not stall
                # the room (its sockets then catch up on their own, as before).
                asyncio.get_running_loop().call_later(
                    FILL_HOLD_MAX, self._release, room, held
                )
                return
        self._deliver(room, message)

    def _release(self, room: str, held: list[dict[str, Any]]) -> bool:
        """Deliver the frames held for `room` by this fill, if still held; True if so."""
        if self._filling.get(room) is not held:
            return False
        del self._filling[room]
        for message in held:
            self._deliver(room, message)
        return True

    async def _fill_gap(
        self, room: str, after: int, held: list[dict[str, Any]]
    ) -> None:
        rows: list[tuple[int, str, str]] = []
        try:
            found = await database_sync_to_async(_missed_events)({room: after})
            rows = found.get(room, [])
        except Exception as exc:
            # The subscribers see the gap and catch up on their own.
            if not health.report(exc):
                logger.exception("reading the missed events of %s failed", room)
        finally:
            still_held = self._filling.get(room) is held
            if still_held:
                del self._filling[room]
        for seq, event, frame in rows:
            self._deliver(
                room, {"room": room, "seq": seq, "event": event, "text": frame}
            )
        if still_held:
            for message in held:
                self._deliver(room, message)

    def _deliver(self, room: str, message: dict[str, Any]) -> None:
        subscribers = self.rooms.get(room)
        if not subscribers:
            return
        sent_at = message.get("ts")
        if isinstance(sent_at, (int, float)):
            metrics.FANOUT_LATENCY.observe(max(0.0, time.time() - sent_at))
        # seq is None for volatile frames (typing, presence): forwarded as they are.
        seq, event, text = message.get("seq"), message["event"], message["text"]
        if seq is not None:
            if seq > self.seen.get(room, 0):
                self.seen[room] = seq
            self._recent(room).add(seq, text)
        for subscriber in list(subscribers):
            subscriber.deliver(room, seq, event, text)
        metrics.MESSAGES_OUT.labels(event).inc(len(subscribers))

    async def history_after(
        self, room: str, after: int, limit: int
    ) -> list[tuple[int, str]]:
        """`(seq, frame)` of the room's events after `after` (at most `limit`), oldest first.

        From the room's recent events when they reach back to `after`; else
        from the history, one read at a time per room: catch-ups that start
        at or after a read under way wait for it and are answered from what
        it brought. Raises ResyncRequired as `events_after` does.
        """
        from realtime.selectors import events_after

        rows = self._recent_after(room, after, limit)
        if rows is not None:
            return rows
        reading = self._reading.get(room)
        if reading is not None and reading[0] <= after:
            with contextlib.suppress(Exception):  # else read below, for its own answer
                await asyncio.shield(reading[1])
            rows = self._recent_after(room, after, limit)
            if rows is not None:
                return rows
        read = asyncio.ensure_future(
            database_sync_to_async(events_after)(room, after, limit=limit)
        )
        if room not in self._reading:
            self._reading[room] = (after, read)

            def done(_: Any) -> None:
                if self._reading.get(room, (0, None))[1] is read:
                    del self._reading[room]

            read.add_done_callback(done)
        rows = await read
        if room in self.rooms:
            self._recent(room).merge(rows)
        return rows

    def _recent(self, room: str) -> Recent:
        recent = self.recent.get(room)
        if recent is None:
            recent = self.recent[room] = Recent()
        return recent

    def _recent_after(
        self, room: str, after: int, limit: int
    ) -> list[tuple[int, str]] | None:
        """The answer from the room's recent events, if they hold all of it.

        A page shorter than `limit` tells the caller it is caught up, so it is
        given only when the window reaches the last seq this hub has seen (all
        later events come live); a window that ends before that (a history
        page read after a restart) answers only full pages.
        """
        recent = self.recent.get(room)
        if recent is None:
            return None
        rows = recent.after(after, limit)
        if rows is None:
            return None
        if len(rows) < limit and recent.last < self.seen.get(room, 0):
            return None
        return rows

    async def check_history(self) -> int:
        """Deliver, from the history, the events of rooms that arrived here behind it.

        Pub/sub delivery is fire-and-forget: a frame sent while this process
        was reconnecting to Redis never arrives. The history has it, so a room
        that is behind at two checks in a row, with nothing arriving in
        between, is caught up from there. A room whose frames are still
        arriving (a large burst) is only late, and left to them. While Redis
        is known to be down (or the room's group is not added yet) nothing can
        arrive, and the room is caught up at every check.

        The hub reads the missed events once per room and hands them to every
        local subscriber like live frames (each skips what it already has):
        one read per room, not one per socket, so a few hundred sockets of a
        room do not queue a few hundred reads on the database thread. Only
        when the history no longer reaches back does each subscriber catch up
        on its own (and get `resync_required`). Rooms joined while Redis was
        away get their group here once it is back. Returns the number of
        rooms caught up.
        """
        await self.add_pending_groups()
        rooms = list(self.rooms)
        if not rooms:
            return 0
        current = await database_sync_to_async(_current_seqs)(rooms)
        redis_down = health.is_down(health.REDIS)
        due: dict[str, int] = {}
        behind: dict[str, int] = {}
        for room in rooms:
            latest = current.get(room, 0)
            seen = self.seen.setdefault(room, latest)
            if latest > seen:
                if (
                    redis_down
                    or room in self._pending
                    or self._behind.get(room) == seen
                ):
                    due[room] = seen
                else:
                    behind[room] = seen
        self._behind = behind
        if not due:
            return 0
        missed = await database_sync_to_async(_missed_events)(due)
        for room, after in due.items():
            if room not in self.rooms:
                continue  # left meanwhile
            rows = missed.get(room, [])
            if not rows or rows[0][0] != after + 1:
                # Pruned past what this process saw: each subscriber reloads.
                self.seen[room] = max(self.seen.get(room, 0), current.get(room, 0))
                for subscriber in list(self.rooms.get(room, ())):
                    subscriber.catch_up_later(room)
                continue
            for seq, event, frame in rows:
                self.dispatch({"room": room, "seq": seq, "event": event, "text": frame})
        return len(due)


def _missed_events(due: dict[str, int]) -> dict[str, list[tuple[int, str, str]]]:
    """Per room, the stored events after the given seq, oldest first (a page of them)."""
    from realtime.models import RoomEvent

    return {
        room: list(
            RoomEvent.objects.filter(room=room, seq__gt=after)
            .order_by("seq")
            .values_list("seq", "event", "frame")[:HISTORY_PAGE]
        )
        for room, after in due.items()
    }


def _current_seqs(rooms: list[str]) -> dict[str, int]:
    from realtime.models import RoomSequence

    found: dict[str, int] = {}
    for start in range(0, len(rooms), 500):
        found.update(
            RoomSequence.objects.filter(
                room__in=rooms[start : start + 500]
            ).values_list("room", "last_seq")
        )
    return found


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def get_hub() -> Hub:
    """The hub of the running event loop (one per server process in production)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        for old in [key for key in _hubs if key.is_closed()]:
            del _hubs[old]
        hub = _hubs[loop] = Hub()
    return hub


def current_hub() -> Hub | None:
    """The hub of the running loop if one exists (for stats from sync code)."""
    for loop, hub in _hubs.items():
        if not loop.is_closed():
            return hub
    return None
