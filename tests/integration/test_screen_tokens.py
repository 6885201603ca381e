"""Screen tokens against a real server: socket.io-client from npm (`auth: {token}`)
and the plain `/ws` socket, as the original kitchen screen and kiosk/admin app use
them; revoking a token closes its open connections at once."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import websockets

from tests import tools
from tests.integration.conftest import Socket, place_order
from tests.integration.test_socketio_gateway import NodeClient
from tests.tools import login

KITCHEN_NEEDS = "kitchen-display (or staff-app) screen token"
# The socket.io-client of the original screens.
CLIENT_VERSION = "4.8.1"


@pytest.fixture(scope="session")
def sio_dir() -> str:
    return tools.npm_package("socket.io-client", CLIENT_VERSION)


def create_device(base: str, role: str, name: str = "Screen") -> dict[str, Any]:
    response = httpx.post(
        f"{base}/api/devices/",
        json={"name": name, "role": role},
        headers={"Authorization": f"Bearer {login(base, 'admin')}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def revoke_device(base: str, device_id: int) -> None:
    response = httpx.post(
        f"{base}/api/devices/{device_id}/revoke/",
        headers={"Authorization": f"Bearer {login(base, 'admin')}"},
        timeout=10,
    )
    assert response.status_code == 200 and response.json()["revoked"], response.text


def refused_for_credentials(error: dict[str, Any]) -> bool:
    return "UNAUTHORIZED" in (error.get("code"), error.get("reason"))


async def test_kitchen_display_token_joins_kitchen_and_gets_new_order(server, sio_dir):
    device = await asyncio.to_thread(create_device, server.base, "kitchen_display")
    client = await NodeClient.start(
        sio_dir, server.base, auth={"token": device["token"]}
    )
    try:
        await client.next("connect")
        await client.emit("join_kitchen", {"roomType": "kitchen"})
        joined = await client.next("event", "Join_room_success")
        assert joined["args"][0]["roomType"] == "kitchen"
        order = await asyncio.to_thread(place_order, server.base)
        new_order = await client.next("event", "new_order")
        assert new_order["args"][0]["orderId"] == order["orderId"]
        # What the seed's kitchen screen does next: mark it over REST.
        for status in ("MAKING", "READY"):
            moved = httpx.patch(
                f"{server.base}/api/orders/{order['orderId']}/status/",
                json={"status": status},
                headers={"Authorization": f"Bearer {device['token']}"},
                timeout=10,
            )
            assert moved.status_code == 200, moved.text
    finally:
        await client.close()


async def test_kiosk_token_and_anonymous_cannot_join_kitchen(server, sio_dir):
    device = await asyncio.to_thread(create_device, server.base, "kiosk")
    for options in ({"auth": {"token": device["token"]}}, {}):
        client = await NodeClient.start(
            sio_dir, server.base, transports=["websocket"], **options
        )
        try:
            await client.next("connect")
            ack = await client.ack(
                await client.emit("join_kitchen", {"roomType": "kitchen"}, ack=True)
            )
            assert refused_for_credentials(ack[0]), ack
            assert KITCHEN_NEEDS in ack[0]["message"]
            error = await client.next("event", "error")
            assert KITCHEN_NEEDS in error["args"][0]["message"]
            kiosk = await client.ack(
                await client.emit("join_kitchen", {"roomType": "kiosk"}, ack=True)
            )
            assert kiosk == [None]
        finally:
            await client.close()


async def test_revoking_disconnects_the_socketio_client_and_refuses_the_token(
    server, sio_dir
):
    device = await asyncio.to_thread(create_device, server.base, "kitchen_display")
    client = await NodeClient.start(
        sio_dir,
        server.base,
        auth={"token": device["token"]},
        transports=["websocket"],
    )
    try:
        await client.next("connect")
        await client.emit("join_kitchen", {"roomType": "kitchen"})
        await client.next("event", "Join_room_success")
        await asyncio.to_thread(revoke_device, server.base, device["device"]["id"])
        error = await client.next("event", "error")
        assert error["args"][0]["code"] == "UNAUTHORIZED"
        assert "revoked" in error["args"][0]["message"]
        gone = await client.next("disconnect")
        assert gone["reason"] == "io server disconnect"
    finally:
        await client.close()
    again = await NodeClient.start(
        sio_dir,
        server.base,
        auth={"token": device["token"]},
        transports=["websocket"],
    )
    try:
        refused = await again.next("connect_error")
        assert refused["data"]["code"] == "UNAUTHORIZED"
    finally:
        await again.close()


async def test_plain_socket_staff_app_token_and_revoke_close_4401(server):
    device = await asyncio.to_thread(create_device, server.base, "staff_app")
    plain = await Socket.open(f"{server.ws}/ws?token={device['token']}")
    anonymous = await Socket.open(f"{server.ws}/ws")
    try:
        notice = await anonymous.expect("notice")
        assert "staff-app or kitchen-display screen token" in notice["data"]["message"]
        assert (await plain.request("ping", {}))["event"] == "pong"
        order = await asyncio.to_thread(place_order, server.base)
        created = await plain.expect("order:created")
        assert created["data"]["orderId"] == order["orderId"]
        await asyncio.to_thread(revoke_device, server.base, device["device"]["id"])
        error = await plain.expect("error")
        assert error["data"]["code"] == "UNAUTHORIZED"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await plain.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    finally:
        await plain.close()
        await anonymous.close()


async def test_revoking_through_one_server_closes_sockets_on_another(
    redis_servers, sio_dir
):
    a, b = redis_servers(2)
    device = await asyncio.to_thread(create_device, a.base, "kitchen_display")
    native = await Socket.open(f"{b.ws}/ws/orders/?token={device['token']}")
    client = await NodeClient.start(
        sio_dir, b.base, auth={"token": device["token"]}, transports=["websocket"]
    )
    try:
        joined = await native.request("join_room", {"roomType": "kitchen"})
        assert joined["event"] == "join_room_success"
        await client.next("connect")
        await client.emit("join_kitchen", {"roomType": "kitchen"})
        await client.next("event", "Join_room_success")
        await asyncio.to_thread(revoke_device, a.base, device["device"]["id"])
        error = await native.expect("error")
        assert error["data"]["code"] == "UNAUTHORIZED"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await native.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
        assert (await client.next("disconnect"))["reason"] == "io server disconnect"
    finally:
        await native.close()
        await client.close()
