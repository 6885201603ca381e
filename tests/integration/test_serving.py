"""The server as deployed (`python -m config.serve`): frame limit, shutdown, keys, logs."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import signal
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import websockets
from django.conf import settings

from tests import tools

# The key earlier versions used when SECRET_KEY was unset; it is public, so a
# token signed with it must be worth nothing.
PUBLISHED_KEY = "insecure-local-development-key-change-me-0123456789abcdef"


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


@pytest.fixture
def served(server_database: tools.Database, tmp_path: Path):
    """`start(**env)` -> a server started the way the Procfile and `make run` start it."""
    started: list[tools.Server] = []

    def start(**extra: str) -> tools.Server:
        env = tools.server_env(server_database, None, **extra)
        env.pop("SECRET_KEY", None)
        env.setdefault("SECRET_KEY_FILE", str(tmp_path / "secret_key"))
        server = tools.Server(env).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop(signal.SIGKILL)


async def _send_big(url: str, size: int) -> tuple[int | None, str]:
    async with websockets.connect(url, max_size=None, open_timeout=10) as conn:
        await asyncio.wait_for(conn.recv(), 5)  # connected
        with_error = ""
        try:
            await conn.send("x" * size)
            while True:
                with_error = await asyncio.wait_for(conn.recv(), 10)
        except websockets.ConnectionClosed as closed:
            rcvd = closed.rcvd
            return (rcvd.code if rcvd else None), (rcvd.reason if rcvd else with_error)
    return None, ""


async def test_an_oversize_frame_is_refused_before_it_is_buffered(served: Any) -> None:
    server = served()
    url = f"ws://127.0.0.1:{server.port}/ws/orders/"
    # Just over the limit: refused by the ASGI server as the frame arrives.
    code, reason = await _send_big(url, 64 * 1024 + 1)
    assert code == 1009, (code, reason)
    assert "65536" in reason

    pid = server.proc.pid
    before = rss_mb(pid)
    results = await asyncio.gather(*(_send_big(url, 15_000_000) for _ in range(8)))
    after = rss_mb(pid)
    assert all(code == 1009 for code, _ in results), results
    # Eight 15 MB frames buffered would be 120 MB and more.
    assert after - before < 40, (before, after)

    # A frame within the limit is still read.
    async with websockets.connect(url, open_timeout=10) as conn:
        await asyncio.wait_for(conn.recv(), 5)
        await conn.send(json.dumps({"event": "ping", "data": "x" * 60_000, "ref": "1"}))
        reply = json.loads(await asyncio.wait_for(conn.recv(), 5))
        assert reply["event"] == "pong"


def test_sigterm_finishes_within_the_shutdown_timeout(served: Any) -> None:
    server = served(SHUTDOWN_TIMEOUT="2", LOG_LEVEL="INFO")
    # A request whose body never completes, as a client that went away would.
    stuck = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    stuck.sendall(
        b"POST /api/orders/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"items"'
    )
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    time.sleep(0.3)  # let the server start reading the request
    try:
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(15)
        took = time.monotonic() - started
    finally:
        stuck.close()
        idle.close()
    assert took < 2 + 4, took
    assert "Waiting for connections to close" in server.output()


def test_a_token_signed_with_a_published_key_is_refused(
    served: Any, tmp_path: Path
) -> None:
    server = served()
    forged = jwt.encode(
        {
            "token_type": "access",
            "exp": int(time.time()) + 600,
            "jti": "x",
            "user_id": "1",
        },
        PUBLISHED_KEY,
        algorithm="HS256",
    )
    response = httpx.get(
        f"{server.base}/api/orders/",
        headers={"Authorization": f"Bearer {forged}"},
        timeout=10,
    )
    assert response.status_code == 401, response.text
    key = (tmp_path / "secret_key").read_text().strip()
    assert len(key) >= 50 and key != PUBLISHED_KEY
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    # A real login still works, and its token is signed with this install's key.
    token = tools.login(server.base, "admin")
    assert jwt.decode(token, key, algorithms=["HS256"])["token_type"] == "access"


async def test_no_token_reaches_the_log(served: Any) -> None:
    server = served(LOG_LEVEL="INFO", ACCESS_LOG="1")
    token = tools.login(server.base, "barista")
    httpx.get(f"{server.base}/api/menus/?token={token}", timeout=10)
    httpx.get(
        f"{server.base}/api/orders/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    url = f"ws://127.0.0.1:{server.port}/ws/orders/?token={token}"
    async with websockets.connect(url, open_timeout=10) as conn:
        await asyncio.wait_for(conn.recv(), 5)
    bad = token[:-4] + "AAAA"
    async with websockets.connect(url.replace(token, bad), open_timeout=10) as conn:
        await asyncio.wait_for(conn.recv(), 5)
    tools.wait_for(lambda: "/ws/orders/" in server.output(), 5, "the socket's log line")
    output = server.output()
    assert token not in output and bad not in output
    for part in token.split("."):
        assert part not in output
    assert "[redacted]" in output


def test_json_log_lines_carry_the_request_id(served: Any) -> None:
    server = served(LOG_LEVEL="INFO", LOG_FORMAT="json")
    response = httpx.get(
        f"{server.base}/api/menus/", headers={"X-Request-ID": "probe-42"}, timeout=10
    )
    assert response.headers["X-Request-ID"] == "probe-42"
    generated = httpx.get(f"{server.base}/api/menus/", timeout=10)
    assert len(generated.headers["X-Request-ID"]) == 32

    def request_lines() -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in server.output().splitlines() if line]
        return [
            line
            for line in lines
            if line.get("kind") == "http.request" and line["path"] == "/api/menus/"
        ]

    tools.wait_for(lambda: len(request_lines()) >= 2, 5, "two request lines")
    first, second = request_lines()[:2]
    assert second["request_id"] == generated.headers["X-Request-ID"]
    assert first["request_id"] == "probe-42"
    assert first["path"] == "/api/menus/" and first["status"] == 200
    assert first["level"] == "info" and "timestamp" in first


def test_a_waiting_socketio_poll_does_not_hold_up_a_shutdown(served: Any) -> None:
    server = served(SHUTDOWN_TIMEOUT="10")
    base = f"{server.base}/socket.io/?EIO=4&transport=polling"
    with httpx.Client(timeout=15) as client:
        opened = client.get(base).text
        sid = json.loads(opened[1:])["sid"]
        assert client.post(f"{base}&sid={sid}", content="40").status_code == 200
        assert client.get(f"{base}&sid={sid}").text.startswith("40")
        # The next poll waits for data (up to the ping interval).
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            poll = pool.submit(client.get, f"{base}&sid={sid}")
            time.sleep(0.5)  # the poll is on the server, waiting
            started = time.monotonic()
            server.proc.send_signal(signal.SIGTERM)
            server.proc.wait(15)
            took = time.monotonic() - started
            answer = poll.result(5)
    assert took < 5, took
    assert answer.status_code == 200 and "1" in answer.text  # an Engine.IO CLOSE


async def test_socket_lines_count_socketio_frames(served: Any) -> None:
    import socketio

    server = served(LOG_LEVEL="INFO", LOG_FORMAT="json")
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(server.base, transports=["websocket"], wait_timeout=10)
    for n in range(3):
        await client.call("ping", {"n": n}, timeout=5)
    await client.disconnect()

    def closed() -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in server.output().splitlines() if line]
        return [line for line in lines if line.get("kind") == "socket.closed"]

    tools.wait_for(lambda: bool(closed()), 5, "the socket.closed line")
    (line,) = closed()
    assert line["frames_in"] == 3 and line["frames_out"] >= 4  # connected + pongs
    assert line["path"] == "/socket.io/" and "token" not in json.dumps(line)


async def test_a_handshake_too_long_to_read_is_answered_not_left_hanging(
    served: Any,
) -> None:
    server = served()
    url = f"ws://127.0.0.1:{server.port}/ws/orders/"
    # A request line past websockets' limit: 414 at once (it used to hang).
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(f"{url}?token={'a' * 20_000}", open_timeout=5)
    assert refused.value.response.status_code == 414
    async with websockets.connect(url, open_timeout=5) as conn:
        assert json.loads(await conn.recv())["event"] == "connected"


async def test_room_events_reach_compressed_and_plain_sockets_alike(
    served: Any,
) -> None:
    # Room events for an idle socket go out as the room's one encoded frame;
    # a socket that negotiated compression gets them through the full path.
    from tests.integration.conftest import Socket, admin_token, announce

    server = served(UVICORN_WS_PER_MESSAGE_DEFLATE="1")
    url = f"{server.ws}/ws/orders/"
    compressed = await Socket.open(url)
    plain = Socket(await websockets.connect(url, open_timeout=10, compression=None))
    try:
        assert "permessage-deflate" in compressed.conn.response.headers.get(
            "Sec-WebSocket-Extensions", ""
        )
        assert "Sec-WebSocket-Extensions" not in plain.conn.response.headers
        await plain.expect("connected")
        for sock in (compressed, plain):
            reply = await sock.request("join_room", {"roomType": "kiosk"})
            assert reply["event"] == "join_room_success", reply
        token = admin_token(server.base)
        # Frames under 126 bytes, up to 64 KiB, and text that is not ASCII.
        messages = ["Back soon", "Oat milk is back ☕ " * 20, "é" * 400]
        seqs = [
            await asyncio.to_thread(announce, server.base, token, text)
            for text in messages
        ]
        for sock in (compressed, plain):
            got = [await sock.expect("announcement") for _ in messages]
            assert [frame["seq"] for frame in got] == seqs
            assert [frame["data"]["message"] for frame in got] == [
                text.strip() for text in messages
            ]
    finally:
        await compressed.close()
        await plain.close()


async def _answer(
    port: int, head: str, chunks: tuple[bytes, ...] = ()
) -> tuple[int, dict[str, str], bytes]:
    """Send a request head and `chunks` of a chunked body that never ends;
    return the status, headers and body of the server's answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode())
        for chunk in chunks:
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head_bytes, _, body = raw.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


