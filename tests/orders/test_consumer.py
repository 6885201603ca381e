"""The orders rooms on the orders socket: who may join, and what reaches them."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async

from menus import services as menu_services
from orders import services
from tests.conftest import token_for
from tests.orders.conftest import make_cafe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def shop(transactional_db):
    return await sync_to_async(make_cafe)()


@sync_to_async
def place(cafe, **kwargs):
    return services.order_create(items=[cafe.line()], pay_type="CARD", **kwargs)


async def test_anonymous_socket_cannot_join_kitchen_or_admin(ws, shop):
    client = await ws()
    for room in ("kitchen", "admin"):
        reply = await client.request("join_room", {"roomType": room})
        assert reply["event"] == "error"
        assert reply["data"]["code"] == "UNAUTHORIZED"


async def test_plain_user_cannot_join_kitchen(ws, make_user, shop):
    user = await sync_to_async(make_user)("walker")
    client = await ws(token=await sync_to_async(token_for)(user))
    reply = await client.request("join_room", {"roomType": "kitchen"})
    assert reply["data"]["code"] == "UNAUTHORIZED"


async def test_barista_in_kitchen_receives_new_orders(ws, barista, shop):
    client = await ws(token=await sync_to_async(token_for)(barista))
    reply = await client.request("join_room", {"roomType": "kitchen"})
    assert reply["event"] == "join_room_success"
    order = await place(shop)
    frame = await client.expect("order:created")
    assert frame["room"] == "kitchen"
    assert frame["data"]["orderId"] == order.pk and frame["data"]["dailyNum"] == 1


async def test_barista_cannot_join_admin_but_staff_can(ws, barista, staff, shop):
    client = await ws(token=await sync_to_async(token_for)(barista))
    assert (await client.request("join_room", {"roomType": "admin"}))[
        "event"
    ] == "error"
    client = await ws(token=await sync_to_async(token_for)(staff))
    assert (await client.request("join_room", {"roomType": "admin"}))[
        "event"
    ] == "join_room_success"


async def test_anyone_holding_an_order_id_follows_it_to_ready(ws, shop):
    order = await place(shop)
    client = await ws()
    reply = await client.request(
        "join_room", {"roomType": "order", "orderId": order.pk}
    )
    assert reply["event"] == "join_room_success"
    assert reply["data"]["room"] == f"order:{order.pk}"
    for status in ("MAKING", "READY"):
        await sync_to_async(services.order_status_change)(
            order_id=order.pk, status=status
        )
    making = await client.expect("order:status_changed")
    assert making["data"]["status"] == "MAKING"
    ready = await client.expect("order:status_changed")
    assert (ready["data"]["status"], ready["data"]["previousStatus"]) == (
        "READY",
        "MAKING",
    )
    final = await client.expect("order:ready")
    assert final["data"]["dailyNum"] == order.daily_num
    await client.nothing()


async def test_unknown_order_id_is_not_found(ws, shop):
    client = await ws()
    reply = await client.request(
        "join_room", {"roomType": "order", "orderId": "abcDEF123456"}
    )
    assert reply["event"] == "error" and reply["data"]["code"] == "NOT_FOUND"


async def test_order_room_needs_a_well_formed_id(ws, shop):
    client = await ws()
    reply = await client.request("join_room", {"roomType": "order", "orderId": "../x"})
    assert reply["data"]["code"] == "VALIDATION_ERROR"


async def test_kiosk_room_gets_sold_out_and_settings_changes(ws, shop, staff):
    client = await ws()
    await client.request("join_room", {"roomType": "kiosk"})
    await sync_to_async(menu_services.menu_item_set_sold_out)(
        menu_id=shop.latte.pk, is_sold_out=True
    )
    frame = await client.expect("menu:sold_out_changed")
    assert (
        frame["data"]["menuName"] == "Cafe Latte" and frame["data"]["isSoldOut"] is True
    )
    await sync_to_async(services.setting_set)(
        key="is_kiosk_active", value=False, actor=staff
    )
    frame = await client.expect("settings:changed")
    assert frame["data"]["value"] == "false"


async def test_anyone_may_watch_the_pickup_board_and_sees_no_order_ids(ws, shop):
    client = await ws()
    reply = await client.request("join_room", {"roomType": "pickup"})
    assert reply["event"] == "join_room_success"
    assert reply["data"]["room"] == "pickup"
    order = await place(shop)
    for status in ("MAKING", "READY"):
        await sync_to_async(services.order_status_change)(
            order_id=order.pk, status=status
        )
    frames = [await client.expect("pickup:status_changed") for _ in range(3)]
    assert [(f["data"]["dailyNum"], f["data"]["status"]) for f in frames] == [
        (1, "PENDING"),
        (1, "MAKING"),
        (1, "READY"),
    ]
    for frame in frames:
        assert frame["room"] == "pickup"
        assert set(frame["data"]) == {"dailyNum", "businessDay", "status", "updatedAt"}
        assert order.pk not in json.dumps(frame) and "orderId" not in json.dumps(frame)
    # Nothing else reaches the board: no order:created, no order:ready.
    await client.nothing()


async def test_the_pickup_board_replays_what_it_missed(ws, shop):
    client = await ws()
    seq = (await client.request("join_room", {"roomType": "pickup"}))["data"]["seq"]
    await client.close()
    order = await place(shop)
    await sync_to_async(services.order_cancel)(order_id=order.pk, reason="x")
    client = await ws()
    await client.send("join_room", {"roomType": "pickup", "lastSeq": seq}, "j")
    statuses = [
        (await client.expect("pickup:status_changed"))["data"]["status"]
        for _ in range(2)
    ]
    assert statuses == ["PENDING", "CANCELLED"]


async def test_customer_replays_missed_events_with_last_seq(ws, shop):
    order = await place(shop)
    client = await ws()
    reply = await client.request(
        "join_room", {"roomType": "order", "orderId": order.pk}
    )
    seq = reply["data"]["seq"]
    await client.close()
    await sync_to_async(services.order_status_change)(
        order_id=order.pk, status="MAKING"
    )
    client = await ws()
    await client.send(
        "join_room", {"roomType": "order", "orderId": order.pk, "lastSeq": seq}, "j"
    )
    frame = await client.expect("order:status_changed")
    assert frame["seq"] == seq + 1


async def test_socketio_clients_of_the_original_services_may_watch_the_board(shop):
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    comm = WebsocketCommunicator(
        application,
        "/socket.io/?EIO=4&transport=websocket",
        headers=[(b"upgrade", b"websocket"), (b"connection", b"Upgrade")],
    )
    connected, _ = await comm.connect()
    assert connected

    async def packet(prefix: str) -> str:
        while True:
            message = await comm.receive_output(timeout=3)
            assert message["type"] == "websocket.send", message
            text = message.get("text") or ""
            if text == "2":  # Engine.IO ping
                await comm.send_to(text_data="3")
            elif text.startswith(prefix):
                return text

    await packet("0{")
    await comm.send_to(text_data="40")
    await packet("40")
    await comm.send_to(text_data='421["join_room",{"roomType":"pickup"}]')
    assert await packet("431") == "431[null]"
    order = await place(shop)
    # The event, its payload, then {room, seq} (and what the gateway adds after).
    name, data, meta = json.loads((await packet('42["pickup:'))[2:])[:3]
    assert name == "pickup:status_changed" and meta["room"] == "pickup"
    assert (data["dailyNum"], data["status"]) == (1, "PENDING")
    assert order.pk not in json.dumps(data)
    await comm.disconnect()
