"""The socket's rooms: join, leave and restore, each room's seq, replay and catch-up.

Guarantees (docs/PROTOCOL.md sections 3 and 5):
- A join checks who may join (`RoomType.authorize`, in the app's
  `rooms.py`), subscribes to the process's hub, then replays from the
  client's `lastSeq` (or starts from the room's current seq): the replay
  runs in the writer, at its place in the send queue, so live events queued
  before it are skipped and read back from the history, and none is sent
  twice or lost.
- Each room's frames reach the socket in seq order, each once: a live event
  whose seq is not the next one waits for a read of the history
  (`_catch_up`) of what is missing; one older than what was sent is dropped.
  Volatile events (no seq) are sent as they come, only to joined rooms.
- A socket never loses a frame it was sent: joining a room again only
  backfills what came before this socket's starting point.
- A history read that fails for an outage keeps the socket and is tried
  again (`CATCH_UP_RETRY`); history pruned past `lastSeq` gets
  `resync_required`.

Each room is one `JoinedRoom`; a socket keeps a small dict of them and
nothing per room while idle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from channels.db import database_sync_to_async

from realtime import events
from realtime.errors import ErrorCode, ProtocolError
from realtime.hub import get_hub
from realtime.rooms import RoomType, resolve
from realtime.selectors import ResyncRequired, current_seq, events_after
from realtime.writer import CatchUp, QueueItem

# Seconds before a catch-up that failed for an outage is tried again.
CATCH_UP_RETRY = 1.0
# Events read from the history at a time.
HISTORY_PAGE = 500


@dataclass(slots=True)
class JoinedRoom:
    """One room this socket is in."""

    room_type: RoomType
    ident: str | None  # the room's id (`order:<id>`), None for a room without one
    # The seq after which this socket covers the room (None while joining).
    start: int | None = None
    # The last seq sent. None until the writer reaches the join's catch-up:
    # live events before that point are skipped and read back from history.
    sent: int | None = None


class JoinResult:
    """Filled in by the writer once the join's replay ran."""

    replayed = 0


