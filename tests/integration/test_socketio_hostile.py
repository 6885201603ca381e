"""Hostile and careless clients of the Socket.IO gateway and of socket auth, against
a real server process: oversize polling bodies, packets that are not valid,
foreign origins, a database outage during the handshake, tokens in logs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import httpx
import jwt
import pytest
import websockets

from tests import tools
from tests.integration.test_socketio_gateway import NodeClient

LIMIT = 64 * 1024
CLOSE_WAIT = "08"  # the state's number in /proc/net/tcp


def polling_sid(base: str) -> str:
    """The Engine.IO session id of a new polling session."""
    response = httpx.get(
        f"{base}/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=5
    )
    assert response.status_code == 200, response.text
    assert response.text.startswith("0"), response.text
    return str(json.loads(response.text[1:])["sid"])


def close_wait_count(port: int) -> int:
    """Server-side sockets of `port` the peer closed but the server never did."""
    found = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == CLOSE_WAIT:
                    found += 1
    return found


async def read_status(reader: asyncio.StreamReader, timeout: float = 5) -> int:
    """The status code of the HTTP response on `reader`, waiting at most `timeout`."""
    line = await asyncio.wait_for(reader.readline(), timeout)
    assert line.startswith(b"HTTP/1.1 "), line
    return int(line.split()[1])


def sigterm_seconds(server: tools.Server, limit: float = 8) -> float:
    """Send SIGTERM and return how long the process took to end (fail after `limit`)."""
    assert server.proc is not None
    started = time.monotonic()
    os.killpg(server.proc.pid, signal.SIGTERM)
    try:
        server.proc.wait(limit)
    except Exception:
        server.stop(signal.SIGKILL)
        raise AssertionError(
            f"SIGTERM did not stop the server within {limit} s:\n"
            + server.output()[-2000:]
        ) from None
    return time.monotonic() - started


@pytest.fixture
def own_server(server_database: tools.Database) -> Iterator[tools.Server]:
    """A server this test may stop itself (with SIGTERM, timed)."""
    server = tools.Server(tools.server_env(server_database, None)).start()
    try:
        yield server
    finally:
        server.stop()


# -- item 3 of the issue: oversize polling POST -------------------------------------


async def test_oversize_polling_post_gets_413_and_leaves_nothing_behind(
    own_server: tools.Server,
) -> None:
    path = f"/socket.io/?EIO=4&transport=polling&sid={polling_sid(own_server.base)}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{own_server.port}\r\n"
        "Content-Type: text/plain;charset=UTF-8\r\n"
    )

    # Declared by Content-Length: answered before the body is read.
    body = b"4" + b'"' + b"x" * 70_000 + b'"'
    reader, writer = await asyncio.open_connection("127.0.0.1", own_server.port)
    writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
    await writer.drain()
    assert await read_status(reader) == 413
    writer.close()

    # Chunked: counted while it arrives, answered once over the limit, without
    # waiting for the last chunk.
    reader, writer = await asyncio.open_connection("127.0.0.1", own_server.port)
    writer.write(f"{head}Transfer-Encoding: chunked\r\n\r\n".encode())
    chunk = b"x" * 16_384
    for _ in range(LIMIT // len(chunk) + 1):
        writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    await writer.drain()
    assert await read_status(reader) == 413
    writer.close()

    # A chunked body under the limit still reaches the session (a Socket.IO
    # CONNECT, answered on the next poll).
    sid = polling_sid(own_server.base)
    response = httpx.post(
        f"{own_server.base}/socket.io/?EIO=4&transport=polling&sid={sid}",
        content=iter([b"4", b"0"]),
        timeout=5,
    )
    assert response.status_code == 200 and response.text == "OK", response.text
    poll = httpx.get(
        f"{own_server.base}/socket.io/?EIO=4&transport=polling&sid={sid}", timeout=5
    )
    assert poll.text.startswith('40{"sid":'), poll.text

    # A packet type a client may not send ends the session, with an answer
    # at once (the close used to wait for a poll that never came).
    sid = polling_sid(own_server.base)
    response = httpx.post(
        f"{own_server.base}/socket.io/?EIO=4&transport=polling&sid={sid}",
        content=b"6",
        timeout=5,
    )
    assert response.status_code == 400, response.text

    tools.wait_for(
        lambda: close_wait_count(own_server.port) == 0, 5, "no socket in CLOSE-WAIT"
    )
    assert sigterm_seconds(own_server) < 5


# -- item 7 of the issue: Socket.IO packets that are not valid ------------------------


class RawSession:
    """An Engine.IO websocket session spoken by hand, to send what clients should not."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.unread: list[str] = []

    @classmethod
    async def open(cls, ws: str, query: str = "", **headers: str) -> RawSession:
        conn = await websockets.connect(
            f"{ws}/socket.io/?EIO=4&transport=websocket{query}",
            open_timeout=10,
            additional_headers=headers or None,
        )
        session = cls(conn)
        assert (await session.recv()).startswith("0{")
        return session

    async def connect(self, auth: Any = None) -> str:
        """The Socket.IO CONNECT of the default namespace; its answer packet."""
        await self.conn.send("40" + (json.dumps(auth) if auth is not None else ""))
        return await self.next("4")

    async def recv(self, timeout: float = 5) -> str:
        frame = await asyncio.wait_for(self.conn.recv(), timeout)
        assert isinstance(frame, str), frame
        return frame

    async def next(self, prefix: str, timeout: float = 5) -> str:
        """The first packet starting with `prefix` not taken yet, answering pings."""
        for frame in self.unread:
            if frame.startswith(prefix):
                self.unread.remove(frame)
                return frame
        while True:
            frame = await self.recv(timeout)
            if frame == "2":
                await self.conn.send("3")
            elif frame.startswith('42["heartbeat"'):
                continue
            elif frame.startswith(prefix):
                return frame
            else:
                self.unread.append(frame)

    async def event(self, name: str, timeout: float = 5) -> list[Any]:
        """The arguments of the next EVENT packet called `name`."""
        return list(json.loads((await self.next(f'42["{name}"', timeout))[2:])[1:])

    async def close(self) -> None:
        await self.conn.close()


