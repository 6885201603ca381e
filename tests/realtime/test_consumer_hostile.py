"""Hostile input on the native sockets: every failure goes through the one close path.

Each socket kind (`/ws`, `/ws/orders/`, `/ws/chat/`, `/ws/monitoring/`) gets
frames an attacker or a careless client would send; none may crash the
socket, leak its rooms, presence or stats, or be answered with silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from realtime import stats
from realtime.hub import get_hub
from tests.chat.factories import session_with
from tests.conftest import Client, token_for

pytestmark = pytest.mark.django_db(transaction=True)

DEEP = "[" * 1000 + "]" * 1000


def current_connections() -> int:
    return int(stats.snapshot()["connections"]["current"])


def members(room: str) -> int:
    return len(get_hub().rooms.get(room, ()))


async def settle(predicate: Callable[[], bool], timeout: float = 3) -> bool:
    """Wait (bounded) until `predicate()` holds; cleanup runs on the event loop."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


@pytest.fixture
async def sock() -> AsyncIterator[Callable[..., Any]]:
    """`await sock(path, token=, query=, address=, app=)` -> Client (after `connected`)."""
    from config.asgi import application

    opened: list[WebsocketCommunicator] = []

    async def open_socket(
        path: str = "/ws/orders/",
        *,
        token: str | None = None,
        query: str = "",
        address: str | None = "10.0.0.1",
        app: Any = None,
        expect_connected: bool = True,
    ) -> Client:
        params = [p for p in [query, f"token={token}" if token else ""] if p]
        full = path + ("?" + "&".join(params) if params else "")
        comm = WebsocketCommunicator(app or application, full)
        if address is not None:
            comm.scope["client"] = (address, 40000 + len(opened))
        opened.append(comm)
        connected, _ = await comm.connect(timeout=5)
        assert connected
        client = Client(comm)
        if expect_connected:
            await client.expect("connected")
        return client

    yield open_socket
    for comm in opened:
        if comm.future.done():
            continue
        try:
            await comm.disconnect(timeout=2)
        except (Exception, asyncio.CancelledError):
            pass


@pytest.fixture
async def people(make_user: Callable[..., Any]) -> dict[str, Any]:
    @sync_to_async
    def make() -> dict[str, Any]:
        alice = make_user("alice")
        bob = make_user("bob")
        staff = make_user("staffer", staff=True)
        session = session_with(alice, bob)
        from monitoring import services

        endpoint = services.endpoint_create(
            data={"name": "Target", "url": "http://127.0.0.1:9/health"}
        )
        return {
            "alice": token_for(alice),
            "staff": token_for(staff),
            "session": session.pk,
            "endpoint": endpoint.pk,
        }

    return await make()


async def open_kind(
    sock: Callable[..., Any], kind: str, people: dict[str, Any]
) -> Client:
    """A socket of one kind, ready for client events."""
    if kind == "chat":
        client = await sock(
            "/ws/chat/", token=people["alice"], query=f"sessionId={people['session']}"
        )
        await client.expect("presence:joined")
        return client
    if kind == "monitoring":
        return await sock("/ws/monitoring/", token=people["staff"])
    if kind == "kiosk-app":
        client = await sock("/ws")
        # Anonymous: told once that order events need a screen token or login.
        await client.expect("notice")
        return client
    return await sock("/ws/orders/")


KINDS = ["kiosk-app", "orders", "chat", "monitoring"]


# -- item 1: one close path ----------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_deeply_nested_frame_is_a_validation_error_and_the_socket_stays(
    sock, people, kind
):
    client = await open_kind(sock, kind, people)
    await client.send_raw(DEEP)
    frame = await client.expect("error")
    assert frame["data"]["code"] == "VALIDATION_ERROR"
    assert (await client.request("ping", {}, ref="after"))["event"] == "pong"


