"""Hostile and careless clients of the Socket.IO gateway and of socket auth, against
a real server process: oversize polling bodies, packets that are not valid,
foreign origins, a database outage during the handshake, tokens in logs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator

import httpx
import pytest

from tests import tools
from tests.integration.test_socketio_gateway import (  # noqa: F401 (fixture)
    NodeClient,
    socketio_client_dir,
)

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
