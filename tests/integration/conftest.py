from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests import tools


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The hook sees every collected test: mark only the ones in this folder.
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.integration)


class Socket:
    """A `websockets` client speaking the Tidings envelope."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.connection_id: str | None = None

    @classmethod
    async def open(cls, url: str) -> Socket:
        conn = await websockets.connect(url, open_timeout=10, max_size=2**24)
        sock = cls(conn)
        hello = await sock.expect("connected")
        sock.connection_id = hello["data"]["connectionId"]
        return sock

    async def send(self, event: str, data: Any = None, ref: str | None = None) -> None:
        frame: dict[str, Any] = {"event": event, "data": data or {}}
        if ref:
            frame["ref"] = ref
        await self.conn.send(json.dumps(frame))

    async def recv(self, timeout: float = 5) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.conn.recv(), timeout)
        assert isinstance(raw, str), f"a binary frame: {raw[:80]!r}"
        return json.loads(raw)

    async def expect(self, event: str, timeout: float = 5) -> dict[str, Any]:
        while True:
            frame = await self.recv(timeout)
            if frame["event"] == event:
                return frame
            if frame["event"] not in {"heartbeat", "reconnect_success"}:
                raise AssertionError(f"expected {event}, got {frame}")

    async def request(
        self, event: str, data: Any = None, ref: str = "r"
    ) -> dict[str, Any]:
        await self.send(event, data, ref)
        while True:
            frame = await self.recv()
            if frame.get("ref") == ref:
                return frame

    async def close(self) -> None:
        await self.conn.close()


def admin_token(base: str) -> str:
    return tools.login(base, "admin")


def first_item(base: str) -> dict[str, Any]:
    """A menu item on sale."""
    menu = httpx.get(f"{base}/api/menus/", timeout=10).json()
    return next(
        item
        for category in menu["categories"]
        for item in category["items"]
        if not item["isSoldOut"]
    )


def place_order(base: str, quantity: int = 2) -> dict[str, Any]:
    """A kiosk order over REST: the `order:created` payload."""
    response = httpx.post(
        f"{base}/api/orders/",
        json={
            "items": [{"menuId": first_item(base)["id"], "quantity": quantity}],
            "payType": "CASH",
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def move(base: str, token: str, order_id: str, *statuses: str) -> None:
    """Move an order through `statuses` over REST, as a barista does."""
    for status in statuses:
        response = httpx.patch(
            f"{base}/api/orders/{order_id}/status/",
            json={"status": status},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text


@pytest.fixture
def server(server_database: tools.Database):
    """One server process in the embedded setup (no Redis)."""
    env = tools.server_env(server_database, None)
    with tools.servers(env, 1) as (one,):
        yield one


# The socket.io-client the original screens use (connection state recovery: 4.6+).
SOCKETIO_CLIENT_VERSION = "4.8.1"


def announce(base: str, token: str, message: str, room: str = "kiosk") -> int:
    response = httpx.post(
        f"{base}/api/realtime/announcements/",
        json={"room": room, "message": message},
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    assert response.status_code == 201, response.text
    return response.json()["seq"]


@pytest.fixture
def redis_servers(server_database: tools.Database, redis_url: str):
    """`start(count, **env)` -> that many servers sharing the database and Redis."""
    started: list[tools.Server] = []

    def start(
        count: int = 1, redis: str | None = None, **extra: str
    ) -> list[tools.Server]:
        env = tools.server_env(server_database, redis or redis_url, **extra)
        servers = [tools.Server(env).start() for _ in range(count)]
        started.extend(servers)
        return servers

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def socketio_client_dir() -> str:
    """socket.io-client from npm, installed once into a throwaway folder."""
    return tools.npm_package("socket.io-client", SOCKETIO_CLIENT_VERSION)
