"""The base consumer: envelope, limits, rooms with replay, heartbeats (PROTOCOL 2-7).

Subclasses name their socket, say whether it needs a user, and add client
events to `events`. Every outgoing frame goes through one queue drained by a
writer task, so replay, live room events and replies leave in a fixed order.
"""

from __future__ import annotations

import asyncio
import bisect
import contextvars
import logging
import time
import types
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any, ClassVar

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from realtime import events, health, jsonsafe, metrics, runtime, stats
from realtime.auth import InvalidToken, query_param, user_from_token, user_summary
from realtime.errors import CloseCode, DomainError, ErrorCode, ProtocolError
from realtime.hub import get_hub
from realtime.outbox import encode
from realtime.rooms import RoomType, resolve
from realtime.selectors import ResyncRequired, current_seq, events_after

logger = logging.getLogger(__name__)
# One structured line per socket opened and closed, refused frame and limit hit.
socket_log = logging.getLogger("tidings.socket")
# Seconds before a catch-up that failed for an outage is tried again.
CATCH_UP_RETRY = 1.0

Handler = Callable[[Any, dict[str, Any], "str | None"], Awaitable[None]]
# Events a socket that still waits for its `auth` message may send.
PRE_AUTH_EVENTS = {"auth", "ping", "heartbeat_ack"}
CLIENT_ALIASES = {"join_kitchen": "join_room"}


# Running heartbeat hooks (held so they are not collected mid-flight).
_hooks: set[asyncio.Task[None]] = set()
# `writer` while a write runs inline in `enqueue` (see `_write_now`).
_WRITING: Any = object()


@types.coroutine
def _resume(coro: Coroutine[Any, Any, bool], waiting: Any) -> Generator[Any, Any, bool]:
    """Go on with a coroutine that was started by hand and is suspended on `waiting`.

    Awaited in a task, it hands `waiting` to the event loop and then drives
    `coro` to its end, passing on every value and exception (cancellation too),
    as `await` would have done from the start.
    """
    while True:
        try:
            sent = yield waiting
        except BaseException as exc:
            try:
                waiting = coro.throw(exc)
            except StopIteration as done:
                return bool(done.value)
            continue
        try:
            waiting = coro.send(sent)
        except StopIteration as done:
            return bool(done.value)


