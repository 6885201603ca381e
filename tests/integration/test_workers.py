"""Several server processes on one port (`WEB_CONCURRENCY`, SO_REUSEPORT).

The supervisor starts the workers, each binds the port, and the kernel spreads
new connections over them; a worker that dies is started again, and events
reach the sockets of every worker through Redis.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import websockets

from tests import tools
from tests.integration.conftest import admin_token, announce

SOCKETS = 40


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


async def open_joined(url: str) -> websockets.ClientConnection:
    conn = await websockets.connect(url, open_timeout=15)
    assert json.loads(await asyncio.wait_for(conn.recv(), 10))["event"] == "connected"
    await conn.send('{"event":"join_room","data":{"roomType":"kiosk"},"ref":"j"}')
    while True:
        frame = json.loads(await asyncio.wait_for(conn.recv(), 10))
        if frame.get("ref") == "j":
            assert frame["event"] == "join_room_success", frame
            return conn


async def next_event(conn: websockets.ClientConnection, seq: int) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(conn.recv(), 10))
        if frame.get("seq") == seq:
            return frame


async def test_two_workers_share_the_port_and_a_dead_one_comes_back(
    redis_servers,
) -> None:
    (server,) = redis_servers(1, WEB_CONCURRENCY="2", **tools.ONE_ADDRESS_LOAD)
    assert server.proc is not None
    tools.wait_for(lambda: len(children(server.proc.pid)) == 2, 15, "two workers")
    first, second = children(server.proc.pid)
    url = f"{server.ws}/ws/orders/"
    conns = [await open_joined(url) for _ in range(SOCKETS)]

    # Kill one worker: the sockets it held close, the others stay open, so
    # the connections were spread over both processes.
    os.kill(first, signal.SIGKILL)

    async def closed(conn: websockets.ClientConnection) -> bool:
        try:
            await asyncio.wait_for(conn.wait_closed(), 5)
            return True
        except TimeoutError:
            return False

    outcome = await asyncio.gather(*(closed(c) for c in conns))
    survivors = [c for c, gone in zip(conns, outcome, strict=True) if not gone]
    assert 0 < len(survivors) < SOCKETS, f"{len(survivors)} of {SOCKETS} open"

    # The supervisor starts a new worker in its place.
    tools.wait_for(
        lambda: (
            len(children(server.proc.pid)) == 2
            and first not in children(server.proc.pid)
        ),
        20,
        "the dead worker restarted",
    )
    assert second in children(server.proc.pid)
    fresh = [await open_joined(url) for _ in range(10)]

    # An event published through any worker reaches every socket (Redis).
    seq = await asyncio.to_thread(
        announce, server.base, admin_token(server.base), "both workers"
    )
    for conn in survivors + fresh:
        frame = await next_event(conn, seq)
        assert frame["data"]["message"] == "both workers"
    for conn in survivors + fresh:
        await conn.close()

    # SIGTERM to the supervisor stops every worker.
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(20) == 0
    assert not children(server.proc.pid)


def test_several_workers_without_redis_are_refused(server_database) -> None:
    env = tools.server_env(server_database, None, WEB_CONCURRENCY="3")
    run = subprocess.run(
        [sys.executable, "-m", "config.serve", "--port", str(tools.free_port())],
        cwd=tools.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode != 0
    assert "WEB_CONCURRENCY=3 needs REDIS_URL" in run.stderr
