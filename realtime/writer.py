"""The socket's writer: one send queue, writes in place, and the slow-client cut-off.

Guarantees:
- Every frame a socket sends goes through here, and frames leave in the
  order they were queued: a reply, a replay and the live room events around
  them never overtake one another (a replay or a catch-up runs at its place
  in the queue, and what was queued after it waits).
- A write to an idle socket runs in place, with no task and no queue
  (`_write_now`): the hub hands each event to every socket of a room this
  way, like `websockets.broadcast`. Only a write that has to wait (a full
  transport, a replay reading the history) goes on in a writer task
  (`_drain`), which exists only while something is queued. Measured in
  docs/performance.md ("The fast path, chosen by measurement"): p99 at
  50 events/s to 1,000 sockets went from 267-529 ms to 29-48 ms; and
  ("Idle connections") an idle socket holds no task and no queue.
- Backpressure: a socket more than `SEND_QUEUE_MAX` (`WS_SEND_QUEUE_MAX`)
  room events behind is a slow client. `deliver` cuts it off: what waits is
  dropped and it is closed with 1013 right after the frame being written;
  it resumes by replay and never holds up the others
  (tests/integration/test_slow_client.py shows it on a real server).
- Once the close is sent (or the client is gone), nothing more goes out.
- A write that fails because the database or Redis is away keeps the
  socket: the room is caught up from the history once it is back
  (`RoomMembership._retry_catch_up`). Any other failure ends in the one
  close path (`RealtimeConsumer.fail`).

The hot path is `deliver` -> `_deliver_in_place`: on the project's server
(config/serve.py) a room event for an idle socket is the room's one encoded
frame written to the transport, with no coroutine and no queue item. Where
that cannot be (another ASGI server, compression, a gap to catch up, a full
transport) it is `deliver` -> `_write_now` -> `_write_room_event`, still
with no queue item; an item is made only when a write has to be queued.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import struct
import types
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from realtime import health, metrics
from realtime.errors import CloseCode, ErrorCode

# The socket's parts log under the consumer's name.
logger = logging.getLogger("realtime.consumers")


# -- queue items -------------------------------------------------------------
#
# Built only when a write has to wait; a write in place needs none.


@dataclass(slots=True)
class Text:
    """An encoded frame: a reply, an error, a heartbeat."""

    kind: ClassVar[str] = "text"
    text: str


@dataclass(slots=True)
class RoomEvent:
    """A live room event from the hub; `seq` is None for a volatile one."""

    kind: ClassVar[str] = "event"
    room: str
    seq: int | None
    text: str


@dataclass(slots=True)
class Call:
    """Run `action` in the writer, after every frame queued before it."""

    kind: ClassVar[str] = "call"
    action: Callable[[], Awaitable[None]]


@dataclass(slots=True)
class CatchUp:
    """Send a room's stored events that never arrived live."""

    kind: ClassVar[str] = "catchup"
    room: str


@dataclass(slots=True)
class Close:
    """Close the socket with `code`; nothing goes out after it."""

    kind: ClassVar[str] = "close"
    code: int


QueueItem = Text | RoomEvent | Call | CatchUp | Close


# Tasks started and not awaited (held so they are not collected mid-flight).
_detached: set[asyncio.Task[Any]] = set()


def run_detached(awaitable: Awaitable[Any]) -> None:
    """Run `awaitable` in a task of its own that nobody waits for."""
    task = asyncio.ensure_future(awaitable)
    _detached.add(task)
    task.add_done_callback(_detached.discard)


# `write_task` while a write runs in place (see `_write_now`).
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


_shared: tuple[str, bytes] = ("", b"\x81\x00")


def shared_frame(text: str) -> bytes:
    """`text` as a whole unmasked, uncompressed text frame, as a server sends it.

    Every socket of a room gets the same frame, so the last one made is kept:
    the hub hands the same text object to each socket in turn.
    """
    global _shared
    last, frame = _shared
    if text is last:
        return frame
    data = text.encode()
    size = len(data)
    if size < 126:
        header = bytes((0x81, size))
    elif size < 65536:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    frame = header + data
    _shared = (text, frame)
    return frame


