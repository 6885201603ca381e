"""The base consumer: one socket's life, from connect to the one close path (PROTOCOL 2-7).

Subclasses name their socket, say whether it needs a user, and add client
events to `events`. `RealtimeConsumer` composes the socket's parts, each in
a module of its own:

- realtime/writer.py (`SocketWriter`): the send queue every frame leaves
  through, writes in place, and the cut-off of a slow client;
- realtime/frames.py (`FrameProtocol`): what a client sends (size, JSON,
  batches, envelope, handler) and the rate and per-address limits;
- realtime/membership.py (`RoomMembership`): joined rooms with their seq,
  join/leave/restore, replay, catch-up and backfill.

This module holds what ties them together: connect, the socket's user (on
connect or by an `auth` message), heartbeats, and the one way a socket ends.
Guarantees: every way a socket ends goes through `queue_close` (an error
frame, then the close code, in queue order) or `fail` (an unexpected
exception: logged, `INTERNAL_ERROR`, 1011), and `_cleanup` (rooms, presence,
stats, the socket's log line) runs exactly once, even when the server drops
the application without a disconnect. Heartbeats run from one loop per
process (`realtime/hub.py`), not a task per socket: docs/performance.md
("no task per idle socket", "Idle connections").
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
import uuid
from typing import Any, ClassVar

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from realtime import events, metrics, runtime, stats
from realtime.auth import InvalidToken, query_param, token_user, user_summary
from realtime.errors import CloseCode, ErrorCode, ProtocolError
from realtime.frames import FrameProtocol
from realtime.hub import get_hub
from realtime.membership import RoomMembership
from realtime.writer import Call, Close, SocketWriter, Text, run_detached

logger = logging.getLogger(__name__)
# One structured line per socket opened and closed, refused frame and limit hit.
socket_log = logging.getLogger("tidings.socket")


class RealtimeConsumer(
    RoomMembership, FrameProtocol, SocketWriter, AsyncWebsocketConsumer
):
    socket_name: ClassVar[str] = "base"
    # Room events reach sockets through the hub, never on a channel of their
    # own: no per-socket channel (on Redis, no per-socket subscription).
    channel_layer_alias = None  # type: ignore[assignment]
    # Sockets whose room types this one may join (default: its own).
    serves_rooms_of: ClassVar[frozenset[str] | None] = None
    requires_user: ClassVar[bool] = False
    # client event -> method name; merged along the class hierarchy.
    events: ClassVar[dict[str, str]] = {
        "join_room": "handle_join_room",
        "leave_room": "handle_leave_room",
        "restore_rooms": "handle_restore_rooms",
        "heartbeat_ack": "handle_heartbeat_ack",
        "ping": "handle_ping",
        "typed_ping": "handle_typed_ping",
        "auth": "handle_auth",
    }
    _handler_table: ClassVar[dict[str, str]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            table.update(klass.__dict__.get("events", {}))
        cls._handler_table = table

    # -- lifecycle ---------------------------------------------------------
    #
    # Every way a socket ends goes through `queue_close` (error frame, then
    # close code) and `_cleanup` (rooms, presence, stats), which runs once.

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # Channels' AsyncConsumer.__call__ without a channel layer (these
        # consumers have none: the hub fans events out): the next message is
        # awaited in this coroutine, not in a new task per message.
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
                # Let the other sockets go on between two messages of this one
                # (a burst read at once would otherwise be handled in one go).
                await asyncio.sleep(0)
        except StopConsumer:
            pass
        finally:
            # The server dropped the application without websocket.disconnect
            # (cancelled, or its receive failed): clean up all the same.
            await asyncio.shield(self._cleanup(None))

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' dispatch first runs close_old_connections in the database
        # thread: a thread hop for every frame a socket sends. Every database
        # call here goes through database_sync_to_async, which does that
        # itself, so the handler is called directly.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        try:
            await handler(message)
        except StopConsumer:
            raise
        except Exception:
            if message.get("type") == "websocket.disconnect":
                logger.exception("socket cleanup failed")
                raise StopConsumer() from None
            if getattr(self, "accepted", False):
                self.fail(message.get("type", "dispatch"))
            else:
                logger.exception("socket failed before it was accepted")
                await self.close()

    def fail(self, where: str) -> None:
        """An unexpected exception (being handled): log it, then error frame and 1011."""
        logger.exception("socket failed in %s", where)
        if self.closing:
            # A close is under way; its queued frames may be gone: close now.
            self.enqueue(Close(self.close_code or CloseCode.INTERNAL_ERROR))
            return
        self.queue_close(
            CloseCode.INTERNAL_ERROR, "Internal error", ErrorCode.INTERNAL_ERROR
        )

    async def connect(self) -> None:
        conf = settings.TIDINGS
        self.conf = conf
        self.connection_id = uuid.uuid4().hex
        self.accepted = False
        self.counted = False  # in stats and in its address's sockets
        self.cleaned = False
        self.close_code: int | None = None
        self.close_reason = ""
        self.user = self.scope.get("user")
        self.closing = False
        self._setup_writer()
        self._setup_frames()
        self._setup_rooms()
        now = time.monotonic()
        # The first beat at a random point of the second half of the interval:
        # sockets that connected together (a reconnect wave, a bench) would
        # otherwise all be beaten, and all ack, in the same tick, for ever.
        self.beat_at = now + conf["HEARTBEAT_INTERVAL"] * (0.5 + random.random() / 2)
        self.ack_deadline: float | None = None
        self.tasks: list[asyncio.Task[Any]] = []
        self.authenticated = bool(getattr(self.user, "is_authenticated", False))
        self.opened_at = now
        await self.accept()
        self.accepted = True
        stats.opened(self.socket_name)
        address = self._address_entry()
        if address is not None:
            address.sockets += 1
        self.counted = True
        self.log(logging.INFO, "socket opened", "socket.opened")
        runtime.ensure_started()
        self.send_frame(
            events.CONNECTED,
            events.connected_data(
                self.connection_id,
                conf["HEARTBEAT_INTERVAL"],
                conf["HEARTBEAT_TIMEOUT"],
            ),
        )
        if (
            address is not None
            and address.sockets > conf["MAX_CONNECTIONS_PER_ADDRESS"]
        ):
            self.limit_hit("connections_per_address")
            self.queue_close(
                CloseCode.RATE_LIMIT_EXCEEDED,
                "Too many connections from this address",
                ErrorCode.RATE_LIMITED,
            )
            return
        if self.scope.get("auth_error"):
            self.queue_close(
                CloseCode.NOT_AUTHENTICATED,
                self.scope["auth_error"],
                ErrorCode.UNAUTHORIZED,
            )
            return
        if query_param(self.scope, "resume"):
            stats.reconnected()
            self.send_frame(
                events.RECONNECT_SUCCESS,
                {"message": "Reconnected", "timestamp": events.now_iso()},
            )
        get_hub().heartbeats.add(self)
        if self.requires_user and not self.authenticated:
            self.tasks.append(asyncio.ensure_future(self._auth_deadline()))
            return
        await self._ready()

    async def _ready(self) -> None:
        try:
            await self.on_ready()
        except ProtocolError as exc:
            code = (
                CloseCode.NOT_AUTHENTICATED
                if exc.code == ErrorCode.UNAUTHORIZED and not self.authenticated
                else CloseCode.FORBIDDEN
            )
            self.queue_close(code, exc.message, exc.code)

    async def on_ready(self) -> None:
        """Called once the socket has its user (subclasses join their rooms here)."""

    async def disconnect(self, code: int) -> None:
        await self._cleanup(code)

    async def _cleanup(self, code: int | None) -> None:
        """Leave rooms, presence and stats; runs once however the socket ended."""
        if not hasattr(self, "tasks") or self.cleaned:
            return
        self.cleaned = True
        self.closing = self.finished = True
        rooms = list(self.rooms)
        try:
            for task in self.tasks:
                task.cancel()
            if isinstance(self.write_task, asyncio.Task):
                self.write_task.cancel()
            hub = get_hub()
            hub.heartbeats.discard(self)
            for room in rooms:
                await hub.unsubscribe(room, self)
            for state in self.rooms.values():
                state.sent = None  # nothing more of any room goes out
            await self.on_disconnected()
        finally:
            if self.counted:
                self.counted = False
                stats.closed(self.socket_name)
                self._release_address()
            if self.close_code is None:
                self.close_code = code if code is not None else 1006
                self.close_reason = "client closed" if code is not None else "dropped"
            self.log(
                logging.INFO,
                "socket closed",
                "socket.closed",
                close_code=self.close_code,
                close_reason=self.close_reason,
                rooms=rooms,
                duration_ms=int((time.monotonic() - self.opened_at) * 1000),
                frames_in=self.frames_in,
                frames_out=self.frames_out,
            )

    async def on_disconnected(self) -> None:
        """Called after the socket closed and left its rooms."""

    def queue_close(self, code: int, message: str, error: str) -> None:
        """Send an error frame, then close with `code` once the queue has drained to it."""
        if self.closing:
            return
        self.closing = True
        self.close_code, self.close_reason = code, message
        metrics.ERRORS.labels(str(code)).inc()
        self.send_frame(events.ERROR, events.error_data(error, message))
        self.enqueue(Close(code))

    # -- logs ------------------------------------------------------------------

    def log(self, level: int, message: str, event: str, **fields: Any) -> None:
        """One structured line about this socket (never a token or a frame's content)."""
        if not socket_log.isEnabledFor(level):
            return
        user: Any = getattr(self, "user", None)
        fields.update(
            event=event,
            connection_id=self.connection_id,
            user_id=user.pk if getattr(user, "is_authenticated", False) else None,
            address=self.address,
            path=self.scope.get("path"),
        )
        socket_log.log(level, message, extra=fields)

    def limit_hit(self, limit: str) -> None:
        self.log(logging.WARNING, "limit hit", "limit.hit", limit=limit)

    # -- auth and heartbeats -------------------------------------------------

    async def _auth_deadline(self) -> None:
        await asyncio.sleep(self.conf["AUTH_TIMEOUT"])
        if not self.authenticated:
            self.queue_close(
                CloseCode.NOT_AUTHENTICATED,
                "Authentication required",
                ErrorCode.UNAUTHORIZED,
            )

    async def handle_auth(self, data: dict[str, Any], ref: str | None) -> None:
        token = data.get("token")
        if not isinstance(token, str) or not token:
            raise ProtocolError(ErrorCode.VALIDATION_ERROR, "auth needs data.token")
        try:
            user = await token_user(token)
        except InvalidToken as exc:
            self.queue_close(
                CloseCode.NOT_AUTHENTICATED,
                f"Invalid token: {exc}",
                ErrorCode.UNAUTHORIZED,
            )
            return
        first = not self.authenticated
        self.user, self.authenticated = user, True
        self.scope["user"] = user
        self.send_frame(events.AUTH_SUCCESS, {"user": user_summary(user)}, ref)
        if first and self.requires_user:
            await self._ready()

    def heartbeat_tick(self, now: float, beat: str) -> None:
        """From the process's heartbeat loop: beat when due, close on a missed ack."""
        if self.closing:
            return
        if self.ack_deadline is not None and now >= self.ack_deadline:
            self.queue_close(
                CloseCode.HEARTBEAT_TIMEOUT,
                "Heartbeat timeout",
                ErrorCode.CONNECTION_FAILED,
            )
            return
        if now >= self.beat_at:
            self.beat_at = now + self.conf["HEARTBEAT_INTERVAL"]
            if self.write_task is None and not self.send_queue:
                # The beat goes out now: its ack is due from now.
                if self.ack_deadline is None:
                    self.ack_deadline = now + self.conf["HEARTBEAT_TIMEOUT"]
                self.enqueue(Text(beat))
            else:
                # Frames wait ahead of it: the ack is due from when it is sent,
                # so no socket is closed for a beat it has not received yet.
                self.enqueue(Call(functools.partial(self._send_beat, beat)))
            if type(self).on_heartbeat is not RealtimeConsumer.on_heartbeat:
                run_detached(self.on_heartbeat())

    async def _send_beat(self, beat: str) -> None:
        await self._out(beat)
        if self.ack_deadline is None:
            self.ack_deadline = time.monotonic() + self.conf["HEARTBEAT_TIMEOUT"]

    async def on_heartbeat(self) -> None:
        """Called each heartbeat (presence refresh and the like)."""

    async def handle_heartbeat_ack(self, data: dict[str, Any], ref: str | None) -> None:
        self.ack_deadline = None

    async def handle_ping(self, data: Any, ref: str | None) -> None:
        self.send_frame(events.PONG, data, ref)

    async def handle_typed_ping(self, data: Any, ref: str | None) -> None:
        """The WebSocket guide's `{"type": "ping"}`: its client waits for `type: "pong"`."""
        self.enqueue(Text(events.typed_pong_text(ref)))
