"""The Socket.IO gateway (PROTOCOL section 10) for clients of the original services.

The original event names, payload fields and verbs are registered by the apps
(`realtime/socketio_dialect.py`); this module knows no room type or event.

python-socketio serves `/socket.io/` (Engine.IO 4, polling and websocket);
everything else goes to the Channels application. Each Socket.IO session is a
`SocketIOConnection`: the same protocol object as a native socket (rooms,
join rules, replay by `lastSeq`, limits, heartbeats, error codes), whose
frames leave in the original dialect instead of as JSON text. Room events
come from the same per-process hub as the native sockets, so the gateway
keeps no cross-process state and needs no Socket.IO Redis manager.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable
from typing import Any

import engineio
import engineio.async_socket
import engineio.packet
import socketio
from django.conf import settings
from engineio.payload import Payload
from socketio import packet as sio_packet

from realtime import events, jsonsafe, stats
from realtime import socketio_recovery as recovery
from realtime.auth import (
    InvalidToken,
    ServiceUnavailable,
    origin_allowed,
    query_param,
    request_host,
    session_user,
    token_user,
)
from realtime.body_limit import declared_length, respond
from realtime.consumers import RealtimeConsumer
from realtime.errors import CloseCode, ErrorCode, ProtocolError
from realtime.jsonsafe import BadJSON
from realtime.rooms import parse_room
from realtime.socketio_dialect import DIALECT, JOIN_REPLY_ALIASES
from realtime.writer import run_detached

logger = logging.getLogger(__name__)

# Events a client sends that get no reply (an acknowledgement is called at once).
NO_REPLY = {"heartbeat_ack"}
ACK_TIMEOUT = 10.0


class _FrameCache:
    """Frames decoded once per process: every session gets the same text object.

    Room events (no `ref`, the same for every session) also keep their
    encoded Socket.IO packets, so fan-out encodes once, not once per session.
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.items: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.packets: OrderedDict[str, list[str]] = OrderedDict()
        self.with_offset: OrderedDict[str, list[str]] = OrderedDict()

    def decode(self, text: str) -> dict[str, Any]:
        frame = self.items.get(text)
        if frame is None:
            frame = json.loads(text)
            self._keep(self.items, text, frame)
        return frame

    def packets_for(self, text: str, frame: dict[str, Any]) -> list[str]:
        packets = self.packets.get(text)
        if packets is None:
            # Socket.IO EVENT packets of the default namespace: "2" + JSON array.
            packets = [
                "2"
                + json.dumps([name, *args], separators=(",", ":"), ensure_ascii=False)
                for name, args in emits_for(frame)
            ]
            self._keep(self.packets, text, packets)
        return packets

    def packets_with_offset(self, text: str, frame: dict[str, Any]) -> list[str]:
        """The packets with the offset of a session in this event's room only.

        The offset is the event's last argument: socket.io-client keeps the
        last string argument it got and sends it back when it reconnects.
        """
        packets = self.with_offset.get(text)
        if packets is None:
            offset = json.dumps(
                recovery.encode_offset({frame["room"]: frame["seq"]}),
                ensure_ascii=False,
            )
            packets = [
                f"{packet[:-1]},{offset}]" for packet in self.packets_for(text, frame)
            ]
            self._keep(self.with_offset, text, packets)
        return packets

    def _keep(self, store: OrderedDict[str, Any], key: str, value: Any) -> None:
        store[key] = value
        if len(store) > self.size:
            store.popitem(last=False)


_frames = _FrameCache()


def emits_for(frame: dict[str, Any]) -> list[tuple[str, Any]]:
    """The Socket.IO events (name, args) that stand for one Tidings frame."""
    event, data = frame["event"], frame.get("data")
    room, seq = frame.get("room"), frame.get("seq")
    if room is not None and seq is not None:
        room_type = room.partition(":")[0]
        name, fields = DIALECT.get((room_type, event), (event, None))
        payload = data
        if fields is not None and isinstance(data, dict):
            payload = {new: data.get(old) for new, old in fields.items()}
        return [(name, (payload, {"room": room, "seq": seq}))]
    if event == "join_room_success" and isinstance(data, dict):
        room_type = data.get("roomType")
        alias = (
            JOIN_REPLY_ALIASES.get(room_type) if isinstance(room_type, str) else None
        )
        if alias is not None:
            # The spelling the original screens of that room listen for.
            return [(alias, data), (event, data)]
    return [(event, data)]