@pytest.mark.parametrize("kind", KINDS)
async def test_thousand_deep_frames_leak_nothing(sock, people, kind):
    baseline = current_connections()
    client = await open_kind(sock, kind, people)
    rooms_before = {room: members(room) for room in list(get_hub().rooms)}
    assert current_connections() == baseline + 1
    for _ in range(20):
        await client.send_raw(DEEP)
        assert (await client.expect("error"))["data"]["code"] == "VALIDATION_ERROR"
    await client.close()
    assert await settle(lambda: current_connections() == baseline)
    assert await settle(
        lambda: all(members(room) == n - 1 for room, n in rooms_before.items())
    ), get_hub().rooms


def _broken(method: str) -> type:
    """An orders consumer whose `method` raises what no code path expects."""
    from orders.consumers import OrdersConsumer

    class Broken(OrdersConsumer):
        async def on_ready(self) -> None:
            await self.join_kiosk()
            if method == "on_ready":
                raise RuntimeError("boom in on_ready")

        async def join_kiosk(self) -> None:
            from orders.rooms import KIOSK

            await self.join(KIOSK, "kiosk", None, None)

        async def receive(self, text_data=None, bytes_data=None) -> None:  # type: ignore[no-untyped-def]
            if method == "receive" and text_data == "explode":
                raise RuntimeError("boom in receive")
            if method == "writer" and text_data == "explode":

                async def fail() -> None:
                    raise RuntimeError("boom in the writer")

                self.after_queue(fail)
                return
            await super().receive(text_data, bytes_data)

    return Broken


@pytest.mark.parametrize("method", ["receive", "writer"])
async def test_an_exception_escaping_the_consumer_closes_1011_and_cleans_up(
    sock, method, caplog
):
    baseline = current_connections()
    client = await sock(app=_broken(method).as_asgi())
    assert await settle(lambda: members("kiosk") == 1)
    assert current_connections() == baseline + 1
    await client.send_raw("explode")
    frames = await client.expect_close(1011)
    assert frames[-1]["event"] == "error"
    assert frames[-1]["data"]["code"] == "INTERNAL_ERROR"
    assert "boom" not in frames[-1]["data"]["message"]
    assert await settle(lambda: current_connections() == baseline)
    assert members("kiosk") == 0


async def test_an_exception_while_connecting_closes_1011_and_cleans_up(sock):
    baseline = current_connections()
    client = await sock(app=_broken("on_ready").as_asgi())
    frames = await client.expect_close(1011)
    assert frames[-1]["data"]["code"] == "INTERNAL_ERROR"
    assert await settle(lambda: current_connections() == baseline)
    assert members("kiosk") == 0


async def test_cleanup_runs_once_even_without_websocket_disconnect(sock):
    from orders.consumers import OrdersConsumer

    made: list[Any] = []

    class Counted(OrdersConsumer):
        async def connect(self) -> None:
            made.append(self)
            await super().connect()

    baseline = current_connections()
    client = await sock(app=Counted.as_asgi())
    await client.request("join_room", {"roomType": "kiosk"})
    assert members("kiosk") == 1
    # The server drops the application without a websocket.disconnect.
    client.comm.future.cancel()
    assert await settle(lambda: client.comm.future.done())
    assert await settle(lambda: current_connections() == baseline)
    assert members("kiosk") == 0
    # A second disconnect (the Socket.IO gateway calls it itself) changes nothing.
    await made[0].disconnect(1000)
    assert current_connections() == baseline


async def test_chat_presence_is_released_after_a_hostile_frame(sock, people):
    from chat import presence

    client = await open_kind(sock, "chat", people)
    session = str(people["session"])
    assert len(await presence.get_store().online(session)) == 1
    await client.send_raw(DEEP)
    await client.expect("error")
    await client.close()

    async def gone() -> bool:
        return not await presence.get_store().online(session)

    for _ in range(100):
        if await gone():
            break
        await asyncio.sleep(0.01)
    assert await gone()


# -- item 7: strict text and ids ------------------------------------------------

SURROGATE = '{"event": "ping", "data": {"x": "\\ud800"}, "ref": "s"}'


@pytest.mark.parametrize("kind", KINDS)
async def test_lone_surrogate_is_a_validation_error(sock, people, kind):
    client = await open_kind(sock, kind, people)
    await client.send_raw(SURROGATE)
    frame = await client.expect("error")
    assert frame["data"]["code"] == "VALIDATION_ERROR"
    assert (await client.request("ping", {}, ref="after"))["event"] == "pong"