NESTED = "[" * 10_000 + "]" * 10_000
BAD_PACKETS: list[tuple[str, str | bytes, str]] = [
    ("broken JSON", '421["ping",{', "VALIDATION_ERROR"),
    ("an object, not an array", '42{"a":1}', "VALIDATION_ERROR"),
    ("an empty array", "42[]", "VALIDATION_ERROR"),
    ("a name that is not text", "42[1,{}]", "VALIDATION_ERROR"),
    ("nesting 10,000 deep", f'42["ping",{NESTED}]', "VALIDATION_ERROR"),
    ("a lone surrogate", '42["ping","\\ud800"]', "VALIDATION_ERROR"),
    ("a binary frame", b"\x04\x00\xff", "VALIDATION_ERROR"),
    (
        "a binary event",
        '451-["ping",{"_placeholder":true,"num":0}]',
        "VALIDATION_ERROR",
    ),
    ("an unknown packet type", "49", "VALIDATION_ERROR"),
    ("a reserved event name", '42["disconnect"]', "UNKNOWN_EVENT"),
]


@pytest.mark.parametrize(
    ("packet", "code"),
    [(packet, code) for _, packet, code in BAD_PACKETS],
    ids=[name for name, _, _ in BAD_PACKETS],
)
async def test_invalid_packet_gets_an_error_event_and_the_session_goes_on(
    server: tools.Server, packet: str | bytes, code: str
) -> None:
    session = await RawSession.open(server.ws)
    try:
        assert (await session.connect()).startswith('40{"sid":')
        await session.conn.send(packet)
        (error,) = await session.event("error")
        assert error["code"] == code, error
        assert error["message"] and error["timestamp"]
        assert "Traceback" not in error["message"]
        if isinstance(packet, str) and packet.startswith("421"):
            # The acknowledgement asked for gets the same error.
            ack = json.loads((await session.next("431"))[3:])
            assert ack[0]["code"] == code
        await session.conn.send('422["ping",{"x":1}]')
        assert json.loads((await session.next("432"))[3:]) == [None]
        assert await session.event("pong") == [{"x": 1}]
    finally:
        await session.close()