class SocketIOConnection(RealtimeConsumer):
    """One Socket.IO session speaking the Tidings protocol.

    Room events leave through the session's Engine.IO socket: on a websocket
    transport written in place like a native socket's (`EngineSocket`), on
    polling through python-engineio's queue. A session with a private id
    (`pid`) is recoverable (realtime/socketio_recovery.py): each room event
    carries the session's offset as its last argument, and its rooms are
    kept under the pid.
    """

    socket_name = "socketio"
    # A refused join answers the seed's code; the specific one is in `reason`.
    failure_codes = {"join_room": ErrorCode.ROOM_JOIN_FAILED}

    def __init__(
        self, server: socketio.AsyncServer, sid: str, scope: dict[str, Any]
    ) -> None:
        super().__init__()
        self.server = server
        self.sid = sid
        self.scope = scope
        self.acks: dict[str, asyncio.Future[Any]] = {}
        self._refs = itertools.count(1)
        self.pid: str | None = None
        self.engine: engineio.async_socket.AsyncSocket | None = None
        self._saving: asyncio.Task[None] | None = None
        self._save_again = False
        self.left = False  # the client sent DISCONNECT (it left on purpose)

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        return None  # the Socket.IO handshake already took place

    def send_text(self, text: str) -> Awaitable[None]:
        return self.send(text_data=text)

    def _engine(self) -> engineio.async_socket.AsyncSocket | None:
        if self.engine is None:
            eio_sid = self.server.manager.eio_sid_from_sid(self.sid, "/")
            self.engine = self.server.eio.sockets.get(eio_sid) if eio_sid else None
        return self.engine

    def offset(self, room: str, seq: int) -> str:
        """Where this session is in each of its rooms, once `room` is at `seq`."""
        positions = {room: seq}
        for name, state in self.rooms.items():
            if name != room and state.sent is not None:
                positions[name] = state.sent
        return recovery.encode_offset(positions)

    async def send(
        self,
        text_data: str | None = None,
        bytes_data: bytes | None = None,
        close: bool = False,
    ) -> None:
        if text_data is None:
            return
        # Replies (with a ref) are this session's own: not worth caching.
        frame = (
            json.loads(text_data)
            if '"ref":' in text_data
            else _frames.decode(text_data)
        )
        ref = frame.get("ref")
        seq = frame.get("seq")
        if ref is None and seq is not None:
            engine = self._engine()
            if engine is None or engine.closed:
                return
            if self.pid is None:
                packets = _frames.packets_for(text_data, frame)
            elif len(self.rooms) == 1:
                # In this one room only: the offset is the event's own, and
                # the packets are the same for every such session.
                packets = _frames.packets_with_offset(text_data, frame)
            else:
                offset = json.dumps(self.offset(frame["room"], seq))
                packets = [
                    f"{packet[:-1]},{offset}]"
                    for packet in _frames.packets_for(text_data, frame)
                ]
            for packet in packets:
                await engine.send_message(packet)
            return
        if ref is not None:
            future = self.acks.pop(ref, None)
            if future is not None and not future.done():
                future.set_result(frame["data"] if frame["event"] == "error" else None)
            frame = {k: v for k, v in frame.items() if k != "ref"}
        for name, args in emits_for(frame):
            await self.server.emit(name, args, to=self.sid)

    def queue_close(self, code: int, message: str, error: str) -> None:
        if code in FINAL_CLOSES:
            message = f"{message}. Disconnected for good: reconnecting will not help"
        super().queue_close(code, message, error)

    async def close(
        self, code: int | bool | None = None, reason: str | None = None
    ) -> None:
        if code in FINAL_CLOSES:
            # A Socket.IO DISCONNECT: socket.io-client does not reconnect.
            await self.server.disconnect(self.sid)
            return
        # Close the transport: socket.io-client reconnects by itself (and
        # recovers the session when it has a pid).
        # In a task of its own: the close ends this session, whose cleanup
        # cancels the writer task this is called from.
        eio_sid = self.server.manager.eio_sid_from_sid(self.sid, "/")
        if eio_sid is not None:
            run_detached(self.server.eio.disconnect(eio_sid))

    async def event(self, event: str, data: Any) -> Any:
        """A client event; returns what the acknowledgement gets (None or the error)."""
        self.frames_in += 1
        if event in NO_REPLY:
            await self.receive_envelope({"event": event, "data": data})
            return (None,)
        ref = f"sio-{next(self._refs)}"
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.acks[ref] = future
        await self.receive_envelope({"event": event, "data": data, "ref": ref})
        try:
            error = await asyncio.wait_for(future, ACK_TIMEOUT)
        except TimeoutError:
            error = None
        finally:
            self.acks.pop(ref, None)
        # A one-element tuple makes python-socketio send the ack as (null) or (error).
        return (error,)

    # -- connection state recovery -------------------------------------------------

    async def recover(self, rooms: dict[str, int], offset: Any) -> None:
        """Rejoin a dropped session's rooms from where the client got to, then say so."""
        positions = recovery.parse_offset(offset)
        restored = 0
        for room, start in rooms.items():
            if self.closing:
                return
            try:
                room_type, ident = parse_room(room)
                await self.join(room_type, room, ident, positions.get(room, start))
                restored += 1
            except ProtocolError as exc:
                self.send_error(
                    ErrorCode.ROOM_JOIN_FAILED, exc.message, reason=exc.code
                )
        stats.reconnected()
        self.send_frame(
            events.RECONNECT_SUCCESS,
            {
                "message": f"Reconnected; {restored} room(s) restored",
                "timestamp": events.now_iso(),
            },
        )

    async def join(
        self, room_type: Any, room: str, ident: str | None, last_seq: int | None
    ) -> Any:
        result = await super().join(room_type, room, ident, last_seq)
        self._save_rooms()
        return result

    async def leave(self, room: str) -> None:
        await super().leave(room)
        self._save_rooms()

    def _save_rooms(self) -> None:
        """Keep this session's rooms under its pid (one write at a time, the last wins)."""
        if self.pid is None:
            return
        if self._saving is not None:
            self._save_again = True
            return
        self._saving = asyncio.ensure_future(self._save_loop())

    async def _save_loop(self) -> None:
        try:
            while self.pid is not None and not self.cleaned:
                self._save_again = False
                rooms = {
                    room: state.start
                    for room, state in self.rooms.items()
                    if state.start is not None
                }
                await recovery.save(self.pid, self.user, rooms)
                if not self._save_again:
                    return
        except Exception:
            logger.warning("could not keep a Socket.IO session's rooms", exc_info=True)
        finally:
            self._saving = None

    async def on_heartbeat(self) -> None:
        if self.pid is not None:
            await recovery.touch(self.pid)

    async def ended(self) -> None:
        """After the session ended: recoverable unless it ended for good."""
        if self.pid is None:
            return
        final = self.left or self.close_code in FINAL_CLOSES
        try:
            if final:
                await recovery.forget(self.pid)
            else:
                await recovery.dropped(self.pid)
        except Exception:
            logger.warning("could not keep a Socket.IO session", exc_info=True)