async def test_chat_message_with_lone_surrogate_is_a_validation_error(sock, people):
    client = await open_kind(sock, "chat", people)
    await client.send_raw('{"event": "message", "data": {"content": "\\ud800"}}')
    frame = await client.expect("error")
    assert frame["data"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "raw",
    [
        '{"event": "message", "data": {"content": "a\\u0000b"}}',
        '{"event": "message", "data": {"content": "hi", "clientId": "\\u0000"}}',
        '{"event": "edit_message", "data": {"messageId": 1, "content": "\\u0000"}}',
        '{"event": "ping", "data": {"\\u0000": 1}}',
    ],
)
async def test_a_nul_character_anywhere_is_a_validation_error(sock, people, raw):
    # PostgreSQL text cannot hold one: refused as the frame is read, as REST does.
    client = await open_kind(sock, "chat", people)
    await client.send_raw(raw)
    frame = await client.expect("error")
    assert frame["data"]["code"] == "VALIDATION_ERROR"
    assert "NUL" in frame["data"]["message"]
    assert (await client.request("ping", {}, ref="after"))["event"] == "pong"


@pytest.mark.parametrize(
    "ident", ["1" * 31, "²", "٣", "7\n", "0", "-1", str(2**63), " 7"]
)
async def test_chat_join_with_a_bad_session_id_is_a_validation_error(
    sock, people, ident
):
    client = await open_kind(sock, "chat", people)
    reply = await client.request("join_room", {"roomType": "chat", "sessionId": ident})
    assert reply["event"] == "error"
    assert reply["data"]["code"] == "VALIDATION_ERROR", reply


@pytest.mark.parametrize("ident", ["1" * 31, "²", "٣", str(2**63)])
async def test_chat_connect_with_a_bad_session_id_is_refused_4403(sock, people, ident):
    from urllib.parse import quote

    baseline = current_connections()
    client = await sock(
        "/ws/chat/",
        token=people["alice"],
        query=f"sessionId={quote(ident)}",
        expect_connected=False,
    )
    frames = await client.expect_close(4403)
    assert frames[-1]["data"]["code"] == "VALIDATION_ERROR"
    assert await settle(lambda: current_connections() == baseline)


