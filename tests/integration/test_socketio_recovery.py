"""Socket.IO screens that reconnect by themselves and recover what they missed.

The real socket.io-client from npm with its default reconnection and
connection state recovery (PROTOCOL section 10), against real servers.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.faultproxy import FaultProxy
from tests.integration.conftest import place_order
from tests.integration.test_socketio_gateway import NodeClient
from tests.tools import login


async def no_more(client: NodeClient, event: str, within: float = 1.0) -> None:
    with pytest.raises(TimeoutError):
        await client.next("event", event, timeout=within)


async def joined_kitchen(client: NodeClient) -> None:
    first = await client.next("connect")
    assert first["recovered"] is False
    await client.emit("join_kitchen", {"roomType": "kitchen"})
    await client.next("event", "Join_room_success")


async def test_a_dropped_kitchen_screen_comes_back_recovered_with_the_order_once(
    server, socketio_client_dir
):
    token = login(server.base, "barista")
    client = await NodeClient.start(
        socketio_client_dir, server.base, auth={"token": token}, reconnection=True
    )
    try:
        await joined_kitchen(client)
        await client.drop()
        gone = await client.next("disconnect")
        assert gone["active"] is True  # the client reconnects by itself
        order = await asyncio.to_thread(place_order, server.base)

        back = await client.next("connect", timeout=15)
        assert back["recovered"] is True
        welcome = await client.next("event", "reconnect_success")
        assert welcome["args"][0]["message"] and welcome["args"][0]["timestamp"]
        new_order = await client.next("event", "new_order")
        assert new_order["args"][0]["orderId"] == order["orderId"]
        offset = new_order["args"][-1]
        assert isinstance(offset, str) and "kitchen=" in offset
        await no_more(client, "new_order")

        # Live events go on after the recovery, in order.
        later = await asyncio.to_thread(place_order, server.base)
        live = await client.next("event", "new_order")
        assert live["args"][0]["orderId"] == later["orderId"]
        assert live["args"][1]["seq"] == new_order["args"][1]["seq"] + 1
    finally:
        await client.close()


async def test_recovery_across_two_processes(redis_servers, socketio_client_dir):
    a, b = redis_servers(2)
    token = login(a.base, "barista")
    proxy = FaultProxy(a.port).start()
    client = await NodeClient.start(
        socketio_client_dir,
        f"http://127.0.0.1:{proxy.port}",
        auth={"token": token},
        reconnection=True,
        transports=["websocket"],
    )
    try:
        await joined_kitchen(client)
        first = await asyncio.to_thread(place_order, a.base)
        seen = await client.next("event", "new_order")
        assert seen["args"][0]["orderId"] == first["orderId"]

        # Process a's connection drops; the client comes back through b.
        proxy.cut()
        await client.next("disconnect")
        missed = [await asyncio.to_thread(place_order, b.base) for _ in range(2)]
        proxy.target_port = b.port
        proxy.restore()

        back = await client.next("connect", timeout=15)
        assert back["recovered"] is True
        replayed = [await client.next("event", "new_order") for _ in missed]
        assert [r["args"][0]["orderId"] for r in replayed] == [
            o["orderId"] for o in missed
        ]
        await no_more(client, "new_order")
    finally:
        await client.close()
        proxy.close()


async def test_a_screen_closed_by_the_rate_limit_reconnects_by_itself(
    server, socketio_client_dir
):
    token = login(server.base, "barista")
    client = await NodeClient.start(
        socketio_client_dir,
        server.base,
        auth={"token": token},
        reconnection=True,
        transports=["websocket"],
    )
    try:
        await joined_kitchen(client)
        for i in range(130):
            await client.emit("ping", {"i": i})
        limited = await client.next("event", "error")
        assert limited["args"][0]["code"] == "RATE_LIMITED"
        gone = await client.next("disconnect")
        assert gone["reason"] == "transport close"
        back = await client.next("connect", timeout=5)
        assert back["recovered"] is True
        order = await asyncio.to_thread(place_order, server.base)
        new_order = await client.next("event", "new_order")
        assert new_order["args"][0]["orderId"] == order["orderId"]
    finally:
        await client.close()


async def test_a_refused_login_is_final_and_says_so(server, socketio_client_dir):
    client = await NodeClient.start(
        socketio_client_dir, server.base, reconnection=True, transports=["websocket"]
    )
    try:
        await client.next("connect")
        await client.emit("auth", {"token": "not-a-token"})
        error = await client.next("event", "error")
        assert error["args"][0]["code"] == "UNAUTHORIZED"
        assert "reconnecting will not help" in error["args"][0]["message"]
        gone = await client.next("disconnect")
        assert gone["reason"] == "io server disconnect" and gone["active"] is False
        with pytest.raises(TimeoutError):
            await client.next("reconnect_attempt", timeout=2)
    finally:
        await client.close()


async def test_a_stolen_private_id_recovers_nothing(server, socketio_client_dir):
    """A pid is bound to its user: another client that presents it starts afresh."""
    token = login(server.base, "barista")
    owner = await NodeClient.start(
        socketio_client_dir,
        server.base,
        auth={"token": token},
        reconnection=True,
        transports=["websocket"],
    )
    try:
        await joined_kitchen(owner)
        order = await asyncio.to_thread(place_order, server.base)
        new_order = await owner.next("event", "new_order")
        assert new_order["args"][0]["orderId"] == order["orderId"]
        pid = await pid_of(owner)
        await owner.close()

        thief = await NodeClient.start(
            socketio_client_dir,
            server.base,
            auth={"pid": pid, "offset": "kitchen=0"},
            transports=["websocket"],
        )
        try:
            connected = await thief.next("connect")
            assert connected["recovered"] is False
            await asyncio.to_thread(place_order, server.base)
            await no_more(thief, "new_order")
        finally:
            await thief.close()
    finally:
        await owner.close()


async def pid_of(client: NodeClient) -> str:
    """The private id the client holds (as its reconnect would send it)."""
    assert client.proc.stdin is not None
    client.proc.stdin.write(b'{"pid": true}\n')
    await client.proc.stdin.drain()
    return str((await client.next("pid"))["pid"])


@pytest.mark.parametrize(
    "auth",
    [
        {"pid": "x" * 5000, "offset": "kitchen=1"},
        {"pid": 7, "offset": {"kitchen": 1}},
        {"pid": ["a"], "offset": None},
        {"pid": "a", "offset": "kitchen=\u0663"},
        {"pid": "", "offset": "|" * 20000},
    ],
)
async def test_hostile_private_ids_and_offsets_start_a_fresh_session(
    server, socketio_client_dir, auth
):
    client = await NodeClient.start(
        socketio_client_dir, server.base, auth=auth, transports=["websocket"]
    )
    try:
        connected = await client.next("connect")
        assert connected["recovered"] is False
        ack = await client.ack(
            await client.emit("join_room", {"roomType": "kiosk"}, ack=True)
        )
        assert ack == [None]
    finally:
        await client.close()


async def test_a_lone_surrogate_in_the_connect_packet_is_refused_clearly(
    server, socketio_client_dir
):
    client = await NodeClient.start(
        socketio_client_dir,
        server.base,
        auth={"pid": "\ud800"},
        transports=["websocket"],
    )
    try:
        refused = await client.next("connect_error")
        assert refused["data"]["code"] == "VALIDATION_ERROR"
    finally:
        await client.close()