async def test_a_body_over_the_limit_is_refused_before_it_is_read(
    served: Any,
) -> None:
    server = served()
    host = f"Host: 127.0.0.1:{server.port}\r\n"

    # A declared length over the limit: 413 at once, no body sent at all
    # (Django used to read, or wait for, all of it before its middleware ran).
    status, headers, body = await _answer(
        server.port,
        f"POST /api/orders/ HTTP/1.1\r\n{host}Content-Type: application/json\r\n"
        f"Content-Length: {10**12}\r\n\r\n",
    )
    assert status == 413 and headers["connection"] == "close"
    assert json.loads(body)["code"] == "PAYLOAD_TOO_LARGE"

    # A chunked body, on a page outside the API: counted as it comes, and
    # answered once past the limit, though it never ends.
    status, headers, body = await _answer(
        server.port,
        f"POST /accounts/login/ HTTP/1.1\r\n{host}"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",
        # Past Django's 2.5 MiB by 64 KiB.
        (b"x" * 16_384,) * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 16_384 + 4),
    )
    assert status == 413 and headers["connection"] == "close"
    assert body == b"Request body too large"

    # A length that is not a number.
    status, _, body = await _answer(
        server.port,
        f"POST /api/orders/ HTTP/1.1\r\n{host}Content-Length: 12x\r\n\r\n",
    )
    assert status == 400

    # A body under the limit still arrives whole.
    item = await asyncio.to_thread(first_item_id, server.base)
    reply = await asyncio.to_thread(
        httpx.post,
        f"{server.base}/api/orders/",
        json={"items": [{"menuId": item}], "payType": "CASH"},
        timeout=10,
    )
    assert reply.status_code == 201, reply.text


def first_item_id(base: str) -> int:
    from tests.integration.conftest import first_item

    return int(first_item(base)["id"])