@pytest.mark.parametrize("last_seq", ["²", "1" * 31])
async def test_chat_connect_with_a_bad_last_seq_is_refused_4403(sock, people, last_seq):
    from urllib.parse import quote

    client = await sock(
        "/ws/chat/",
        token=people["alice"],
        query=f"sessionId={people['session']}&lastSeq={quote(last_seq)}",
        expect_connected=False,
    )
    frames = await client.expect_close(4403)
    assert frames[-1]["data"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("ident", ["1" * 31, "²", "٣", "7\n", 0, -3, "0x1f", 1.5])
@pytest.mark.parametrize("verb", ["subscribe:endpoint", "unsubscribe:endpoint"])
async def test_monitoring_endpoint_id_is_parsed_strictly(sock, people, ident, verb):
    client = await open_kind(sock, "monitoring", people)
    reply = await client.request(verb, {"endpointId": ident})
    assert reply["event"] == "error"
    assert reply["data"]["code"] == "VALIDATION_ERROR", reply


@pytest.mark.parametrize("ident", ["1" * 31, "²", "٣", "7\n"])
async def test_monitoring_join_room_endpoint_id_is_parsed_strictly(sock, people, ident):
    client = await open_kind(sock, "monitoring", people)
    reply = await client.request(
        "join_room", {"roomType": "endpoint", "endpointId": ident}
    )
    assert reply["data"]["code"] == "VALIDATION_ERROR", reply
    assert not [room for room in get_hub().rooms if room.startswith("endpoint:")]


async def test_a_valid_endpoint_id_still_subscribes(sock, people):
    client = await open_kind(sock, "monitoring", people)
    for ident in (people["endpoint"], str(people["endpoint"])):
        reply = await client.request("subscribe:endpoint", {"endpointId": ident})
        assert reply["event"] == "subscribe_success"
        assert reply["data"]["room"] == f"endpoint:{people['endpoint']}"


@pytest.mark.parametrize("ident", ["abc\n", "ab c", "ä" * 3, "x" * 65])
async def test_order_id_is_parsed_strictly(sock, ident):
    client = await sock()
    reply = await client.request("join_room", {"roomType": "order", "orderId": ident})
    assert reply["data"]["code"] == "VALIDATION_ERROR", reply


# -- item 8: limits that count ---------------------------------------------------


async def test_restore_rooms_counts_every_room_toward_the_rate_limit(sock, settings):
    settings.TIDINGS = {**settings.TIDINGS, "RATE_LIMIT": 10}
    client = await sock()
    rooms = [{"roomType": "kiosk"}] * 30
    await client.send("restore_rooms", {"rooms": rooms}, ref="rr")
    frames = []
    while True:
        frame = await client.recv()
        frames.append(frame)
        if frame["event"] == "restore_rooms_success":
            break
    limited = [f for f in frames if f["data"].get("code") == "RATE_LIMITED"]
    assert limited and limited[0]["ref"] == "rr"
    assert frames[-1]["data"]["restoredCount"] == 10
    # The window is used up: the next message is refused too.
    reply = await client.request("ping", {}, ref="p")
    assert reply["event"] == "error" and reply["data"]["code"] == "RATE_LIMITED"


async def test_connections_per_address_are_limited_with_4429(sock, settings, caplog):
    settings.TIDINGS = {**settings.TIDINGS, "MAX_CONNECTIONS_PER_ADDRESS": 3}
    baseline = current_connections()
    mine = [await sock(address="10.9.9.9") for _ in range(3)]
    with caplog.at_level(logging.INFO, logger="tidings.socket"):
        extra = await sock(address="10.9.9.9", expect_connected=False)
        frames = await extra.expect_close(4429)
    assert frames[-1]["data"]["code"] == "RATE_LIMITED"
    hits = [r for r in caplog.records if getattr(r, "event", None) == "limit.hit"]
    assert hits and hits[0].limit == "connections_per_address"
    assert hits[0].address == "10.9.9.9"
    # Another address is not affected.
    other = await sock(address="10.9.9.10")
    assert (await other.request("ping", {}))["event"] == "pong"
    # A slot frees up when a socket closes.
    await mine[0].close()
    assert await settle(lambda: current_connections() == baseline + 3)
    again = await sock(address="10.9.9.9")
    assert (await again.request("ping", {}))["event"] == "pong"


async def test_messages_per_address_are_limited_across_its_sockets(sock, settings):
    settings.TIDINGS = {
        **settings.TIDINGS,
        "ADDRESS_RATE_LIMIT": 20,
        "RATE_LIMIT_GRACE": 5,
    }
    sockets = [await sock(address="10.8.8.8") for _ in range(4)]
    for i in range(10):
        for client in sockets:
            await client.send("ping", {"i": i})
    # 40 messages from one address: about 20 pass, the rest are refused
    # (spread over the sockets, each stays within its grace and stays open).
    outcomes = [
        (await client.recv())["data"].get("code", "pong")
        for client in sockets
        for _ in range(10)
    ]
    assert 20 <= outcomes.count("pong") <= 23, outcomes
    assert outcomes.count("RATE_LIMITED") == 40 - outcomes.count("pong")
    # Another address is not affected.
    other = await sock(address="10.8.8.9")
    assert (await other.request("ping", {}))["event"] == "pong"


async def test_address_rate_limit_closes_4429_after_the_grace(sock, settings):
    settings.TIDINGS = {
        **settings.TIDINGS,
        "ADDRESS_RATE_LIMIT": 5,
        "RATE_LIMIT_GRACE": 3,
    }
    a = await sock(address="10.7.7.7")
    b = await sock(address="10.7.7.7")
    for i in range(5):
        await a.send("ping", {"i": i})
    for _ in range(5):
        assert (await a.recv())["event"] == "pong"
    for i in range(10):
        await b.send("ping", {"i": i})
    frames = await b.expect_close(4429)
    assert all(f["data"]["code"] == "RATE_LIMITED" for f in frames)


# -- logs -------------------------------------------------------------------------


async def test_open_close_and_refused_frames_are_logged_with_fields(
    sock, people, caplog
):
    with caplog.at_level(logging.DEBUG, logger="tidings.socket"):
        client = await sock(token=people["staff"], address="10.6.6.6")
        await client.request("join_room", {"roomType": "kiosk"})
        await client.send_raw(DEEP)
        await client.expect("error")
        await client.close()
        assert await settle(
            lambda: any(
                getattr(r, "event", None) == "socket.closed" for r in caplog.records
            )
        )
    records = {r.event: r for r in caplog.records if hasattr(r, "event")}
    opened, refused, closed = (
        records["socket.opened"],
        records["frame.refused"],
        records["socket.closed"],
    )
    assert opened.address == "10.6.6.6" and opened.path == "/ws/orders/"
    assert opened.user_id is not None and len(opened.connection_id) == 32
    assert refused.error_code == "VALIDATION_ERROR"
    assert closed.rooms == ["kiosk"] and closed.frames_in == 2
    assert closed.frames_out >= 3 and closed.duration_ms >= 0
    assert closed.close_code == 1000
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert people["staff"] not in text and "[[[" not in text
    for record in caplog.records:
        assert people["staff"] not in str(record.__dict__)


async def test_a_client_that_goes_away_is_not_logged_as_an_error(sock, caplog):
    from uvicorn.protocols.utils import ClientDisconnected

    from orders.consumers import OrdersConsumer

    class GoneClient(OrdersConsumer):
        async def send_text(self, text: str) -> None:
            if '"pong"' in text:
                raise ClientDisconnected()
            await super().send_text(text)

    client = await sock(app=GoneClient.as_asgi())
    with caplog.at_level(logging.DEBUG):
        await client.send("ping", {})
        await client.send("ping", {})
        await client.close()
        await asyncio.sleep(0.05)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], [
        r.getMessage() for r in caplog.records
    ]


