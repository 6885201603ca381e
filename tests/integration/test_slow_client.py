"""A client that stops reading, on a real server: closed 1013, the others unharmed."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import httpx
import pytest
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from tests import tools
from tests.integration.conftest import Socket, admin_token, announce

BATCH = 2000
MAX_BATCHES = 10
LATER = 5
# Announcements of ~600 bytes, 2,000 to a transaction (1.2 MB), published
# until the server gives up on the stalled client: its kernel buffers and the
# server's transport buffer fill first (about 4,500 of them here), then the
# server's send queue for it.
PUBLISH = f"""
from django.db import transaction
from realtime.services import announcement_publish
with transaction.atomic():
    for i in range({BATCH}):
        announcement_publish(room="kiosk", message=f"{{i:05d}} " + "x" * 490)
"""


# The servers of this test let a scraper with this token read /metrics.
METRICS_TOKEN = "slow-client-metrics-token"


def slow_client_closes(base: str) -> float:
    scrape = httpx.get(
        f"{base}/metrics",
        headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
        timeout=5,
    )
    scrape.raise_for_status()
    for line in scrape.text.splitlines():
        if line.startswith("tidings_slow_client_closes_total "):
            return float(line.split()[1])
    return 0.0


class StalledClient:
    """A WebSocket client on a blocking socket with a small receive buffer.

    It reads nothing unless asked, so the server's writes back up into the
    kernel buffers and then into the server's own queue for it.
    """

    def __init__(self, url: str) -> None:
        uri = parse_uri(url)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(10)
        self.sock.connect((uri.host, uri.port))
        self.protocol = ClientProtocol(uri, max_size=2**20)
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        self.pending: list[Any] = []
        while not any(isinstance(e, Response) for e in self.pending):
            self._read()
        self.pending = [e for e in self.pending if isinstance(e, Frame)]

    def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.sock.sendall(data)

    def _read(self) -> None:
        data = self.sock.recv(65536)
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        self.pending += self.protocol.events_received()
        self._flush()  # answers to pings and to the close

    def request(self, event: str, data: dict[str, Any]) -> dict[str, Any]:
        """Send a request and read up to its reply."""
        frame = {"event": event, "data": data, "ref": "r"}
        self.protocol.send_text(json.dumps(frame).encode())
        self._flush()
        while True:
            while self.pending:
                got = self.pending.pop(0)
                if got.opcode is Opcode.TEXT:
                    reply = json.loads(got.data)
                    if reply.get("ref") == "r":
                        return reply
            self._read()

    def read_until_closed(self) -> tuple[list[dict[str, Any]], int | None]:
        """Every text frame until the server's close, and the close code."""
        frames: list[dict[str, Any]] = []
        while True:
            while self.pending:
                frame = self.pending.pop(0)
                if frame.opcode is Opcode.TEXT:
                    frames.append(json.loads(frame.data))
                elif frame.opcode is Opcode.CLOSE:
                    code = (
                        self.protocol.close_rcvd.code
                        if self.protocol.close_rcvd
                        else None
                    )
                    return frames, code
            self._read()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def sqlite_server(redis_url, monkeypatch):
    """One server on Redis and a SQLite database of its own.

    What this test is about is the writer and a client that stops reading; the
    database only feeds it events. On PostgreSQL the publisher (2,000 on-commit
    updates a batch) could not fill the stalled client's buffers within the
    test's time on every machine, so the events come from SQLite here.
    """
    monkeypatch.delenv("DATABASE_URL", raising=False)
    database = tools.Database()
    env = tools.server_env(
        database,
        redis_url,
        WS_SEND_QUEUE_MAX="50",
        HEARTBEAT_INTERVAL="300",
        METRICS_TOKEN=METRICS_TOKEN,
    )
    tools.manage(env, "migrate", "--noinput")
    tools.manage(env, "seed_demo")
    try:
        with tools.servers(env, 1) as (server,):
            yield server
    finally:
        database.drop()


async def test_a_client_that_stops_reading_is_closed_1013_and_resumes(sqlite_server):
    server = sqlite_server
    url = f"{server.ws}/ws/orders/"
    healthy = await Socket.open(url)
    joined = await healthy.request("join_room", {"roomType": "kiosk"})
    # Earlier tests may have used the room: its events go on from here.
    base = joined["data"]["seq"]
    stalled = await asyncio.to_thread(StalledClient, url)
    reply = await asyncio.to_thread(stalled.request, "join_room", {"roomType": "kiosk"})
    assert reply["event"] == "join_room_success", reply

    got: list[int] = []

    async def read_healthy() -> None:
        while True:
            frame = await healthy.recv(timeout=30)
            if frame["event"] == "announcement":
                got.append(frame["seq"])

    reader = asyncio.create_task(read_healthy())
    try:
        events = 0
        for _ in range(MAX_BATCHES):
            await asyncio.to_thread(tools.manage, server.env, "shell", "-c", PUBLISH)
            events += BATCH
            if await asyncio.to_thread(slow_client_closes, server.base) >= 1:
                break
        else:
            raise AssertionError(f"no slow-client close after {events} events")
        # The healthy client gets every event, in order, while the other
        # one's buffers are full and its queue overflows.
        expected = list(range(base + 1, base + events + 1))
        await asyncio.to_thread(
            tools.wait_for, lambda: len(got) >= events, 30, "the healthy client"
        )
        assert got == expected
    finally:
        reader.cancel()
    # The server gave up on the stalled client; what comes now it never gets live.
    token = admin_token(server.base)
    for n in range(LATER):
        await asyncio.to_thread(announce, server.base, token, f"later {n}")
    total = events + LATER

    # Reading again, the stalled client finds the frames that were already on
    # their way, an error saying why, and the close.
    frames, code = await asyncio.to_thread(stalled.read_until_closed)
    stalled.close()
    assert code == 1013
    assert frames[-1]["event"] == "error", frames[-1]
    assert frames[-1]["data"]["code"] == "CONNECTION_FAILED"
    received = [f["seq"] for f in frames if f["event"] == "announcement"]
    assert received == list(range(base + 1, base + len(received) + 1))
    assert 0 < len(received) <= events

    # It reconnects and resumes from the last seq it has: the rest, once each.
    resumed = await Socket.open(url + "?resume=1")
    await resumed.send(
        "join_room", {"roomType": "kiosk", "lastSeq": received[-1]}, ref="j"
    )
    rest = []
    while True:
        frame = await resumed.recv(timeout=10)
        if frame["event"] == "announcement":
            rest.append(frame["seq"])
        elif frame.get("ref") == "j":
            assert frame["event"] == "join_room_success", frame
            break
    assert received + rest == list(range(base + 1, base + total + 1))
    for sock in (healthy, resumed):
        await sock.close()
