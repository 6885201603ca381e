"""The monitoring socket: staff only, subscribe verbs mapped onto rooms."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from monitoring import services
from monitoring.services import CheckOutcome
from tests.conftest import token_for

pytestmark = pytest.mark.django_db(transaction=True)

OK = CheckOutcome(status_code=200, response_time=12)


@sync_to_async
def endpoint(name: str):  # type: ignore[no-untyped-def]
    return services.endpoint_create(data={"name": name, "url": "http://127.0.0.1:9/"})


@sync_to_async
def check(ep, outcome: CheckOutcome = OK) -> None:  # type: ignore[no-untyped-def]
    services.check_record(endpoint_id=ep.pk, outcome=outcome)


@pytest.fixture
async def staff_socket(ws, staff):  # type: ignore[no-untyped-def]
    return await ws("/ws/monitoring/", token=await sync_to_async(token_for)(staff))


async def test_non_staff_socket_is_refused_with_4403(ws, make_user):
    user = await sync_to_async(make_user)("pat")
    client = await ws("/ws/monitoring/", token=await sync_to_async(token_for)(user))
    frames = await client.expect_close(4403)
    assert frames[-1]["event"] == "error"
    assert frames[-1]["data"]["code"] == "UNAUTHORIZED"


async def test_non_staff_auth_message_is_refused_with_4403(ws, make_user):
    user = await sync_to_async(make_user)("pat")
    client = await ws("/ws/monitoring/")
    await client.send("auth", {"token": await sync_to_async(token_for)(user)})
    await client.expect("auth_success")
    await client.expect_close(4403)


async def test_subscribe_endpoint_gets_only_that_endpoints_events(staff_socket):
    a, b = await endpoint("A"), await endpoint("B")
    reply = await staff_socket.request("subscribe:endpoint", {"endpointId": a.pk}, "s1")
    assert reply["event"] == "subscribe_success"
    assert reply["data"]["room"] == f"endpoint:{a.pk}"
    await check(b)
    await check(a)
    first = await staff_socket.expect("check:completed")
    assert first["data"]["endpointId"] == a.pk and first["room"] == f"endpoint:{a.pk}"
    changed = await staff_socket.expect("endpoint:status-changed")
    assert changed["data"]["endpointId"] == a.pk
    await staff_socket.nothing()


async def test_subscribe_all_gets_every_endpoint(staff_socket):
    reply = await staff_socket.request("subscribe:all", {}, "s1")
    assert reply["event"] == "subscribe_success" and reply["ref"] == "s1"
    a = await endpoint("A")
    created = await staff_socket.expect("endpoint:created")
    assert created["data"]["endpoint"]["id"] == a.pk and created["room"] == "endpoints"
    b = await endpoint("B")
    await staff_socket.expect("endpoint:created")
    await check(a)
    await check(b)
    seen = []
    for _ in range(4):
        frame = await staff_socket.recv()
        seen.append((frame["event"], frame["data"]["endpointId"]))
    assert seen == [
        ("check:completed", a.pk),
        ("endpoint:status-changed", a.pk),
        ("check:completed", b.pk),
        ("endpoint:status-changed", b.pk),
    ]


async def test_subscribe_missing_endpoint_is_not_found(staff_socket):
    reply = await staff_socket.request("subscribe:endpoint", {"endpointId": 4242}, "s1")
    assert reply["event"] == "error" and reply["data"]["code"] == "NOT_FOUND"
    bad = await staff_socket.request("subscribe:endpoint", {"endpointId": "x y"}, "s2")
    assert bad["data"]["code"] == "VALIDATION_ERROR"


async def test_unsubscribe_stops_events(staff_socket):
    a = await endpoint("A")
    await staff_socket.request("subscribe:endpoint", {"endpointId": a.pk}, "s1")
    await staff_socket.request("subscribe:all", {}, "s2")
    reply = await staff_socket.request(
        "unsubscribe:endpoint", {"endpointId": a.pk}, "u1"
    )
    assert reply["event"] == "unsubscribe_success"
    reply = await staff_socket.request("unsubscribe:all", {}, "u2")
    assert reply["event"] == "unsubscribe_success"
    assert reply["data"]["rooms"] == ["endpoints"]
    await check(a)
    await staff_socket.nothing()
    again = await staff_socket.request(
        "unsubscribe:endpoint", {"endpointId": a.pk}, "u3"
    )
    assert again["data"]["code"] == "NOT_FOUND"


async def test_join_room_works_for_monitoring_rooms(staff_socket):
    reply = await staff_socket.request("join_room", {"roomType": "endpoints"}, "j1")
    assert reply["event"] == "join_room_success"
    a = await endpoint("A")
    await staff_socket.expect("endpoint:created")
    assert a.pk