class FakeSocketIOServer:
    """What a SocketIOConnection needs of python-socketio: emit and the two closes."""

    def __init__(self) -> None:
        self.emitted: list[tuple[str, Any]] = []
        self.disconnected: list[str] = []  # Socket.IO DISCONNECT (final)
        self.transport_closed: list[str] = []  # the client reconnects by itself
        self.manager = SimpleNamespace(eio_sid_from_sid=lambda sid, ns: f"eio-{sid}")
        self.eio = SimpleNamespace(disconnect=self._close_transport, sockets={})

    async def emit(self, name: str, args: Any, to: str) -> None:
        self.emitted.append((name, args))

    async def disconnect(self, sid: str) -> None:
        self.disconnected.append(sid)

    async def _close_transport(self, eio_sid: str) -> None:
        self.transport_closed.append(eio_sid)


async def test_socketio_sessions_get_the_per_address_limits(settings):
    from django.contrib.auth.models import AnonymousUser

    from realtime.socketio_gateway import SocketIOConnection

    settings.TIDINGS = {**settings.TIDINGS, "MAX_CONNECTIONS_PER_ADDRESS": 1}
    baseline = current_connections()
    server = FakeSocketIOServer()
    scope = {
        "type": "websocket",
        "path": "/socket.io/",
        "query_string": b"",
        "headers": [],
        "client": ("10.5.5.5", 1234),
        "user": AnonymousUser(),
    }
    first = SocketIOConnection(server, "sid-1", dict(scope))  # type: ignore[arg-type]
    second = SocketIOConnection(server, "sid-2", dict(scope))  # type: ignore[arg-type]
    await first.connect()
    await second.connect()
    # Not final: the transport closes and socket.io-client may come back later.
    assert await settle(lambda: server.transport_closed == ["eio-sid-2"])
    assert server.disconnected == []
    errors = [args for name, args in server.emitted if name == "error"]
    assert errors and errors[-1]["code"] == "RATE_LIMITED"
    assert await settle(lambda: current_connections() == baseline + 1)
    await first.disconnect(1000)
    await first.disconnect(1000)  # the gateway may report it twice: counted once
    assert current_connections() == baseline
