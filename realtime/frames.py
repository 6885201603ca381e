"""The socket's frames: what a client sends, checked in order, and the envelope going out.

Guarantees (docs/PROTOCOL.md sections 2, 4 and 7):
- A frame larger than `MAX_FRAME_BYTES` closes the socket with 4413; a
  binary frame or bad JSON (`realtime/jsonsafe.py`) gets a
  `VALIDATION_ERROR`; a batch carries at most `BATCH_MAX` envelopes and
  does not nest.
- Every client message (each envelope of a batch, each room of
  `restore_rooms`, a binary or unparsable frame) pays one token from two budgets:
  this socket's `RATE_LIMIT` messages per `RATE_WINDOW`, and its address's
  `ADDRESS_RATE_LIMIT` messages a second across all of the address's
  sockets. Over either it gets `RATE_LIMITED`; after more than
  `RATE_LIMIT_GRACE` refusals in a row it is closed with 4429. An address may hold at most
  `MAX_CONNECTIONS_PER_ADDRESS` sockets (checked on connect).
- A handler never lets an exception out: a protocol or domain error becomes
  an error frame with the message's `ref`, an outage `CONNECTION_FAILED`,
  anything else `INTERNAL_ERROR` (logged).
- A socket that still waits for its user (`requires_user`) handles only
  `auth`, `ping` and `heartbeat_ack`.

The rate window is a short list of times, not a deque: most sockets are
quiet, and an idle socket's memory is what docs/performance.md ("Idle
connections") measures.
"""

from __future__ import annotations

import bisect
import logging
import time
from typing import TYPE_CHECKING, Any, ClassVar

from realtime import events, health, jsonsafe, metrics
from realtime.errors import CloseCode, DomainError, ErrorCode, ProtocolError
from realtime.outbox import encode
from realtime.writer import QueueItem, Text

# The socket's parts log under the consumer's name.
logger = logging.getLogger("realtime.consumers")

# Events a socket that still waits for its `auth` message may send.
PRE_AUTH_EVENTS = {"auth", "ping", "typed_ping", "heartbeat_ack"}
# `{"type": ...}` frames of the seed clients (no `event`) -> the event they stand for.
TYPED_EVENTS = {"message": "message", "auth": "auth", "ping": "typed_ping"}
# Other names clients of the original services use for a client event
# (`join_kitchen` for `join_room`); apps register theirs.
CLIENT_ALIASES: dict[str, str] = {}


def alias_client_event(alias: str, event: str) -> None:
    """Accept `alias` from clients as `event` on every socket."""
    CLIENT_ALIASES[alias] = event


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


class FrameProtocol:
    """The frame part of `RealtimeConsumer` (see the module docstring)."""

    # client event -> method name (built from `events` along the class hierarchy).
    _handler_table: ClassVar[dict[str, str]]
    # client event -> the seed's umbrella code its refusals answer with (the
    # specific code goes in `reason`): `MESSAGE_SEND_FAILED` for a chat send.
    failure_codes: ClassVar[dict[str, str]] = {}
    address: str | None  # the client's address; None if the server does not say
    frames_in: int
    # Times of the messages inside the rate window (a short list for the
    # quiet sockets that are most of them).
    rate: list[float]
    refused: int  # refusals in a row

    if TYPE_CHECKING:
        # From the rest of the socket (realtime/consumers.py, writer.py).
        conf: dict[str, Any]
        scope: dict[str, Any]
        closing: bool
        requires_user: ClassVar[bool]
        authenticated: bool

        def enqueue(self, item: QueueItem) -> None: ...
        def queue_close(self, code: int, message: str, error: str) -> None: ...
        def log(self, level: int, message: str, event: str, **fields: Any) -> None: ...
        def limit_hit(self, limit: str) -> None: ...

    def _setup_frames(self) -> None:
        client = self.scope.get("client")
        self.address = client[0] if client else None
        self.frames_in = 0
        self.rate = []
        self.refused = 0

    # -- the envelope going out ------------------------------------------------

    @staticmethod
    def frame_text(event: str, data: Any, ref: str | None = None) -> str:
        """The encoded control frame `{event, data, ref?}`."""
        frame: dict[str, Any] = {"event": event, "data": data}
        if ref is not None:
            frame["ref"] = ref
        return encode(frame)

    def send_frame(self, event: str, data: Any, ref: str | None = None) -> None:
        self.enqueue(Text(self.frame_text(event, data, ref)))

    def send_error(
        self, code: str, message: str, ref: str | None = None, reason: str | None = None
    ) -> None:
        metrics.ERRORS.labels(code).inc()
        self.log(logging.INFO, "frame refused", "frame.refused", error_code=code)
        self.send_frame(events.ERROR, events.error_data(code, message, reason), ref)

    # -- what comes in ---------------------------------------------------------

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

    async def receive_envelope(self, message: Any) -> None:
        ref = None
        if isinstance(message, dict) and isinstance(message.get("ref"), (str, int)):
            ref = str(message["ref"])
        if not self.take_rate_token(ref):
            return
        event = None
        try:
            event, data = self.parse_envelope(message)
            metrics.MESSAGES_IN.labels(
                event if event in self._handler_table else "unknown"
            ).inc()
            await self.dispatch_event(event, data, ref)
        except (ProtocolError, DomainError) as exc:
            umbrella = self.failure_codes.get(event) if event else None
            if umbrella is not None and umbrella != exc.code:
                self.send_error(umbrella, exc.message, ref, reason=exc.code)
            else:
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
        if "event" not in message and message.get("type") in TYPED_EVENTS:
            # Seed clients: {"type": "message", "content": "hi"} (chat), and the
            # WebSocket guide's {"type": "auth", "token": ...} and {"type": "ping"}.
            fields = {k: v for k, v in message.items() if k not in ("type", "ref")}
            return TYPED_EVENTS[message["type"]], fields
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

    # -- limits ------------------------------------------------------------------

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

    def _address_entry(self) -> _Address | None:
        """This socket's address entry, made on first use (None: no address)."""
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