# Closes after which reconnecting cannot help: sent as a Socket.IO DISCONNECT.
FINAL_CLOSES = frozenset({CloseCode.NOT_AUTHENTICATED, CloseCode.FORBIDDEN})


async def _scope_user(scope: dict[str, Any], auth: Any) -> Any:
    """`auth: {token}`, then `?token=`, then the session cookie."""
    token = auth.get("token") if isinstance(auth, dict) else None
    token = token or query_param(scope, "token")
    if token:
        return await token_user(token)
    return await session_user(scope)


class EngineSocket(engineio.async_socket.AsyncSocket):  # type: ignore[misc]
    """python-engineio's session, whose websocket packets are written in place.

    python-engineio queues every packet and wakes a writer task per session
    to send it: with 1,000 sessions an event costs 1,000 task wake-ups
    (docs/performance.md, "The Socket.IO gateway"). Here a packet to a
    websocket session with nothing queued and nothing being written goes
    straight to the websocket, as a native socket's frame does; otherwise it
    waits in python-engineio's queue behind the others, so packets never
    overtake one another. Polling sessions keep python-engineio's path.
    """

    ws: Any = None
    # Packets being written by python-engineio's writer task, and in place.
    writer_busy = False
    writing = False

    async def _websocket_handler(self, ws: Any) -> Any:
        self.ws = ws
        try:
            return await super()._websocket_handler(ws)
        finally:
            self.ws = None

    async def poll(self) -> list[Any]:
        # python-engineio's writer task writes what poll() returns before it
        # polls again: writing from here until the next poll.
        self.writer_busy = False
        packets: list[Any] = await super().poll()
        self.writer_busy = bool(packets)
        return packets

    def _may_write_now(self) -> bool:
        """An upgraded websocket with nothing queued and nothing being written."""
        return not (
            self.ws is None
            or self.writing
            or self.writer_busy
            or self.upgrading
            or not self.upgraded
            or self.closed
            or not self.queue.empty()
        )

    async def _write(self, text: str) -> None:
        self.writing = True
        try:
            await self.ws.send(text)
        finally:
            self.writing = False

    async def send_message(self, data: str) -> None:
        """A MESSAGE packet (a Socket.IO packet): the fan-out's hot path."""
        if self.last_ping or not self._may_write_now():
            # Queued, or a ping is unanswered (python-engineio checks its timeout).
            await self.send(engineio.packet.Packet(engineio.packet.MESSAGE, data))
            return
        await self._write("4" + data)

    async def send(self, pkt: Any) -> None:
        if not self._may_write_now():
            await super().send(pkt)
            return
        if await self.check_ping_timeout():
            await self._write(pkt.encode())


