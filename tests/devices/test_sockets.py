"""Screen tokens on the native sockets (`/ws/orders/`, `/ws`): rooms of the role only,
explicit errors for what a connection may not see, and revoking closes at once."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from devices import services, watch
from orders import services as order_services
from tests.orders.conftest import make_cafe

pytestmark = pytest.mark.django_db(transaction=True)

KITCHEN_NEEDS = (
    "The kitchen room needs a barista or staff login, "
    "or a kitchen-display (or staff-app) screen token"
)


@pytest.fixture
async def shop(transactional_db):
    return await sync_to_async(make_cafe)()


@pytest.fixture
async def revocations(transactional_db):
    """This loop's revocation watch, as each server process starts it."""
    return await watch.start()


@sync_to_async
def device(role: str, name: str = "Screen") -> services.Issued:
    return services.device_create(name=name, role=role)


@sync_to_async
def place(cafe):
    return order_services.order_create(items=[cafe.line()], pay_type="CARD")


async def settled(client) -> None:
    """The socket has joined its rooms: it answers in order, after connecting."""
    assert (await client.request("ping", {"n": 1}, ref="settled"))["event"] == "pong"


@sync_to_async
def revoke(issued: services.Issued) -> bool:
    return services.device_revoke(device_id=issued.device.pk)


async def test_a_kitchen_display_token_joins_kitchen_and_gets_new_orders(ws, shop):
    issued = await device("kitchen_display")
    client = await ws(token=issued.token)
    reply = await client.request("join_room", {"roomType": "kitchen"})
    assert reply["event"] == "join_room_success", reply
    order = await place(shop)
    frame = await client.expect("order:created")
    assert frame["room"] == "kitchen" and frame["data"]["orderId"] == order.pk
    refused = await client.request("join_room", {"roomType": "admin"}, ref="r2")
    assert refused["data"]["code"] == "UNAUTHORIZED"


async def test_the_auth_message_takes_a_screen_token(ws, shop):
    issued = await device("kitchen_display", "Tablet 2")
    client = await ws()
    reply = await client.request("auth", {"token": issued.token})
    assert reply["event"] == "auth_success"
    assert reply["data"]["user"] == {
        "id": None,
        "name": "Tablet 2",
        "device": {"id": issued.device.pk, "role": "kitchen_display"},
    }
    joined = await client.request("join_room", {"roomType": "kitchen"}, ref="r2")
    assert joined["event"] == "join_room_success"


@pytest.mark.parametrize("role", ["kiosk", "pickup_board"])
async def test_kiosk_and_pickup_tokens_cannot_join_kitchen(ws, shop, role):
    issued = await device(role)
    client = await ws(token=issued.token)
    refused = await client.request("join_room", {"roomType": "kitchen"})
    assert refused["event"] == "error"
    assert refused["data"]["code"] == "UNAUTHORIZED"
    assert refused["data"]["message"] == KITCHEN_NEEDS
    kiosk = await client.request("join_room", {"roomType": "kiosk"}, ref="r2")
    assert kiosk["event"] == "join_room_success"


async def test_an_anonymous_kitchen_join_says_what_it_needs(ws, shop):
    client = await ws()
    refused = await client.request("join_room", {"roomType": "kitchen"})
    assert refused["data"] == {**refused["data"], "code": "UNAUTHORIZED"}
    assert refused["data"]["message"] == KITCHEN_NEEDS
    admin = await client.request("join_room", {"roomType": "admin"}, ref="r2")
    assert "staff-app screen token" in admin["data"]["message"]


async def test_a_revoked_token_is_refused_at_connect(ws, shop):
    issued = await device("kitchen_display")
    await revoke(issued)
    client = await ws(token=issued.token, expect_connected=False)
    frames = await client.expect_close(4401)
    assert frames[-1]["event"] == "error"
    assert frames[-1]["data"]["message"] == "Invalid token: Invalid screen token"


async def test_revoking_closes_the_open_socket_at_once(ws, shop, revocations):
    issued = await device("kitchen_display")
    other = await device("kitchen_display", "Other tablet")
    client = await ws(token=issued.token)
    bystander = await ws(token=other.token)
    for socket in (client, bystander):
        joined = await socket.request("join_room", {"roomType": "kitchen"})
        assert joined["event"] == "join_room_success"
    await revoke(issued)
    frames = await client.expect_close(4401)
    assert frames[-1]["event"] == "error"
    assert frames[-1]["data"]["code"] == "UNAUTHORIZED"
    assert "revoked" in frames[-1]["data"]["message"]
    # The other device's socket stays, and still gets the kitchen's events.
    order = await place(shop)
    frame = await bystander.expect("order:created")
    assert frame["data"]["orderId"] == order.pk


async def test_a_principal_read_before_revoking_cannot_join_after(ws, shop):
    # No watch here: the join itself asks whether the token still holds.
    issued = await device("kitchen_display")
    client = await ws(token=issued.token)
    await revoke(issued)
    refused = await client.request("join_room", {"roomType": "kitchen"})
    assert refused["data"]["code"] == "UNAUTHORIZED"


# -- `/ws`: the plain socket of the original kiosk/admin app ------------------------


async def test_plain_socket_anonymous_gets_one_notice_then_kiosk_events(ws, shop):
    client = await ws("/ws")
    notice = await client.expect("notice")
    assert notice["data"]["code"] == "UNAUTHORIZED"
    assert "staff-app or kitchen-display screen token" in notice["data"]["message"]
    assert notice["data"]["rooms"] == ["kitchen", "admin"]
    await settled(client)
    await place(shop)
    await client.nothing()


async def test_plain_socket_staff_app_token_gets_order_events_without_notice(ws, shop):
    issued = await device("staff_app", "Admin app")
    client = await ws("/ws", token=issued.token)
    await settled(client)
    order = await place(shop)
    frame = await client.recv()
    assert frame["event"] == "order:created", frame
    assert frame["data"]["orderId"] == order.pk
    # Sent to kitchen and admin, received once.
    await client.nothing()


async def test_plain_socket_kitchen_display_by_auth_message(ws, shop):
    issued = await device("kitchen_display")
    client = await ws("/ws")
    await client.expect("notice")
    reply = await client.request("auth", {"token": issued.token})
    assert reply["event"] == "auth_success"
    await settled(client)
    order = await place(shop)
    frame = await client.expect("order:created")
    assert frame["data"]["orderId"] == order.pk


async def test_plain_socket_kiosk_token_gets_the_notice(ws, shop):
    issued = await device("kiosk")
    client = await ws("/ws", token=issued.token)
    notice = await client.expect("notice")
    assert notice["data"]["code"] == "UNAUTHORIZED"


async def test_plain_socket_barista_gets_no_notice(ws, shop, barista):
    from tests.conftest import token_for

    client = await ws("/ws", token=await sync_to_async(token_for)(barista))
    await client.nothing()


async def test_plain_socket_of_a_revoked_token_is_closed(ws, shop, revocations):
    issued = await device("staff_app")
    client = await ws("/ws", token=issued.token)
    await revoke(issued)
    frames = await client.expect_close(4401)
    assert frames[-1]["data"]["code"] == "UNAUTHORIZED"


async def test_a_screen_token_is_no_chat_login(ws, shop):
    issued = await device("staff_app")
    client = await ws("/ws/chat/?sessionId=1")
    await client.send("auth", {"token": issued.token})
    frames = await client.expect_close(4403)
    assert frames[-1]["data"]["code"] == "UNAUTHORIZED"
