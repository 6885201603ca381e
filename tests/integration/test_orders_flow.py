"""An order travels from REST to the kitchen and customer sockets of a real server."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.conftest import Socket, first_item, move, place_order
from tests.tools import login


async def test_order_reaches_kitchen_then_customer_sees_it_ready(server):
    token = login(server.base, "barista")
    kitchen = await Socket.open(f"{server.ws}/ws/orders/?token={token}")
    reply = await kitchen.request("join_room", {"roomType": "kitchen"})
    assert reply["event"] == "join_room_success", reply

    order = place_order(server.base, quantity=2)
    created = await kitchen.expect("order:created")
    assert created["room"] == "kitchen"
    assert created["data"]["orderId"] == order["orderId"]
    assert created["data"]["dailyNum"] == order["dailyNum"]
    assert created["data"]["items"][0]["quantity"] == 2

    customer = await Socket.open(f"{server.ws}/ws/orders/")
    reply = await customer.request(
        "join_room", {"roomType": "order", "orderId": order["orderId"]}
    )
    assert reply["event"] == "join_room_success", reply

    move(server.base, token, order["orderId"], "MAKING", "READY")

    making = await customer.expect("order:status_changed")
    assert making["data"]["status"] == "MAKING"
    ready = await customer.expect("order:status_changed")
    assert ready["data"]["status"] == "READY"
    assert ready["data"]["previousStatus"] == "MAKING"
    done = await customer.expect("order:ready")
    assert done["room"] == f"order:{order['orderId']}"
    assert done["data"] == {
        "orderId": order["orderId"],
        "dailyNum": order["dailyNum"],
        "status": "READY",
        "updatedAt": done["data"]["updatedAt"],
    }
    await kitchen.close()
    await customer.close()


async def test_non_barista_cannot_join_kitchen(server):
    anonymous = await Socket.open(f"{server.ws}/ws/orders/")
    reply = await anonymous.request("join_room", {"roomType": "kitchen"})
    assert reply["event"] == "error" and reply["data"]["code"] == "UNAUTHORIZED"
    alice = await Socket.open(
        f"{server.ws}/ws/orders/?token={login(server.base, 'alice')}"
    )
    reply = await alice.request("join_room", {"roomType": "kitchen"})
    assert reply["event"] == "error" and reply["data"]["code"] == "UNAUTHORIZED"
    await anonymous.close()
    await alice.close()


async def test_unknown_order_id_is_not_found(server):
    sock = await Socket.open(f"{server.ws}/ws/orders/")
    reply = await sock.request("join_room", {"roomType": "order", "orderId": "x" * 16})
    assert reply["data"]["code"] == "NOT_FOUND"
    await sock.close()


@pytest.mark.redis
async def test_order_placed_on_one_server_reaches_a_kitchen_on_another(redis_servers):
    one, two = redis_servers(2)
    token = login(two.base, "barista")
    kitchen = await Socket.open(f"{two.ws}/ws/orders/?token={token}")
    reply = await kitchen.request("join_room", {"roomType": "kitchen"})
    assert reply["event"] == "join_room_success", reply
    item = first_item(one.base)
    response = httpx.post(
        f"{one.base}/api/orders/",
        json={"items": [{"menuId": item["id"]}], "payType": "CARD"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    created = await kitchen.expect("order:created")
    assert created["data"]["orderId"] == response.json()["orderId"]
    await kitchen.close()