class _Address:
    """One client address's open sockets and message budget (a token bucket)."""

    __slots__ = ("at", "sockets", "tokens")

    def __init__(self, now: float, rate: float) -> None:
        self.sockets = 0
        self.tokens = rate
        self.at = now

    def take(self, now: float, rate: float) -> bool:
        self.tokens = min(rate, self.tokens + (now - self.at) * rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


# Per process: address -> its sockets and budget, while it has open sockets.
_addresses: dict[str, _Address] = {}


class JoinResult:
    """Filled in by the writer once the join's replay ran."""

    replayed = 0


class RealtimeConsumer(AsyncWebsocketConsumer):
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
        "auth": "handle_auth",
    }
    _handler_table: ClassVar[dict[str, str]]
    # Rooms whose catch-up waits for a dependency to come back.
    retrying: set[str] | None = None

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
        try:
            await super().__call__(scope, receive, send)
        finally:
            # The server dropped the application without websocket.disconnect
            # (cancelled, or its receive failed): clean up all the same.
            await asyncio.shield(self._cleanup(None))

    async def dispatch(self, message: dict[str, Any]) -> None:
        try:
            await super().dispatch(message)
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
            self.enqueue(("close", self.close_code or CloseCode.INTERNAL_ERROR))
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
        self.finished = False  # the close was sent: nothing more goes out
        self.close_code: int | None = None
        self.close_reason = ""
        self.frames_in = self.frames_out = 0
        client = self.scope.get("client")
        self.address: str | None = client[0] if client else None
        self.user = self.scope.get("user")
        self.joined: dict[str, int] = {}  # room -> last seq sent
        # room -> the seq after which this socket's coverage of the room starts
        self.starts: dict[str, int] = {}
        self.room_types: dict[str, tuple[RoomType, str | None]] = {}
        # Frames waiting for the writer, which runs only while there are some:
        # an idle socket holds no task and no queue object (memory per socket).
        self.outbox: deque[Any] | None = None
        self.writer: asyncio.Task[None] | None = None
        self.pending_events = 0
        self.closing = False
        # Times of the messages inside the rate window (a short list for the
        # quiet sockets that are most of them).
        self.rate: list[float] = []
        self.refused = 0
        now = time.monotonic()
        self.beat_at = now + conf["HEARTBEAT_INTERVAL"]
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
        rooms = list(self.room_types)
        try:
            for task in self.tasks:
                task.cancel()
            if isinstance(self.writer, asyncio.Task):
                self.writer.cancel()
            hub = get_hub()
            hub.heartbeats.discard(self)
            for room in rooms:
                await hub.unsubscribe(room, self)
            self.joined.clear()
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
        self.enqueue(("close", code))

    # -- logs and per-address limits ------------------------------------------

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

    def _address_entry(self) -> _Address | None:
        if self.address is None:
            return (
                None  # a server that does not say (unix socket): no per-address limits
            )
        entry = _addresses.get(self.address)
        if entry is None:
            entry = _addresses[self.address] = _Address(
                time.monotonic(), self.conf["ADDRESS_RATE_LIMIT"]
            )
        return entry

    def _release_address(self) -> None:
        entry = _addresses.get(self.address) if self.address is not None else None
        if entry is not None:
            entry.sockets -= 1
            if entry.sockets <= 0:
                del _addresses[self.address]  # type: ignore[arg-type]

    # -- sending -----------------------------------------------------------

    @staticmethod
    def frame_text(event: str, data: Any, ref: str | None = None) -> str:
        """The encoded control frame `{event, data, ref?}`."""
        frame: dict[str, Any] = {"event": event, "data": data}
        if ref is not None:
            frame["ref"] = ref
        return encode(frame)

    def send_frame(self, event: str, data: Any, ref: str | None = None) -> None:
        self.enqueue(("text", self.frame_text(event, data, ref)))

    def send_error(self, code: str, message: str, ref: str | None = None) -> None:
        metrics.ERRORS.labels(code).inc()
        self.log(logging.INFO, "frame refused", "frame.refused", error_code=code)
        self.send_frame(events.ERROR, events.error_data(code, message), ref)

    def deliver(self, room: str, seq: int | None, event: str, text: str) -> None:
        """A live room event from the hub (never blocks; a full queue means a slow client)."""
        if self.closing:
            return
        self.pending_events += 1
        if self.pending_events > self.conf["SEND_QUEUE_MAX"]:
            metrics.SLOW_CLIENTS.inc()
            self.limit_hit("send_queue")
            # Drop what waits (the client resumes by replay after reconnecting)
            # and close right after the frame being written now, if any.
            self.outbox = None
            self.pending_events = 0
            self.queue_close(
                CloseCode.TRY_AGAIN_LATER,
                "Too far behind: reconnect and resume with lastSeq",
                ErrorCode.CONNECTION_FAILED,
            )
            return
        self.enqueue(("event", room, seq, text))

    def catch_up_later(self, room: str) -> None:
        """From the hub: this room has stored events that never arrived live."""
        if not self.closing and room in self.joined:
            self.enqueue(("catchup", room))

    def after_queue(self, action: Callable[[], Awaitable[None]]) -> None:
        """Run `action` in the writer, after every frame queued so far."""
        self.enqueue(("call", action))

    def send_text(self, text: str) -> Awaitable[None]:
        """Send one text frame straight to the ASGI server (fan-out's hot path)."""
        return self.base_send({"type": "websocket.send", "text": text})

    def _out(self, text: str) -> Awaitable[None]:
        """Every frame the writer sends, counted."""
        self.frames_out += 1
        return self.send_text(text)

    def enqueue(self, item: tuple[Any, ...]) -> None:
        if self.finished:
            return  # closed: nothing more goes out
        if self.writer is None and not self.outbox:
            self._write_now(item)
            return
        if self.outbox is None:
            self.outbox = deque()
        self.outbox.append(item)
        if self.writer is None:
            self.writer = asyncio.ensure_future(self._write())

    def _write_now(self, item: tuple[Any, ...]) -> None:
        """Write to an idle socket at once, with no task, unless the write must wait.

        Sending a frame to a socket whose transport takes it never suspends,
        so the write runs to its end right here (the hub fans one event out
        to every socket this way, like `websockets.broadcast`). A write that
        does suspend (a full transport, a replay reading the database) is
        finished by the writer task, and frames queued meanwhile follow it.
        """
        self.writer = _WRITING  # frames enqueued while this runs go after it
        write = self._write_one(item)
        # A context of its own, as a task would have (sync_to_async keeps
        # state in context variables); the task that finishes it goes on in it.
        context = contextvars.copy_context()
        try:
            waiting = context.run(write.send, None)
        except StopIteration as done:
            self.writer = None
            if done.value is False:
                self.outbox = None
            elif self.outbox:
                self.writer = asyncio.ensure_future(self._write())
            return
        except BaseException:
            self.writer = None
            raise
        self.writer = asyncio.get_running_loop().create_task(
            self._write(_resume(write, waiting)), context=context
        )

    async def _write(self, first: Awaitable[bool] | None = None) -> None:
        try:
            if first is not None and not await first:
                return
            while self.outbox:
                if not await self._write_one(self.outbox.popleft()):
                    return
        finally:
            self.writer = None
            if not self.outbox:
                self.outbox = None  # an idle socket keeps no queue

    async def _write_one(self, item: tuple[Any, ...]) -> bool:
        """Send one queued item; False once the socket is closed."""
        kind = item[0]
        try:
            if kind == "text":
                await self._out(item[1])
            elif kind == "event":
                self.pending_events -= 1
                await self._send_room_event(item[1], item[2], item[3])
            elif kind == "call":
                await item[1]()
            elif kind == "catchup":
                if item[1] in self.joined:
                    await self._catch_up(item[1])
            elif kind == "close":
                self.outbox = None
                self.finished = True
                try:
                    await self.close(code=item[1])
                finally:
                    # Done with this socket: clean up now, not only once (if
                    # ever) the server reports the disconnect.
                    task = asyncio.ensure_future(self._cleanup(item[1]))
                    _hooks.add(task)
                    task.add_done_callback(_hooks.discard)
                return False
        except asyncio.CancelledError:
            raise
        except OSError as exc:
            # The client went away (the server's ClientDisconnected): not an
            # error; websocket.disconnect (or the end of the app) cleans up.
            logger.debug("client gone while writing %s: %r", kind, exc)
            self.outbox = None
            self.closing = self.finished = True
            return False
        except Exception as exc:
            if self.finished:
                return False
            if health.report(exc):
                # The database (or Redis) is away: keep the socket. What this
                # item would have sent is read from history once it is back.
                self._retry_catch_up(item[1] if kind in ("event", "catchup") else None)
                return True
            # What was queued may depend on what failed (a replay, say): drop
            # it, and let the client resume by replay after reconnecting.
            self.outbox = None
            self.fail(f"writer ({kind})")
        return True

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

    async def _send_room_event(self, room: str, seq: int | None, text: str) -> None:
        last = self.joined.get(room)
        if seq is None:
            # A volatile frame (never stored, never replayed): no seq bookkeeping.
            if last is not None:
                await self._out(text)
            return
        if last is None or seq <= last:
            return
        if seq > last + 1:
            # An earlier event is still on its way (or was lost): fetch it first.
            await self._catch_up(room)
            if self.joined.get(room, seq) >= seq:
                return
        await self._out(text)
        self.joined[room] = seq

    async def _catch_up(self, room: str) -> int:
        """Send every stored event after the room's last sent seq; return how many."""
        sent = 0
        while room in self.joined:
            try:
                rows = await database_sync_to_async(events_after)(
                    room, self.joined[room]
                )
            except ResyncRequired as exc:
                room_type, ident = self.room_types[room]
                data = self.room_reply(room_type, room, ident)
                data["seq"] = exc.seq
                await self._out(self.frame_text(events.RESYNC_REQUIRED, data))
                self.joined[room] = exc.seq
                return sent
            if not rows:
                return sent
            for seq, frame in rows:
                await self._out(frame)
                self.joined[room] = seq
                sent += 1
        return sent

    async def _backfill(self, room: str, after: int, upto: int) -> int:
        """Send the stored events in (after, upto], which this socket never sent."""
        sent = 0
        while after < upto and room in self.joined:
            try:
                rows = await database_sync_to_async(events_after)(room, after)
            except ResyncRequired:
                return sent
            rows = [row for row in rows if row[0] <= upto]
            if not rows:
                return sent
            for _seq, frame in rows:
                await self._out(frame)
                sent += 1
            after = rows[-1][0]
        return sent

    # -- receiving ---------------------------------------------------------

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None
    ) -> None:
        self.frames_in += 1
        if self.closing:
            return
        limit = self.conf["MAX_FRAME_BYTES"]
        size = len(bytes_data) if bytes_data is not None else len(text_data or "")
        if size > limit or (
            size * 4 > limit
            and len((text_data or "").encode("utf-8", "replace")) > limit
        ):
            self.limit_hit("frame_size")
            self.queue_close(
                CloseCode.FRAME_TOO_LARGE,
                f"Frame larger than {limit} bytes",
                ErrorCode.VALIDATION_ERROR,
            )
            return
        if bytes_data is not None:
            if self.take_rate_token(None):
                self.send_error(
                    ErrorCode.VALIDATION_ERROR,
                    "Binary frames are not supported; send JSON text",
                )
            return
        try:
            message = jsonsafe.loads(text_data or "")
        except jsonsafe.BadJSON as exc:
            if self.take_rate_token(None):
                self.send_error(ErrorCode.VALIDATION_ERROR, str(exc))
            return
        if isinstance(message, dict) and self._is_batch(message):
            await self._receive_batch(message)
            return
        await self.receive_envelope(message)

    @staticmethod
    def _is_batch(message: dict[str, Any]) -> bool:
        return message.get("event") == "batch" or message.get("type") == "batch"

    async def _receive_batch(self, message: dict[str, Any]) -> None:
        ref = message.get("ref") if isinstance(message.get("ref"), str) else None
        if message.get("event") == "batch":
            data = message.get("data")
            items = data.get("messages") if isinstance(data, dict) else None
        else:
            items = message.get("messages")
        if not isinstance(items, list) or len(items) > self.conf["BATCH_MAX"]:
            if self.take_rate_token(ref):
                self.send_error(
                    ErrorCode.VALIDATION_ERROR,
                    f"batch needs data.messages: a list of at most {self.conf['BATCH_MAX']} envelopes",
                    ref,
                )
            return
        for item in items:
            if self.closing:
                return
            if isinstance(item, dict) and self._is_batch(item):
                if self.take_rate_token(None):
                    self.send_error(ErrorCode.VALIDATION_ERROR, "Batches do not nest")
                continue
            await self.receive_envelope(item)

    def take_rate_token(self, ref: str | None) -> bool:
        """Count one client message; False (after replying or closing) when over a limit.

        Two limits: this socket's messages per window, and its address's
        messages per second across all of the address's sockets.
        """
        now = time.monotonic()
        window, limit = self.conf["RATE_WINDOW"], self.conf["RATE_LIMIT"]
        expired = bisect.bisect_right(self.rate, now - window)
        if expired:
            del self.rate[:expired]
        if len(self.rate) < limit:
            address = _addresses.get(self.address) if self.address else None
            if address is None or address.take(now, self.conf["ADDRESS_RATE_LIMIT"]):
                self.rate.append(now)
                self.refused = 0
                return True
            which = "rate_per_address"
            message = (
                f"More than {self.conf['ADDRESS_RATE_LIMIT']} messages a second "
                "from this address"
            )
        else:
            which = "rate_per_connection"
            message = f"More than {limit} messages in {int(window)} s"
        self.refused += 1
        if self.refused == 1:
            self.limit_hit(which)
        if self.refused > self.conf["RATE_LIMIT_GRACE"]:
            self.queue_close(
                CloseCode.RATE_LIMIT_EXCEEDED,
                "Rate limit exceeded",
                ErrorCode.RATE_LIMITED,
            )
        else:
            self.send_error(ErrorCode.RATE_LIMITED, message, ref)
        return False

    async def receive_envelope(self, message: Any) -> None:
        ref = None
        if isinstance(message, dict) and isinstance(message.get("ref"), (str, int)):
            ref = str(message["ref"])
        if not self.take_rate_token(ref):
            return
        try:
            event, data = self.parse_envelope(message)
            metrics.MESSAGES_IN.labels(
                event if event in self._handler_table else "unknown"
            ).inc()
            await self.dispatch_event(event, data, ref)
        except (ProtocolError, DomainError) as exc:
            self.send_error(exc.code, exc.message, ref)
        except Exception as exc:
            if health.report(exc):  # logged once per outage, not per message
                self.send_error(
                    ErrorCode.CONNECTION_FAILED,
                    "Service temporarily unavailable; try again shortly",
                    ref,
                )
                return
            logger.exception("handler failed")
            self.send_error(ErrorCode.INTERNAL_ERROR, "Internal error", ref)

    def parse_envelope(self, message: Any) -> tuple[str, dict[str, Any]]:
        if not isinstance(message, dict):
            raise ProtocolError(
                ErrorCode.VALIDATION_ERROR, "A frame must be a JSON object"
            )
        if "event" not in message and message.get("type") == "message":
            # Seed chat clients: {"type": "message", "content": "hi"}.
            fields = {k: v for k, v in message.items() if k not in ("type", "ref")}
            return "message", fields
        event = message.get("event")
        if not isinstance(event, str) or not event:
            raise ProtocolError(
                ErrorCode.VALIDATION_ERROR, "'event' must be a non-empty string"
            )
        data = message.get("data", {})
        if data is None:
            data = {}
        if event != "ping" and not isinstance(data, dict):
            raise ProtocolError(
                ErrorCode.VALIDATION_ERROR, "'data' must be a JSON object"
            )
        return CLIENT_ALIASES.get(event, event), data

    async def dispatch_event(self, event: str, data: Any, ref: str | None) -> None:
        name = self._handler_table.get(event)
        if name is None:
            raise ProtocolError(ErrorCode.UNKNOWN_EVENT, f"Unknown event '{event}'")
        if (
            self.requires_user
            and not self.authenticated
            and event not in PRE_AUTH_EVENTS
        ):
            raise ProtocolError(
                ErrorCode.UNAUTHORIZED, "Send 'auth' with a token first"
            )
        await getattr(self, name)(data, ref)

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
            user = await database_sync_to_async(user_from_token)(token)
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
            if self.ack_deadline is None:
                self.ack_deadline = now + self.conf["HEARTBEAT_TIMEOUT"]
            self.enqueue(("text", beat))
            if type(self).on_heartbeat is not RealtimeConsumer.on_heartbeat:
                task = asyncio.ensure_future(self.on_heartbeat())
                _hooks.add(task)
                task.add_done_callback(_hooks.discard)

    async def on_heartbeat(self) -> None:
        """Called each heartbeat (presence refresh and the like)."""

    async def handle_heartbeat_ack(self, data: dict[str, Any], ref: str | None) -> None:
        self.ack_deadline = None

    async def handle_ping(self, data: Any, ref: str | None) -> None:
        self.send_frame(events.PONG, data, ref)

    # -- rooms ---------------------------------------------------------------

    async def join(
        self, room_type: RoomType, room: str, ident: str | None, last_seq: int | None
    ) -> JoinResult:
        """Subscribe, then queue the replay from `last_seq` (or from now) in the writer."""
        result = JoinResult()
        start = self.starts.get(room)
        if start is not None:
            # Already joined: a socket never loses frames it was sent, so only
            # what came before this socket's starting point can be missing.
            if last_seq is not None and last_seq < start:
                self.starts[room] = after = last_seq
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
        self.room_types[room] = (room_type, ident)
        if last_seq is None:
            last_seq = await database_sync_to_async(current_seq)(room)
        start = self.starts[room] = last_seq

        async def catch_up() -> None:
            # Set here, in the writer: live events queued before this point are
            # skipped, and the catch-up below reads them back from history.
            if room not in self.room_types:
                return  # left meanwhile
            self.joined[room] = start
            result.replayed = await self._catch_up(room)

        self.after_queue(catch_up)
        return result

    async def leave(self, room: str) -> None:
        self.joined.pop(room, None)
        self.starts.pop(room, None)
        self.room_types.pop(room, None)
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

    async def handle_join_room(self, data: dict[str, Any], ref: str | None) -> None:
        room_type, room, ident = self.resolve_room(data)
        last_seq = self.parse_last_seq(data)
        await self.join(room_type, room, ident, last_seq)
        reply = self.room_reply(room_type, room, ident)

        async def success() -> None:
            reply.update(seq=self.joined.get(room, 0), message=f"Joined {room}")
            await self._out(
                self.frame_text(events.JOIN_ROOM_SUCCESS, reply, ref or None)
            )

        self.after_queue(success)

    async def handle_leave_room(self, data: dict[str, Any], ref: str | None) -> None:
        room_type, room, ident = self.resolve_room(data)
        if room not in self.room_types:
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