async def test_bad_token_refusal_has_code_in_data_and_a_plain_message(
    server: tools.Server,
    socketio_client_dir: str,
) -> None:
    session = await RawSession.open(server.ws)
    try:
        refused = await session.connect({"token": "not-a-jwt"})
        assert refused.startswith("44"), refused
        body = json.loads(refused[2:])
        assert body["data"]["code"] == "UNAUTHORIZED"
        assert body["data"]["message"] == body["message"]
        assert "{" not in body["message"] and "code" not in body["message"]
    finally:
        await session.close()

    client = await NodeClient.start(
        socketio_client_dir,
        server.base,
        auth={"token": "not-a-jwt"},
        transports=["websocket"],
    )
    try:
        error = await client.next("connect_error")
        assert error["data"]["code"] == "UNAUTHORIZED"
        assert error["message"].startswith("Invalid token"), error
        assert error["message"] == error["data"]["message"]
    finally:
        await client.close()


# -- item 9 of the issue: the origin check ----------------------------------------


async def test_origin_must_be_the_servers_own_or_listed(server: tools.Server) -> None:
    own = f"http://127.0.0.1:{server.port}"
    foreign = [
        f"http://127.0.0.1:{server.port + 1}",
        f"ftp://127.0.0.1:{server.port}",
        f"https://127.0.0.1:{server.port + 1}",
        "null",
    ]
    polling = f"{server.base}/socket.io/?EIO=4&transport=polling"

    native = await websockets.connect(f"{server.ws}/ws/orders/", origin=own)
    assert json.loads(await native.recv())["event"] == "connected"
    await native.close()
    response = httpx.get(polling, headers={"Origin": own}, timeout=5)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == own

    for origin in foreign:
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(f"{server.ws}/ws/orders/", origin=origin)
        assert refused.value.response.status_code == 403, origin
        response = httpx.get(polling, headers={"Origin": origin}, timeout=5)
        assert response.status_code == 400, (origin, response.text)
        with pytest.raises(websockets.InvalidStatus):
            await websockets.connect(
                f"{server.ws}/socket.io/?EIO=4&transport=websocket", origin=origin
            )


# -- a database outage during the handshake -----------------------------------------

OUTAGE_KEY = "outage-test-signing-key-0123456789abcdef-0123456789abcdef"


def access_token(user_id: str = "1", key: str = OUTAGE_KEY) -> str:
    """An access JWT signed with `key`, as the server's token endpoint would issue."""
    now = int(time.time())
    claims = {
        "token_type": "access",
        "exp": now + 600,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "user_id": user_id,
    }
    return jwt.encode(claims, key, algorithm="HS256")


@pytest.fixture
def database_down() -> Iterator[tools.Server]:
    """A server whose PostgreSQL is unreachable (nothing listens on its port)."""
    unreachable = SimpleNamespace(
        url=f"postgresql://postgres@127.0.0.1:{tools.free_port()}/tidings"
    )
    env = tools.server_env(cast(tools.Database, unreachable), None)
    env["SECRET_KEY"] = OUTAGE_KEY
    server = tools.Server(env).start()
    try:
        yield server
    finally:
        server.stop()