class SocketWriter:
    """The sending part of `RealtimeConsumer` (see the module docstring)."""

    # Frames waiting to be written, and the task writing them: both exist only
    # while something waits (an idle socket holds neither).
    send_queue: deque[QueueItem] | None
    write_task: asyncio.Task[None] | None
    # Room events queued or being written: the measure of a slow client.
    pending_events: int
    finished: bool  # the close was sent: nothing more goes out
    frames_out: int
    write_frame: Callable[[bytes], bool] | None

    if TYPE_CHECKING:
        # From the rest of the socket (realtime/consumers.py, membership.py).
        conf: dict[str, Any]
        closing: bool
        base_send: Callable[[dict[str, Any]], Awaitable[None]]

        async def close(self, code: int | None = None) -> None: ...
        async def _cleanup(self, code: int | None) -> None: ...
        def queue_close(self, code: int, message: str, error: str) -> None: ...
        def fail(self, where: str) -> None: ...
        def limit_hit(self, limit: str) -> None: ...
        async def _send_room_event(
            self, room: str, seq: int | None, text: str
        ) -> None: ...
        async def _catch_up(self, room: str) -> int: ...
        def _retry_catch_up(self, room: str | None) -> None: ...
        def _is_joined(self, room: str) -> bool: ...
        def _room_event_due(self, room: str, seq: int | None) -> bool | None: ...
        def _room_event_sent(self, room: str, seq: int | None) -> None: ...

    def _setup_writer(self) -> None:
        self.send_queue = None
        self.write_task = None
        self.pending_events = 0
        self.finished = False
        self.frames_out = 0
        # The server's `write_frame` (config/serve.py), where it has one and
        # frames go out as they are: room events then skip the ASGI send.
        self.write_frame = None
        if type(self).send_text is SocketWriter.send_text:
            server = getattr(getattr(self, "base_send", None), "__self__", None)
            self.write_frame = getattr(server, "write_frame", None)

    # -- what goes in ------------------------------------------------------

    def deliver(self, room: str, seq: int | None, event: str, text: str) -> None:
        """A live room event from the hub, for each socket of the room: the hot path.

        Never blocks: written in place when nothing waits, queued otherwise.
        Here a slow client (over `SEND_QUEUE_MAX` events behind) is cut off.
        """
        if self.closing:
            return
        self.pending_events += 1
        if self.pending_events > self.conf["SEND_QUEUE_MAX"]:
            self._cut_off()
            return
        if self.write_task is None and not self.send_queue:
            write = self.write_frame
            if write is not None and self._deliver_in_place(write, room, seq, text):
                return
            self._write_now(self._write_room_event(room, seq, text))
            return
        self._queue(RoomEvent(room, seq, text))

    def _deliver_in_place(
        self, write: Callable[[bytes], bool], room: str, seq: int | None, text: str
    ) -> bool:
        """`_send_room_event`'s common case, done at once: True if it is done.

        The event is the next of its room (or volatile, or already sent) and
        the transport takes the frame: the frame the hub's other sockets got
        is written as it is (`shared_frame`), with no coroutine, no ASGI
        message and no encoding per socket. Anything else (a gap to catch up,
        a full transport, a closing socket) takes the full path.
        """
        due = self._room_event_due(room, seq)
        if due is None:
            return False
        if due:
            if not write(shared_frame(text)):
                return False
            self.frames_out += 1
            self._room_event_sent(room, seq)
        self.pending_events -= 1  # sent, or not for this socket
        return True

    def _cut_off(self) -> None:
        """Close a slow client: drop what waits, close after the frame being written."""
        metrics.SLOW_CLIENTS.inc()
        self.limit_hit("send_queue")
        # The client resumes by replay after reconnecting.
        self.send_queue = None
        self.pending_events = 0
        self.queue_close(
            CloseCode.TRY_AGAIN_LATER,
            "Too far behind: reconnect and resume with lastSeq",
            ErrorCode.CONNECTION_FAILED,
        )

    def after_queue(self, action: Callable[[], Awaitable[None]]) -> None:
        """Run `action` in the writer, after every frame queued so far."""
        self.enqueue(Call(action))

    def enqueue(self, item: QueueItem) -> None:
        if self.finished:
            return  # closed: nothing more goes out
        if self.write_task is None and not self.send_queue:
            self._write_now(self._write_item(item))
            return
        self._queue(item)

    def _queue(self, item: QueueItem) -> None:
        if self.send_queue is None:
            self.send_queue = deque()
        self.send_queue.append(item)
        if self.write_task is None:
            self.write_task = asyncio.ensure_future(self._drain())

    # -- what goes out -----------------------------------------------------

    def send_text(self, text: str) -> Awaitable[None]:
        """Send one text frame straight to the ASGI server (fan-out's hot path)."""
        return self.base_send({"type": "websocket.send", "text": text})

    def _out(self, text: str) -> Awaitable[None]:
        """Every frame the writer sends, counted."""
        self.frames_out += 1
        return self.send_text(text)

    def _out_many(self, texts: list[str]) -> Awaitable[None]:
        """Frames of a replay, counted: in one write where the server takes that."""
        self.frames_out += len(texts)
        if type(self).send_text is SocketWriter.send_text:  # frames sent as they are
            server = getattr(self.base_send, "__self__", None)
            send_texts = getattr(server, "send_texts", None)
            if send_texts is not None:
                awaitable: Awaitable[None] = send_texts(texts)
                return awaitable
        return self._send_each(texts)

    async def _send_each(self, texts: list[str]) -> None:
        for text in texts:
            await self.send_text(text)

    def _write_now(self, write: Coroutine[Any, Any, bool]) -> None:
        """Write to an idle socket at once, with no task, unless the write must wait.

        Sending a frame to a socket whose transport takes it never suspends,
        so the write runs to its end right here (the hub fans one event out
        to every socket this way, like `websockets.broadcast`). A write that
        does suspend (a full transport, a replay reading the database) is
        finished by the writer task, and frames queued meanwhile follow it.
        """
        self.write_task = _WRITING  # frames enqueued while this runs go after it
        # A context of its own, as a task would have (sync_to_async keeps
        # state in context variables); the task that finishes it goes on in it.
        context = contextvars.copy_context()
        try:
            waiting = context.run(write.send, None)
        except StopIteration as done:
            self.write_task = None
            if done.value is False:
                self.send_queue = None
            elif self.send_queue:
                self.write_task = asyncio.ensure_future(self._drain())
            return
        except BaseException:
            self.write_task = None
            raise
        self.write_task = asyncio.get_running_loop().create_task(
            self._drain(_resume(write, waiting)), context=context
        )

    async def _drain(self, first: Awaitable[bool] | None = None) -> None:
        """The writer task: finish `first`, then write what is queued, in order."""
        try:
            if first is not None and not await first:
                return
            while self.send_queue:
                item = self.send_queue.popleft()
                # Room events, most of what waits, skip `_write_item`'s dispatch.
                if type(item) is RoomEvent:
                    written = await self._write_room_event(
                        item.room, item.seq, item.text
                    )
                else:
                    written = await self._write_item(item)
                if not written:
                    return
        finally:
            self.write_task = None
            if not self.send_queue:
                self.send_queue = None  # an idle socket keeps no queue

    async def _write_room_event(self, room: str, seq: int | None, text: str) -> bool:
        """Write one room event: from `deliver` in place (no item made) or from the queue."""
        try:
            self.pending_events -= 1
            await self._send_room_event(room, seq, text)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return self._write_failed(exc, RoomEvent.kind, room)
        return True

    async def _write_item(self, item: QueueItem) -> bool:
        """Send one queued item; False once the socket is closed."""
        try:
            match item:
                case Text(text):
                    await self._out(text)
                case Call(action):
                    await action()
                case CatchUp(room):
                    if self._is_joined(room):
                        await self._catch_up(room)
                case Close(code):
                    self.send_queue = None
                    self.finished = True
                    try:
                        await self.close(code=code)
                    finally:
                        # Done with this socket: clean up now, not only once
                        # (if ever) the server reports the disconnect.
                        run_detached(self._cleanup(code))
                    return False
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            at = item.room if isinstance(item, CatchUp) else None
            return self._write_failed(exc, item.kind, at)
        return True

    def _write_failed(self, exc: Exception, kind: str, room: str | None) -> bool:
        """After a write raised `exc` (being handled): False once the socket is done."""
        if isinstance(exc, OSError):
            # The client went away (the server's ClientDisconnected): not an
            # error; websocket.disconnect (or the end of the app) cleans up.
            logger.debug("client gone while writing %s: %r", kind, exc)
            self.send_queue = None
            self.closing = self.finished = True
            return False
        if self.finished:
            return False
        if health.report(exc):
            # The database (or Redis) is away: keep the socket. What this
            # item would have sent is read from history once it is back.
            self._retry_catch_up(room)
            return True
        # What was queued may depend on what failed (a replay, say): drop
        # it, and let the client resume by replay after reconnecting.
        self.send_queue = None
        self.fail(f"writer ({kind})")
        return True
