from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group
from django.db.backends.utils import CursorWrapper

from tests import tools

# -- real services ---------------------------------------------------------


class RedisHandle:
    def __init__(self, url: str) -> None:
        self.url = url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """REDIS_URL when set, else a throwaway redis-server."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    if not tools.redis_available():
        tools.need("redis-server is not installed and REDIS_URL is not set")
    server = tools.RedisServer().start()
    try:
        yield server.url
    finally:
        server.cleanup()


@pytest.fixture
def own_redis() -> Iterator[tools.RedisServer]:
    """A Redis this test may stop and start again."""
    if not tools.redis_available():
        tools.need("redis-server is not installed")
    server = tools.RedisServer().start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def server_database() -> Iterator[tools.Database]:
    """A migrated database with the demo data, for server processes."""
    database = tools.Database()
    env = tools.server_env(database, None)
    tools.manage(env, "migrate", "--noinput")
    tools.manage(env, "seed_demo")
    try:
        yield database
    finally:
        database.drop()


# -- users and tokens ----------------------------------------------------------


@pytest.fixture
def count_queries(monkeypatch: Any) -> list[str]:
    """Every SQL statement run while the test runs, from any thread."""
    seen: list[str] = []
    original = CursorWrapper._execute_with_wrappers

    def counting(self: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(sql)
        return original(self, sql, *args, **kwargs)

    monkeypatch.setattr(CursorWrapper, "_execute_with_wrappers", counting)
    return seen


@pytest.fixture(autouse=True)
def _forget_token_users() -> Iterator[None]:
    """Users kept by the socket auth do not outlive a test (ids are reused)."""
    yield
    from realtime.auth import _users

    _users.clear()


@pytest.fixture(autouse=True)
def _forget_shared_status() -> Iterator[None]:
    """The public status read a process shares does not outlive a test."""
    yield
    from monitoring.selectors import forget_shared_status

    forget_shared_status()


@pytest.fixture
def make_user(django_user_model: Any) -> Callable[..., Any]:
    counter = {"n": 0}

    def make(
        username: str | None = None,
        *,
        staff: bool = False,
        groups: tuple[str, ...] = (),
    ) -> Any:
        counter["n"] += 1
        user = django_user_model.objects.create_user(
            username=username or f"user{counter['n']}", password="pw", is_staff=staff
        )
        for name in groups:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        return user

    return make


@pytest.fixture
def staff(make_user: Callable[..., Any]) -> Any:
    return make_user("staffer", staff=True)


@pytest.fixture
def barista(make_user: Callable[..., Any]) -> Any:
    return make_user("barista1", groups=("barista",))


def token_for(user: Any) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    return str(AccessToken.for_user(user))


# -- published events ------------------------------------------------------------


def published(room: str, event: str | None = None) -> list[dict[str, Any]]:
    """Frames stored for a room (optionally of one event), oldest first."""
    from realtime.models import RoomEvent

    rows = RoomEvent.objects.filter(room=room).order_by("seq")
    if event:
        rows = rows.filter(event=event)
    return [json.loads(r.frame) for r in rows]


# -- sockets in process ---------------------------------------------------------


class Client:
    """A WebsocketCommunicator speaking the Tidings envelope."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.comm = communicator

    async def send(self, event: str, data: Any = None, ref: str | None = None) -> None:
        frame: dict[str, Any] = {"event": event}
        if data is not None:
            frame["data"] = data
        if ref is not None:
            frame["ref"] = ref
        await self.comm.send_to(text_data=json.dumps(frame))

    async def send_raw(
        self, text: str | None = None, binary: bytes | None = None
    ) -> None:
        await self.comm.send_to(text_data=text, bytes_data=binary)

    async def recv(self, timeout: float = 3) -> dict[str, Any]:
        message = await self.comm.receive_output(timeout)
        if message["type"] == "websocket.close":
            raise AssertionError(f"socket closed with {message.get('code')}")
        return json.loads(message["text"])

    async def expect(self, event: str, timeout: float = 3) -> dict[str, Any]:
        frame = await self.recv(timeout)
        assert frame["event"] == event, frame
        return frame

    async def request(
        self, event: str, data: Any = None, ref: str = "r1"
    ) -> dict[str, Any]:
        await self.send(event, data, ref)
        while True:
            frame = await self.recv()
            if frame.get("ref") == ref:
                return frame

    async def expect_close(self, code: int, timeout: float = 3) -> list[dict[str, Any]]:
        """Frames received before the close, which must carry `code`."""
        frames = []
        while True:
            message = await self.comm.receive_output(timeout)
            if message["type"] == "websocket.close":
                assert message.get("code") == code, (message, frames)
                return frames
            frames.append(json.loads(message["text"]))

    async def nothing(self, timeout: float = 0.3) -> None:
        assert await self.comm.receive_nothing(timeout), "unexpected frame"

    async def close(self) -> None:
        await self.comm.disconnect()


@pytest.fixture
async def ws() -> AsyncIterator[Callable[..., Any]]:
    """Open in-process sockets: `await ws("/ws/orders/", token=...)` -> Client after `connected`."""
    from config.asgi import application

    opened: list[Client] = []

    async def open_socket(
        path: str = "/ws/orders/",
        *,
        token: str | None = None,
        query: str = "",
        headers: list[tuple[bytes, bytes]] | None = None,
        expect_connected: bool = True,
    ) -> Client:
        params = [p for p in [query, f"token={token}" if token else ""] if p]
        full = path + ("?" + "&".join(params) if params else "")
        comm = WebsocketCommunicator(application, full, headers=headers or [])
        connected, _ = await comm.connect(timeout=5)
        assert connected
        client = Client(comm)
        opened.append(client)
        if expect_connected:
            await client.expect("connected")
        return client

    yield open_socket
    for client in opened:
        try:
            await client.comm.disconnect(timeout=2)
        except Exception:
            pass


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: every tool a test needs must be there."""
    if not tools.IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        for report in skipped:
            print(f"\nCI: skipped test not allowed: {report.nodeid} {report.longrepr}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
