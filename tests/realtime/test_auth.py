"""Socket authentication and the origin check (PROTOCOL sections 1 and 7)."""

from __future__ import annotations

from typing import Any

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import re_path

from realtime.auth import origin_allowed, request_host, websocket_stack


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000"),
        ("https://localhost", "localhost"),
        ("http://localhost", "localhost:80"),
        ("https://localhost:443", "localhost"),
        ("http://LOCALHOST:8000", "localhost:8000"),
        ("http://[::1]:8000", "[::1]:8000"),
    ],
)
def test_same_origin_of_an_allowed_host_passes(origin: str, host: str) -> None:
    assert origin_allowed(origin, host)


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        # An allowed host with another scheme or port is another origin.
        ("ftp://127.0.0.1:8000", "127.0.0.1:8000"),
        ("ws://127.0.0.1:8000", "127.0.0.1:8000"),
        ("http://127.0.0.1:9999", "127.0.0.1:8000"),
        ("https://127.0.0.1:8000", "127.0.0.1:80"),
        ("http://localhost:8000", "127.0.0.1:8000"),
        # Same origin, but a host that is not ours (DNS rebinding).
        ("http://evil.example:8000", "evil.example:8000"),
        # Origins that are no origin at all.
        ("null", "127.0.0.1:8000"),
        ("http://", "127.0.0.1:8000"),
        ("http://127.0.0.1:8000/path", "127.0.0.1:8000"),
        ("http://user@127.0.0.1:8000", "127.0.0.1:8000"),
        ("http://127.0.0.1:8000", "127.0.0.1:8000, evil.example"),
    ],
)
def test_other_origins_are_refused(origin: str, host: str) -> None:
    assert not origin_allowed(origin, host)


def test_clients_without_origin_pass() -> None:
    assert origin_allowed(None, "127.0.0.1:8000")
    assert origin_allowed(None, None)


def test_listed_origins_pass_from_any_host(settings: Any) -> None:
    settings.WEBSOCKET_ALLOWED_ORIGINS = ["https://kiosk.example"]
    assert origin_allowed("https://kiosk.example", "127.0.0.1:8000")
    assert not origin_allowed("http://kiosk.example", "127.0.0.1:8000")
    assert not origin_allowed("https://kiosk.example:8443", "127.0.0.1:8000")
    settings.WEBSOCKET_ALLOWED_ORIGINS = ["*"]
    assert origin_allowed("https://anything.example:1", "127.0.0.1:8000")


def test_behind_a_proxy_the_forwarded_host_counts_when_trusted(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["cafe.example"]
    headers = [(b"host", b"127.0.0.1:8000"), (b"x-forwarded-host", b"cafe.example")]
    settings.USE_X_FORWARDED_HOST = False
    assert not origin_allowed("https://cafe.example", request_host(headers))
    settings.USE_X_FORWARDED_HOST = True
    assert origin_allowed("https://cafe.example", request_host(headers))


def test_without_a_host_header_the_origin_must_be_an_allowed_host() -> None:
    # Only clients that are not browsers leave Host out; the scheme still counts.
    assert origin_allowed("http://127.0.0.1:8000", None)
    assert not origin_allowed("ftp://127.0.0.1:8000", None)
    assert not origin_allowed("https://evil.example", None)


async def _handshake(headers: list[tuple[bytes, bytes]]) -> bool:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})

    router = URLRouter([re_path(r"^ws/orders/$", app)])
    comm = WebsocketCommunicator(
        websocket_stack(router), "/ws/orders/", headers=headers
    )
    connected, _ = await comm.connect(timeout=3)
    await comm.disconnect()
    return connected


async def test_native_handshake_checks_origin_against_the_host_header(db: Any) -> None:
    host = (b"host", b"127.0.0.1:8000")
    assert await _handshake([host, (b"origin", b"http://127.0.0.1:8000")])
    assert not await _handshake([host, (b"origin", b"http://127.0.0.1:9999")])
    assert not await _handshake([host, (b"origin", b"ftp://127.0.0.1:8000")])
    assert await _handshake([host])


# -- a database outage while credentials are checked ----------------------------------


@pytest.fixture
def database_down(monkeypatch: Any) -> None:
    """User lookups fail as they do while PostgreSQL is unreachable."""
    from django.db import OperationalError
    from django.db.models.query import QuerySet

    def unreachable(self: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(QuerySet, "_fetch_all", unreachable)


async def test_auth_message_during_an_outage_gets_connection_failed(
    ws: Any, staff: Any, database_down: None
) -> None:
    from tests.conftest import token_for

    client = await ws("/ws/monitoring/")
    reply = await client.request("auth", {"token": token_for(staff)}, ref="a1")
    assert reply["event"] == "error"
    assert reply["data"]["code"] == "CONNECTION_FAILED"
    assert "unavailable" in reply["data"]["message"]
    # The socket stays open: the client may send `auth` again.
    assert (await client.request("ping", {"n": 1}, ref="p1"))["event"] == "pong"


async def test_query_token_during_an_outage_closes_1013_after_an_error(
    staff: Any, database_down: None
) -> None:
    from config.asgi import application
    from tests.conftest import token_for

    comm = WebsocketCommunicator(application, f"/ws/orders/?token={token_for(staff)}")
    connected, _ = await comm.connect(timeout=5)
    assert connected
    frame = await comm.receive_json_from(timeout=3)
    assert frame["event"] == "error"
    assert frame["data"]["code"] == "CONNECTION_FAILED"
    closed = await comm.receive_output(timeout=3)
    assert closed == {"type": "websocket.close", "code": 1013}


@pytest.mark.parametrize(
    "path", ["/ws/nowhere/", "/ws/orders/\x00", "/ws/" + "a/" * 2000]
)
async def test_a_socket_path_with_no_consumer_is_refused_at_the_handshake(
    path: str,
) -> None:
    from config.asgi import application

    comm = WebsocketCommunicator(application, path)
    connected, code = await comm.connect(timeout=5)
    assert not connected
    assert code == 4403