class RoomMembership:
    """The rooms part of `RealtimeConsumer` (see the module docstring)."""

    rooms: dict[str, JoinedRoom]  # room name -> its state
    # Rooms whose catch-up waits for a dependency to come back.
    retrying: set[str] | None = None

    if TYPE_CHECKING:
        # From the rest of the socket (realtime/consumers.py, writer.py, frames.py).
        socket_name: ClassVar[str]
        serves_rooms_of: ClassVar[frozenset[str] | None]
        user: Any
        closing: bool

        def deliver(
            self, room: str, seq: int | None, event: str, text: str
        ) -> None: ...
        def enqueue(self, item: QueueItem) -> None: ...
        def after_queue(self, action: Callable[[], Awaitable[None]]) -> None: ...
        def _out(self, text: str) -> Awaitable[None]: ...
        def _out_many(self, texts: list[str]) -> Awaitable[None]: ...
        @staticmethod
        def frame_text(event: str, data: Any, ref: str | None = None) -> str: ...
        def send_frame(self, event: str, data: Any, ref: str | None = None) -> None: ...
        def send_error(
            self,
            code: str,
            message: str,
            ref: str | None = None,
            reason: str | None = None,
        ) -> None: ...
        def take_rate_token(self, ref: str | None) -> bool: ...

    def _setup_rooms(self) -> None:
        self.rooms = {}

    # Read-only views for subclasses: room -> last seq sent (rooms whose
    # replay has started), and room -> (room type, id).

    @property
    def joined(self) -> dict[str, int]:
        return {
            room: state.sent
            for room, state in self.rooms.items()
            if state.sent is not None
        }

    @property
    def room_types(self) -> dict[str, tuple[RoomType, str | None]]:
        return {
            room: (state.room_type, state.ident) for room, state in self.rooms.items()
        }

    def _sent(self, room: str) -> int | None:
        """The last seq sent in `room`; None if not in it or its replay has not started."""
        state = self.rooms.get(room)
        return None if state is None else state.sent

    def _is_joined(self, room: str) -> bool:
        """In `room`, with its replay started (frames of it may go out)."""
        return self._sent(room) is not None

    # -- join and leave ------------------------------------------------------

    async def join(
        self, room_type: RoomType, room: str, ident: str | None, last_seq: int | None
    ) -> JoinResult:
        """Subscribe, then queue the replay from `last_seq` (or from now) in the writer."""
        result = JoinResult()
        state = self.rooms.get(room)
        start = state.start if state is not None else None
        if state is not None and start is not None:
            # Already joined: a socket never loses frames it was sent, so only
            # what came before this socket's starting point can be missing.
            if last_seq is not None and last_seq < start:
                state.start = after = last_seq
                upto = start

                async def backfill() -> None:
                    result.replayed = await self._backfill(room, after, upto)

                self.after_queue(backfill)
            return result
        await database_sync_to_async(room_type.authorize)(self.user, ident)
        try:
            await get_hub().subscribe(room, self)
        except Exception as exc:
            raise ProtocolError(
                ErrorCode.ROOM_JOIN_FAILED, f"Could not join {room}: {exc}"
            ) from exc
        state = self.rooms[room] = JoinedRoom(room_type, ident)
        # A join from now starts where this process's hub is in the room: no
        # database read. The socket was subscribed with no pause since, so
        # every later event reaches it live (or from the hub's history check).
        known = get_hub().seen.get(room) if last_seq is None else None
        if known is not None:
            last_seq = known
        elif last_seq is None:
            last_seq = await database_sync_to_async(current_seq)(room)
        first = state.start = last_seq

        async def catch_up() -> None:
            # Set here, in the writer: live events queued before this point are
            # skipped, and the catch-up below reads them back from history.
            joined = self.rooms.get(room)
            if joined is None:
                return  # left meanwhile
            joined.sent = first
            if known is None:
                result.replayed = await self._catch_up(room)

        self.after_queue(catch_up)
        return result

    async def leave(self, room: str) -> None:
        self.rooms.pop(room, None)
        await get_hub().unsubscribe(room, self)

    def room_sockets(self) -> frozenset[str]:
        return self.serves_rooms_of or frozenset({self.socket_name})

    def resolve_room(self, data: dict[str, Any]) -> tuple[RoomType, str, str | None]:
        """`{roomType, <idField>}` on this socket: the room type, room name and id."""
        room_type, room = resolve(data, sockets=self.room_sockets())
        return room_type, room, room.partition(":")[2] or None

    @staticmethod
    def parse_last_seq(data: dict[str, Any]) -> int | None:
        value = data.get("lastSeq")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ProtocolError(
                ErrorCode.VALIDATION_ERROR, "lastSeq must be a non-negative integer"
            )
        return value

    def room_reply(
        self, room_type: RoomType, room: str, ident: str | None
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"roomType": room_type.name, "room": room}
        if room_type.id_field:
            data[room_type.id_field] = ident
        return data

    # -- the room verbs --------------------------------------------------------

    async def handle_join_room(self, data: dict[str, Any], ref: str | None) -> None:
        room_type, room, ident = self.resolve_room(data)
        last_seq = self.parse_last_seq(data)
        await self.join(room_type, room, ident, last_seq)
        reply = self.room_reply(room_type, room, ident)

        async def success() -> None:
            sent = self._sent(room)
            reply.update(seq=sent if sent is not None else 0, message=f"Joined {room}")
            await self._out(
                self.frame_text(events.JOIN_ROOM_SUCCESS, reply, ref or None)
            )

        self.after_queue(success)

    async def handle_leave_room(self, data: dict[str, Any], ref: str | None) -> None:
        room_type, room, ident = self.resolve_room(data)
        if room not in self.rooms:
            raise ProtocolError(ErrorCode.ROOM_LEAVE_FAILED, f"Not in room {room}")
        await self.leave(room)
        reply = self.room_reply(room_type, room, ident)
        reply["message"] = f"Left {room}"
        self.send_frame(events.LEAVE_ROOM_SUCCESS, reply, ref)

    async def handle_restore_rooms(self, data: dict[str, Any], ref: str | None) -> None:
        rooms = data.get("rooms")
        if not isinstance(rooms, list) or len(rooms) > 100:
            raise ProtocolError(
                ErrorCode.VALIDATION_ERROR, "rooms must be a list of at most 100 rooms"
            )
        restored = 0
        replays: list[JoinResult] = []
        for index, entry in enumerate(rooms):
            # Every room counts toward the rate limit (the frame paid for the first).
            if index and not self.take_rate_token(ref):
                break
            try:
                if not isinstance(entry, dict):
                    raise ProtocolError(
                        ErrorCode.VALIDATION_ERROR, "each room must be an object"
                    )
                room_type, room, ident = self.resolve_room(entry)
                replays.append(
                    await self.join(room_type, room, ident, self.parse_last_seq(entry))
                )
                restored += 1
            except ProtocolError as exc:
                self.send_error(
                    ErrorCode.ROOM_JOIN_FAILED
                    if exc.code == ErrorCode.VALIDATION_ERROR
                    else exc.code,
                    exc.message,
                    ref,
                )

        async def success() -> None:
            data = {
                "message": f"Restored {restored} room(s)",
                "restoredCount": restored,
                "replayedCount": sum(r.replayed for r in replays),
                "timestamp": events.now_iso(),
            }
            await self._out(
                self.frame_text(events.RESTORE_ROOMS_SUCCESS, data, ref or None)
            )

        self.after_queue(success)

    # -- room events, in the writer ------------------------------------------------

    def _room_event_due(self, room: str, seq: int | None) -> bool | None:
        """Whether a live room event goes out now: True, False (dropped), or
        None while an earlier event of the room has not been sent.

        Dropped: not in the room, its replay not started, or sent already. A
        volatile frame (`seq` None: never stored, never replayed) goes out
        with no seq bookkeeping.
        """
        state = self.rooms.get(room)
        if state is None or state.sent is None:
            return False
        if seq is None:
            return True
        if seq <= state.sent:
            return False
        return True if seq == state.sent + 1 else None

    def _room_event_sent(self, room: str, seq: int | None) -> None:
        state = self.rooms.get(room)
        if seq is not None and state is not None:
            state.sent = seq

    async def _send_room_event(self, room: str, seq: int | None, text: str) -> None:
        """One live room event (from the writer): in seq order, each once."""
        due = self._room_event_due(room, seq)
        if due is None:
            # An earlier event is still on its way (or was lost): fetch it
            # first; then this one goes out unless the catch-up sent it.
            await self._catch_up(room)
            due = self._room_event_due(room, seq) is not False
        if due:
            await self._out(text)
            self._room_event_sent(room, seq)

    def catch_up_later(self, room: str) -> None:
        """From the hub: this room has stored events that never arrived live."""
        if not self.closing and self._is_joined(room):
            self.enqueue(CatchUp(room))

    async def _catch_up(self, room: str) -> int:
        """Send the stored events after the room's last sent seq; return how many.

        Reads pages until one comes back short: whatever was stored after
        that read is already on its way live (the socket subscribed first),
        so a catch-up never chases events that keep coming, and what is
        queued behind it (join replies, heartbeats) waits one read, not the
        end of a busy period.
        """
        sent = 0
        while (state := self.rooms.get(room)) is not None and state.sent is not None:
            try:
                rows = await get_hub().history_after(room, state.sent, HISTORY_PAGE)
            except ResyncRequired as exc:
                data = self.room_reply(state.room_type, room, state.ident)
                data["seq"] = exc.seq
                await self._out(self.frame_text(events.RESYNC_REQUIRED, data))
                state.sent = exc.seq
                return sent
            if rows:
                await self._out_many([frame for _seq, frame in rows])
                state.sent = rows[-1][0]
                sent += len(rows)
            if len(rows) < HISTORY_PAGE:
                return sent
        return sent

    async def _backfill(self, room: str, after: int, upto: int) -> int:
        """Send the stored events in (after, upto], which this socket never sent."""
        sent = 0
        while after < upto and self._is_joined(room):
            try:
                rows = await database_sync_to_async(events_after)(room, after)
            except ResyncRequired:
                return sent
            rows = [row for row in rows if row[0] <= upto]
            if not rows:
                return sent
            await self._out_many([frame for _seq, frame in rows])
            sent += len(rows)
            after = rows[-1][0]
        return sent

    def _retry_catch_up(self, room: str | None) -> None:
        """Catch `room` (or every joined room) up again in a second."""
        rooms = [room] if room is not None else list(self.joined)
        if self.retrying is None:
            self.retrying = set()  # made on first use: idle sockets stay small
        retrying = self.retrying
        loop = asyncio.get_running_loop()
        for name in rooms:
            if name not in retrying:
                retrying.add(name)
                loop.call_later(CATCH_UP_RETRY, self._catch_up_again, name)

    def _catch_up_again(self, room: str) -> None:
        if self.retrying is not None:
            self.retrying.discard(room)
        self.catch_up_later(room)