class EngineServer(engineio.AsyncServer):  # type: ignore[misc]
    """python-engineio's server, whose disconnect never waits for a poll.

    Closing a polling session used to wait until the client fetched the
    CLOSE packet; when python-engineio closes a session inside the handling
    of a POST (an invalid packet), no poll may ever come and the POST was
    never answered. The CLOSE packet is still queued for a poll already
    waiting, and the websocket transport still sends it, then closes: the
    client sees its transport close and reconnects by itself.
    """

    async def disconnect(self, sid: str | None = None) -> None:
        """Close one session (`sid`) or all of them, without waiting for polls."""
        sids = list(self.sockets) if sid is None else [sid]
        for one in sids:
            socket = self.sockets.get(one)
            if socket is not None:
                await socket.close(wait=False, reason=self.reason.SERVER_DISCONNECT)
                # Over a websocket, socket.io-client ignores the CLOSE packet:
                # end the writer, which closes the websocket itself.
                socket.queue.put_nowait(None)
                self.sockets.pop(one, None)


class _StrictJSON:
    """What `GatewayPacket` parses and writes JSON with: `jsonsafe.loads` in."""

    loads = staticmethod(jsonsafe.loads)
    dumps = staticmethod(json.dumps)


class GatewayPacket(sio_packet.Packet):  # type: ignore[misc]
    """A Socket.IO packet whose JSON is parsed by the strict client parser."""

    json = _StrictJSON


