"""A minimal WebSocket client for load tests: raw frames over an asyncio Protocol.

One `RawWebSocket` per connection, TCP to 127.0.0.1 only. It sends an
RFC 6455 client handshake (a random Sec-WebSocket-Key; the 101 answer and
its Sec-WebSocket-Accept are checked), masks every frame it sends, and
parses the server's frames in place as they are read: text frames go to a
callback of the connection, pings are answered with pongs, a close is
answered and ends the connection. There is no task per connection and no
task per message, and no extension is offered (no compression).

    conn = await connect("ws://127.0.0.1:8000/ws/")
    first = await conn.recv()          # while setting up: frames are queued
    conn.send_text('{"event":"join"}')
    conn.set_handler(on_text)          # from now on: on_text(payload, at)

`on_text` gets the payload of each text frame as `bytes` and the
`time.monotonic()` at which the chunk holding it was read (CLOCK_MONOTONIC,
comparable between processes of one Linux host).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
import time
from collections import deque
from collections.abc import Callable
from typing import cast
from urllib.parse import urlsplit

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HANDSHAKE = 64 * 1024
MAX_FRAME = 16 * 1024 * 1024

TEXT, BINARY, CLOSE, PING, PONG, CONTINUATION = 1, 2, 8, 9, 10, 0

TextHandler = Callable[[bytes, float], None]

# Every connection of the process reads into this one buffer (`recv_into`,
# no allocation per read); what a read leaves of a frame is kept per
# connection. Reading and parsing never interleave between connections.
READ_BUFFER = memoryview(bytearray(256 * 1024))


class HandshakeError(Exception):
    pass


class ProtocolError(Exception):
    pass


class ConnectionClosed(Exception):
    pass


def accept_for(key: str) -> str:
    """The Sec-WebSocket-Accept a server must answer to `key`."""
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def mask(payload: bytes, key: bytes) -> bytes:
    """`payload` XOR the 4-byte `key`, repeated (RFC 6455 5.3)."""
    if not payload:
        return payload
    size = len(payload)
    repeated = (key * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        size, "big"
    )


def frame(opcode: int, payload: bytes, key: bytes | None = None) -> bytes:
    """One final frame; masked with `key` (4 random bytes when None), as a client must."""
    if key is None:
        key = os.urandom(4)
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return head + key + mask(payload, key)


class RawWebSocket(asyncio.BufferedProtocol):
    """One client connection; see the module's docstring."""

    def __init__(self, host: str, port: int, target: str) -> None:
        self.host, self.port, self.target = host, port, target
        self.key = base64.b64encode(os.urandom(16)).decode()
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.handshaking = True
        self.buf = b""
        # Until a handler is set, text frames wait here for `recv`.
        self.on_text: TextHandler | None = None
        self.inbox: deque[bytes] = deque()
        self.waiter: asyncio.Future[None] | None = None
        # A fragmented text message being put together (rare: servers send
        # small events whole).
        self.fragments: list[bytes] | None = None
        self.close_sent = False
        self.close_code: int | None = None
        self.pongs = 0

    # -- asyncio.BufferedProtocol --

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(
            (
                f"GET {self.target} HTTP/1.1\r\n"
                f"Host: {self.host}:{self.port}\r\n"
                "Upgrade: websocket\r\n"
                "Connection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {self.key}\r\n"
                "Sec-WebSocket-Version: 13\r\n"
                "\r\n"
            ).encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.opened.done():
            self.opened.set_exception(
                exc or HandshakeError("connection closed during the handshake")
            )
        if not self.closed.done():
            self.closed.set_result(None)
        self._wake()

    def get_buffer(self, sizehint: int) -> memoryview:
        return READ_BUFFER

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(READ_BUFFER[:nbytes].tobytes())

    def data_received(self, data: bytes) -> None:
        """Parse the frames in `data`, after what the last read left."""
        if self.handshaking:
            data = self._handshake(data)
            if not data:
                return
        if self.buf:
            data = self.buf + data
            self.buf = b""
        at = time.monotonic()
        on_text = self.on_text
        pos, size = 0, len(data)
        while size - pos >= 2:
            b0 = data[pos]
            length = data[pos + 1]
            if length & 0x80:
                return self._fail("a masked frame from the server")
            if length == 126:
                if size - pos < 4:
                    break
                length = (data[pos + 2] << 8) | data[pos + 3]
                start = pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(data[pos + 2 : pos + 10], "big")
                if length > MAX_FRAME:
                    return self._fail("a frame too large")
                start = pos + 10
            else:
                start = pos + 2
            end = start + length
            if end > size:
                break
            if b0 == 0x81:  # a whole text frame: by far the most common
                if on_text is not None:
                    on_text(data[start:end], at)
                else:
                    self._queue(data[start:end])
            elif b0 & 0x70:
                return self._fail("reserved bits set (no extension was offered)")
            else:
                self._control_or_fragment(b0, data[start:end], at)
                if self.transport is None:
                    return
                on_text = self.on_text
            pos = end
        if pos < size:
            self.buf = data[pos:]

    # -- sending --

    def send_text(self, text: str | bytes) -> None:
        payload = text.encode() if isinstance(text, str) else text
        self._write(frame(TEXT, payload))

    def _write(self, data: bytes) -> None:
        if self.transport is None:
            raise ConnectionClosed(self.close_code)
        if not self.close_sent:  # nothing may follow a close (RFC 6455 5.5.1)
            self.transport.write(data)

    # -- while setting up a connection --

    async def recv(self) -> str:
        """The next text frame, for handshakes before `set_handler`."""
        while not self.inbox:
            if self.transport is None:
                raise ConnectionClosed(self.close_code)
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        return self.inbox.popleft().decode()

    def set_handler(self, on_text: TextHandler) -> None:
        """Hand every text frame to `on_text` from now on, queued ones first."""
        self.on_text = on_text
        at = time.monotonic()
        while self.inbox:
            on_text(self.inbox.popleft(), at)

    async def close(self, code: int = 1000, timeout: float = 5.0) -> None:
        """A close handshake, then the TCP connection is closed."""
        if self.transport is not None and not self.close_sent:
            self.transport.write(frame(CLOSE, struct.pack("!H", code)))
            self.close_sent = True
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), timeout)
        except TimeoutError:
            if self.transport is not None:
                self.transport.abort()

    # -- internals --

    def _handshake(self, data: bytes) -> bytes:
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buf) > MAX_HANDSHAKE:
                self._fail("no end to the handshake answer", handshake=True)
            return b""
        head, rest = self.buf[:end].decode("latin-1"), self.buf[end + 4 :]
        self.buf = b""
        lines = head.split("\r\n")
        status = lines[0].split(" ", 2)
        if len(status) < 2 or status[0] != "HTTP/1.1" or status[1] != "101":
            self._fail(f"answer {lines[0]!r}, not 101", handshake=True)
            return b""
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        problem = None
        if headers.get("upgrade", "").lower() != "websocket":
            problem = "no Upgrade: websocket"
        elif "upgrade" not in headers.get("connection", "").lower():
            problem = "no Connection: upgrade"
        elif headers.get("sec-websocket-accept") != accept_for(self.key):
            problem = "a wrong Sec-WebSocket-Accept"
        elif headers.get("sec-websocket-extensions"):
            problem = "an extension that was not offered"
        if problem:
            self._fail(f"handshake answer with {problem}", handshake=True)
            return b""
        self.handshaking = False
        self.opened.set_result(None)
        return rest

    def _control_or_fragment(self, b0: int, payload: bytes, at: float) -> None:
        opcode, final = b0 & 0x0F, b0 & 0x80
        if opcode == PING:
            self.pongs += 1
            if not self.close_sent and self.transport is not None:
                self.transport.write(frame(PONG, payload))
        elif opcode == PONG:
            pass
        elif opcode == CLOSE:
            self.close_code = (
                struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            )
            if self.transport is not None:
                if not self.close_sent:
                    self.transport.write(frame(CLOSE, payload[:2]))
                    self.close_sent = True
                self.transport.close()
        elif opcode == TEXT and not final:
            self.fragments = [payload]
        elif opcode == CONTINUATION and self.fragments is not None:
            self.fragments.append(payload)
            if final:
                message, self.fragments = b"".join(self.fragments), None
                if self.on_text is not None:
                    self.on_text(message, at)
                else:
                    self._queue(message)
        elif opcode == BINARY or opcode == CONTINUATION:
            pass  # no dialect of the benchmark sends binary frames
        else:
            self._fail(f"opcode {opcode}")

    def _queue(self, payload: bytes) -> None:
        self.inbox.append(payload)
        self._wake()

    def _wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)
        self.waiter = None

    def _fail(self, why: str, handshake: bool = False) -> None:
        error = HandshakeError(why) if handshake else ProtocolError(why)
        if not self.opened.done():
            self.opened.set_exception(error)
        if self.transport is not None:
            self.transport.abort()
            self.transport = None
        if not self.closed.done():
            self.closed.set_result(None)
        self._wake()


async def connect(url: str, timeout: float = 60.0) -> RawWebSocket:
    """A connection to a ws:// URL on 127.0.0.1, once its handshake is done."""
    parts = urlsplit(url)
    if parts.scheme != "ws" or parts.hostname != "127.0.0.1":
        raise ValueError(f"ws://127.0.0.1 only, not {url}")
    port = parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    loop = asyncio.get_running_loop()

    async def opening() -> RawWebSocket:
        _, conn = await loop.create_connection(
            lambda: RawWebSocket("127.0.0.1", port, target), "127.0.0.1", port
        )
        await conn.opened
        return conn

    return await asyncio.wait_for(opening(), timeout)