async def test_database_outage_at_the_handshake_is_a_clear_refusal(
    database_down: tools.Server,
) -> None:
    server = database_down
    token = access_token()
    # Native socket, `?token=` and session cookie: accepted, an error frame,
    # then 1013 (try again later).
    for url, headers in [
        (f"{server.ws}/ws/orders/?token={token}", None),
        (f"{server.ws}/ws", {"Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345"}),
    ]:
        conn = await websockets.connect(
            url, open_timeout=10, additional_headers=headers
        )
        frame = json.loads(await asyncio.wait_for(conn.recv(), 10))
        assert frame["event"] == "error", frame
        assert frame["data"]["code"] == "CONNECTION_FAILED"
        assert "unavailable" in frame["data"]["message"]
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(conn.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013

    # Socket.IO: the connect is refused with {code, message}.
    session = await RawSession.open(server.ws)
    try:
        refused = await session.connect({"token": token})
        assert refused.startswith("44"), refused
        body = json.loads(refused[2:])
        assert body["data"]["code"] == "CONNECTION_FAILED"
        assert "unavailable" in body["message"]
    finally:
        await session.close()

    # Nothing from the handshake paths in the log (the database's own loops
    # report the outage themselves), and never the token.
    output = server.output()
    for trace in ("Exception in ASGI application", "handler error", "engineio"):
        assert trace not in output, output[-3000:]
    assert "realtime.auth" not in output and "socketio" not in output
    assert token not in output


# -- item 5 of the issue: no token in any log line ----------------------------------


async def test_tokens_never_reach_the_log(server_database: tools.Database) -> None:
    env = tools.server_env(server_database, None, LOG_LEVEL="DEBUG")
    with tools.servers(env, 1) as (server,):
        good = tools.login(server.base, "barista")
        bad = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")

        native = await websockets.connect(f"{server.ws}/ws/orders/?token={good}")
        assert json.loads(await native.recv())["event"] == "connected"
        await native.close()
        refused = await websockets.connect(f"{server.ws}/ws/orders/?token={bad}")
        frames = [json.loads(await refused.recv()) for _ in range(2)]
        assert frames[1]["data"]["code"] == "UNAUTHORIZED"
        await refused.close()

        for token in (good, bad):
            session = await RawSession.open(server.ws, f"&token={token}")
            await session.connect({"token": token})
            await session.conn.send('42["ping",{"x":1}]')
            await session.close()
        polling = httpx.get(
            f"{server.base}/socket.io/",
            params={"EIO": "4", "transport": "polling", "token": good},
            timeout=5,
        )
        assert polling.status_code == 200

        output = server.output()
        # The socket requests were logged (DEBUG logs every request line).
        assert "/ws/orders/" in output and "/socket.io/" in output
        for token in (good, bad):
            for line in output.splitlines():
                assert token not in line, line
                # Not even the signature, the part that makes it a credential.
                assert token.rsplit(".", 1)[1] not in line, line


async def test_closing_every_session_answers_a_waiting_poll_at_once() -> None:
    """What a server runner does at the start of a shutdown: no poll holds it up."""
    from config.asgi import application

    eio = application.socketio_server.eio
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        opened = await client.get("/socket.io/?EIO=4&transport=polling")
        sid = json.loads(opened.text[1:])["sid"]
        # A session with no poll waiting must not hold the close up either.
        idle = await client.get("/socket.io/?EIO=4&transport=polling")
        idle_sid = json.loads(idle.text[1:])["sid"]
        poll = asyncio.create_task(
            client.get(f"/socket.io/?EIO=4&transport=polling&sid={sid}")
        )
        # Until the poll waits on the session's queue (no public event for it).
        deadline = time.monotonic() + 5
        while not eio.sockets[sid].queue._getters:
            assert time.monotonic() < deadline, "the poll never started waiting"
            await asyncio.sleep(0.01)
        started = time.monotonic()
        await asyncio.wait_for(eio.disconnect(), 2)
        answer = await asyncio.wait_for(poll, 2)
        assert time.monotonic() - started < 1
        assert answer.status_code == 200 and answer.text == "1"  # CLOSE
        assert sid not in eio.sockets and idle_sid not in eio.sockets


async def test_malformed_polling_payloads_get_400_without_a_traceback(
    server: tools.Server,
) -> None:
    bodies = [
        b"x",  # not a packet type
        b"\xff\xfe",  # not UTF-8
        b"4\x1e",  # an empty packet
        b"40" + b"\x1e4" * 20,  # more packets than a payload may hold
        b"bAAA",  # binary packet with bad base64
        b"d=4",  # JSONP form without JSONP
    ]
    for body in bodies:
        sid = polling_sid(server.base)
        response = httpx.post(
            f"{server.base}/socket.io/?EIO=4&transport=polling&sid={sid}",
            content=body,
            timeout=5,
        )
        assert response.status_code == 400, (body, response.text)
    # A good payload of several packets still passes.
    sid = polling_sid(server.base)
    response = httpx.post(
        f"{server.base}/socket.io/?EIO=4&transport=polling&sid={sid}",
        content=b'40\x1e42["ping",{"n":1}]',
        timeout=5,
    )
    assert response.status_code == 200, response.text
    poll = httpx.get(
        f"{server.base}/socket.io/?EIO=4&transport=polling&sid={sid}", timeout=5
    )
    assert poll.text.startswith('40{"sid":'), poll.text
    output = server.output()
    assert "Traceback" not in output and "handler error" not in output, output
