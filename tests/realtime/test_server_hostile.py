"""Hostile frames against a real server process (uvicorn): what in-process tests cannot see.

A real server encodes every reply as UTF-8 (a lone surrogate echoed back
used to fail there, and the client got nothing), closes a failed application
with 1006, and reports a client that went away as ClientDisconnected.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from tests import tools

pytestmark = pytest.mark.integration

DEEP = "[" * 1000 + "]" * 1000
SURROGATE = '{"event": "ping", "data": {"x": "\\ud800"}, "ref": "s"}'


@pytest.fixture(scope="module")
def server(server_database: tools.Database) -> Iterator[tools.Server]:
    env = tools.server_env(server_database, None, LOG_LEVEL="INFO")
    with tools.servers(env) as [started]:
        yield started


def current_connections(server: tools.Server, token: str) -> int:
    response = httpx.get(
        f"{server.base}/api/realtime/stats/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()
    return int(response.json()["connections"]["current"])


async def recv(conn: Any, timeout: float = 5) -> dict[str, Any]:
    while True:
        frame = json.loads(await asyncio.wait_for(conn.recv(), timeout))
        if frame["event"] != "heartbeat":
            return frame


async def test_deep_and_surrogate_frames_get_errors_and_leak_nothing(server):
    token = tools.login(server.base, "admin")
    before = current_connections(server, token)
    for path in ["/ws", "/ws/orders/", f"/ws/monitoring/?token={token}"]:
        async with websockets.connect(server.ws + path, open_timeout=10) as conn:
            assert (await recv(conn))["event"] == "connected"
            if path == "/ws":
                # Anonymous: told once that order events need a screen token.
                assert (await recv(conn))["event"] == "notice"
            for raw in (DEEP, SURROGATE) * 3:
                await conn.send(raw)
                frame = await recv(conn)
                assert frame["event"] == "error", (path, frame)
                assert frame["data"]["code"] == "VALIDATION_ERROR"
            await conn.send(json.dumps({"event": "ping", "ref": "p"}))
            assert (await recv(conn))["event"] == "pong"
    deadline = time.monotonic() + 5
    while current_connections(server, token) != before:
        assert time.monotonic() < deadline, "connections leaked"
        await asyncio.sleep(0.05)
    output = server.output()
    assert "Traceback" not in output and "RecursionError" not in output


async def test_a_client_that_leaves_mid_reply_is_not_an_error(server):
    for _ in range(5):
        conn = await websockets.connect(server.ws + "/ws/orders/", open_timeout=10)
        assert (await recv(conn))["event"] == "connected"
        for i in range(200):
            await conn.send(json.dumps({"event": "ping", "data": {"i": i}}))
        await conn.close()
    token = tools.login(server.base, "admin")
    # The server noticed every close (its count is back down) ...
    deadline = time.monotonic() + 5
    while current_connections(server, token) != 0:
        assert time.monotonic() < deadline, "connections leaked"
        await asyncio.sleep(0.05)
    # ... and logged no error for any of them.
    output = server.output()
    assert "writer failed" not in output and "ClientDisconnected" not in output
    assert "[error" not in output.lower() and " ERROR " not in output