class BadPacket(Exception):
    """A client packet the gateway refuses; `id` is its acknowledgement id, if any."""

    def __init__(self, code: ErrorCode, message: str, id: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.id = id


# Event names python-socketio keeps for itself (and its catch-all handler).
RESERVED_EVENTS = frozenset({"connect", "connect_error", "disconnect", "*"})


def decode_packet(data: str | bytes) -> sio_packet.Packet:
    """A client packet of the default dialect, or BadPacket saying what is wrong."""
    if not isinstance(data, str):
        raise BadPacket(
            ErrorCode.VALIDATION_ERROR, "Binary packets are not supported; send JSON"
        )
    pkt = GatewayPacket()
    pkt.id = None
    try:
        attachments = pkt.decode(data)
    except BadJSON as exc:
        raise BadPacket(ErrorCode.VALIDATION_ERROR, str(exc), pkt.id) from None
    except (ValueError, TypeError, IndexError):
        raise BadPacket(
            ErrorCode.VALIDATION_ERROR, "Malformed Socket.IO packet", pkt.id
        ) from None
    kind = pkt.packet_type
    if attachments or kind in (sio_packet.BINARY_EVENT, sio_packet.BINARY_ACK):
        raise BadPacket(
            ErrorCode.VALIDATION_ERROR,
            "Binary packets are not supported; send JSON",
            pkt.id,
        )
    if kind == sio_packet.EVENT:
        if not isinstance(pkt.data, list) or not pkt.data:
            raise BadPacket(
                ErrorCode.VALIDATION_ERROR,
                "An event must be a JSON array: [name, data]",
                pkt.id,
            )
        name = pkt.data[0]
        if not isinstance(name, str) or not name:
            raise BadPacket(
                ErrorCode.VALIDATION_ERROR,
                "An event name must be a non-empty string",
                pkt.id,
            )
        if name in RESERVED_EVENTS:
            raise BadPacket(ErrorCode.UNKNOWN_EVENT, f"Unknown event '{name}'", pkt.id)
    elif kind == sio_packet.ACK:
        if not isinstance(pkt.data, list):
            raise BadPacket(
                ErrorCode.VALIDATION_ERROR, "An ack must be a JSON array", pkt.id
            )
    elif kind == sio_packet.CONNECT:
        if pkt.data is not None and not isinstance(pkt.data, dict):
            raise BadPacket(
                ErrorCode.VALIDATION_ERROR, "CONNECT data must be a JSON object"
            )
    elif kind != sio_packet.DISCONNECT:
        raise BadPacket(ErrorCode.VALIDATION_ERROR, "Unknown packet type", pkt.id)
    return pkt


class GatewayServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server on `EngineServer`, answering bad packets with errors.

    python-socketio drops a packet it cannot decode or dispatch with a
    traceback in the log and nothing for the client. Here every client packet
    is parsed by the strict parser and checked first; one that is not valid
    gets an `error` event (and its acknowledgement, when it asked for one)
    with the code a native socket would get, and counts toward the rate
    limit. Binary packets are refused, so no attachments are ever collected.
    """

    connections: dict[str, SocketIOConnection]

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return EngineServer

    async def _handle_eio_connect(self, eio_sid: str, environ: Any) -> Any:
        # python-engineio makes its session objects itself: make this one an
        # EngineSocket (the same object, plus in-place websocket writes).
        engine = self.eio.sockets.get(eio_sid)
        if engine is not None and type(engine) is engineio.async_socket.AsyncSocket:
            engine.__class__ = EngineSocket
        return await super()._handle_eio_connect(eio_sid, environ)

    async def _send_packet(self, eio_sid: str, pkt: Any) -> None:
        if pkt.packet_type == sio_packet.CONNECT and isinstance(pkt.data, dict):
            # The CONNECT reply carries the session's private id (recovery).
            connection = self.connections.get(str(pkt.data.get("sid")))
            if connection is not None and connection.pid is not None:
                pkt.data["pid"] = connection.pid
        await super()._send_packet(eio_sid, pkt)

    async def _handle_eio_message(self, eio_sid: str, data: str | bytes) -> None:
        try:
            pkt = decode_packet(data)
        except BadPacket as bad:
            await self._refuse(eio_sid, bad)
            return
        kind = pkt.packet_type
        if kind == sio_packet.CONNECT:
            await self._handle_connect(eio_sid, pkt.namespace, pkt.data)
        elif kind == sio_packet.DISCONNECT:
            # The client left (`socket.disconnect()`): nothing to recover.
            sid = self.manager.sid_from_eio_sid(eio_sid, "/")
            connection = self.connections.get(sid) if sid is not None else None
            if connection is not None:
                connection.left = True
            await self._handle_disconnect(
                eio_sid, pkt.namespace, self.reason.CLIENT_DISCONNECT
            )
        elif kind == sio_packet.EVENT:
            await self._handle_event(eio_sid, pkt.namespace, pkt.id, pkt.data)
        else:
            await self._handle_ack(eio_sid, pkt.namespace, pkt.id, pkt.data)

    async def _refuse(self, eio_sid: str, bad: BadPacket) -> None:
        sid = self.manager.sid_from_eio_sid(eio_sid, "/")
        connection = self.connections.get(sid) if sid is not None else None
        if connection is None:
            # Not connected yet: the answer a connecting client listens for.
            await self._send_packet(
                eio_sid,
                self.packet_class(
                    sio_packet.CONNECT_ERROR,
                    data=refusal(bad.code, bad.message).error_args,
                ),
            )
            return
        if connection.closing or not connection.take_rate_token(None):
            return
        connection.send_error(bad.code, bad.message)
        if bad.id is not None:
            error = events.error_data(bad.code, bad.message)
            await self._send_packet(
                eio_sid, self.packet_class(sio_packet.ACK, id=bad.id, data=[error])
            )


def refusal(code: str, message: str) -> socketio.exceptions.ConnectionRefusedError:
    """A refused connect: `err.message` is `message`, `err.data` is `{code, message}`."""
    return socketio.exceptions.ConnectionRefusedError(
        message, {"code": code, "message": message}
    )


def _origin_allowed(origin: str | None, environ: dict[str, Any]) -> bool:
    """python-engineio's origin check: the one of the native sockets, on the same Host."""
    headers = environ.get("asgi.scope", {}).get("headers", [])
    return origin_allowed(origin, request_host(headers))


def create_server(connection_class: type[SocketIOConnection]) -> socketio.AsyncServer:
    conf = settings.TIDINGS
    server = GatewayServer(
        async_mode="asgi",
        cors_allowed_origins=_origin_allowed,
        max_http_buffer_size=conf["MAX_FRAME_BYTES"],
        serializer=GatewayPacket,
        logger=False,
        engineio_logger=False,
    )
    connections: dict[str, SocketIOConnection] = {}
    server.connections = connections

    @server.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        scope = environ["asgi.scope"]
        try:
            user = await _scope_user(scope, auth)
        except InvalidToken as exc:
            raise refusal(ErrorCode.UNAUTHORIZED, f"Invalid token: {exc}") from None
        except ServiceUnavailable as exc:
            raise refusal(exc.code, exc.message) from None
        connection = connection_class(
            server, sid, {**scope, "type": "websocket", "user": user}
        )
        # socket.io-client 4.6+ sends back the private id and offset it was given.
        pid = auth.get("pid") if isinstance(auth, dict) else None
        rooms = await recovery.take(pid, user) if pid is not None else None
        if recovery.max_duration() > 0:
            connection.pid = pid if rooms is not None else recovery.new_pid()
        connections[sid] = connection
        await connection.connect()
        if rooms is not None and not connection.closing:
            await connection.recover(rooms, auth.get("offset"))
        elif connection.pid is not None:
            connection._save_rooms()

    @server.event
    async def disconnect(sid: str, reason: Any = None) -> None:
        connection = connections.pop(sid, None)
        if connection is not None:
            await connection.disconnect(1000)
            await connection.ended()

    @server.on("*")
    async def any_event(event: str, sid: str, *args: Any) -> Any:
        connection = connections.get(sid)
        if connection is None:
            return None
        return await connection.event(event, args[0] if args else {})

    return server


class _ClientGone(Exception):
    """The client disconnected while its request body was being read."""


async def _read_body(receive: Any, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


# Engine.IO packet types a polling client sends: close, pong, message, upgrade
# (ping too, which python-engineio refuses by closing the session).
CLIENT_PACKET_TYPES = frozenset("12345")


def payload_error(body: bytes) -> str | None:
    """Why a polling payload cannot be decoded, or None when it can.

    python-engineio answers these with 200 and a traceback in the log (bad
    UTF-8, an empty packet, an unknown type, too many packets, bad base64).
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "Payload is not UTF-8"
    if not text:
        return None
    if text.startswith("d="):
        return "JSONP payloads are not supported"
    packets = text.split("\x1e")
    if len(packets) > Payload.max_decode_packets:
        return f"More than {Payload.max_decode_packets} packets in a payload"
    for encoded in packets:
        if encoded[:1] == "b":
            try:
                base64.b64decode(encoded[1:])
            except ValueError:
                return "Malformed base64 packet"
        elif encoded[:1] not in CLIENT_PACKET_TYPES:
            return "Malformed packet"
    return None


def limit_polling_body(gateway: Any, limit: int) -> Any:
    """Refuse a polling POST over `limit` bytes at once with 413, a malformed one with 400.

    python-engineio compares Content-Length with `max_http_buffer_size` and
    then closes the session waiting for the client to poll its CLOSE packet:
    the POST was never answered (its connection stayed in CLOSE-WAIT and held
    up a graceful shutdown), and a chunked body was not read at all. Here a
    declared length over the limit is answered before the body is read, a
    chunked body is counted as it arrives, and what passes reaches
    python-engineio whole, with its length.
    """

    async def guard(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await gateway(scope, receive, send)
            return
        declared = declared_length(scope)
        if declared == -1:
            await respond(send, 400, "Invalid Content-Length")
            return
        if declared is not None and declared > limit:
            await respond(send, 413, f"Payload larger than {limit} bytes")
            return
        try:
            body = await _read_body(receive, limit)
        except _ClientGone:
            return
        if body is None:
            await respond(send, 413, f"Payload larger than {limit} bytes")
            return
        error = payload_error(body)
        if error is not None:
            await respond(send, 400, error)
            return
        headers = [
            (name, value)
            for name, value in scope.get("headers", [])
            if name.lower() not in (b"content-length", b"transfer-encoding")
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return dict(await receive())

        await gateway({**scope, "headers": headers}, replay, send)

    return guard


def wrap(
    channels_app: Any, lifespan: Any, connection_class: type[SocketIOConnection]
) -> Any:
    """`/socket.io/` to the gateway, everything else (and the lifespan) to Channels."""
    server = create_server(connection_class)
    gateway = limit_polling_body(
        socketio.ASGIApp(server, socketio_path="socket.io"),
        int(settings.TIDINGS["MAX_FRAME_BYTES"]),
    )

    # Native sockets straight to their application, past Channels' protocol
    # router: an open socket keeps every frame of its call chain.
    websocket_app = getattr(channels_app, "application_mapping", {}).get(
        "websocket", channels_app
    )

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The ASGI application; `app.socketio_server` is the gateway's server."""
        if scope["type"] == "lifespan":
            await lifespan(scope, receive, send)
        elif scope["type"] in ("http", "websocket") and _is_gateway(scope["path"]):
            await gateway(scope, receive, send)
        elif scope["type"] == "websocket":
            await websocket_app(scope, receive, send)
        else:
            await channels_app(scope, receive, send)

    # A server runner may close every session at the start of a shutdown
    # (`await app.socketio_server.eio.disconnect()`): waiting polls are then
    # answered at once instead of holding the shutdown up to the poll timeout.
    app.socketio_server = server  # type: ignore[attr-defined]
    return app


def _is_gateway(path: str) -> bool:
    return path == "/socket.io" or path.startswith("/socket.io/")
