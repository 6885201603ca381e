"""The orders socket speaks every row of PROTOCOL section 4 and every error of section 7."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction
from rest_framework_simplejwt.tokens import AccessToken

import realtime
from tests.conftest import token_for

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def publish(room: str, event: str = "announcement", data: dict | None = None) -> int:
    with transaction.atomic():
        return realtime.publish(room, event, data or {"n": 1})


async def test_connected_carries_connection_id_and_heartbeat_settings(ws):
    client = await ws(expect_connected=False)
    frame = await client.expect("connected")
    assert len(frame["data"]["connectionId"]) == 32
    assert frame["data"]["heartbeatInterval"] == 30000
    assert frame["data"]["heartbeatTimeout"] == 15000
    assert "seq" not in frame


async def test_resume_sends_reconnect_success(ws):
    client = await ws(query="resume=abc123")
    frame = await client.expect("reconnect_success")
    assert frame["data"]["message"]


async def test_ping_answers_pong_with_same_data_and_ref(ws):
    client = await ws()
    reply = await client.request("ping", {"at": 5}, ref="p-1")
    assert reply == {"event": "pong", "data": {"at": 5}, "ref": "p-1"}


async def test_join_kiosk_and_receive_room_events_with_seq(ws):
    client = await ws()
    reply = await client.request("join_room", {"roomType": "kiosk"})
    assert reply["event"] == "join_room_success"
    assert reply["data"]["room"] == "kiosk"
    seq = await publish("kiosk")
    frame = await client.expect("announcement")
    assert frame["room"] == "kiosk" and frame["seq"] == seq


async def test_join_kitchen_alias_with_room_type(ws, barista):
    client = await ws(token=await sync_to_async(token_for)(barista))
    reply = await client.request("join_kitchen", {"roomType": "kitchen"})
    assert reply["event"] == "join_room_success"
    assert reply["data"]["room"] == "kitchen"


async def test_forbidden_room_is_unauthorized_and_socket_stays_open(ws):
    client = await ws()
    reply = await client.request("join_room", {"roomType": "kitchen"})
    assert reply["event"] == "error"
    assert reply["data"]["code"] == "UNAUTHORIZED"
    assert (await client.request("ping", {}, ref="after"))["event"] == "pong"


async def test_admin_room_needs_staff(ws, staff, barista):
    barista_client = await ws(token=await sync_to_async(token_for)(barista))
    assert (await barista_client.request("join_room", {"roomType": "admin"}))["data"][
        "code"
    ] == "UNAUTHORIZED"
    staff_client = await ws(token=await sync_to_async(token_for)(staff))
    assert (await staff_client.request("join_room", {"roomType": "admin"}))[
        "event"
    ] == "join_room_success"


async def test_leave_room_stops_events(ws):
    client = await ws()
    await client.request("join_room", {"roomType": "kiosk"})
    reply = await client.request("leave_room", {"roomType": "kiosk"}, ref="l")
    assert reply["event"] == "leave_room_success"
    assert reply["data"]["room"] == "kiosk"
    await publish("kiosk")
    await client.nothing()


async def test_leave_room_not_joined_fails(ws):
    client = await ws()
    reply = await client.request("leave_room", {"roomType": "kiosk"})
    assert reply["data"]["code"] == "ROOM_LEAVE_FAILED"


async def test_join_with_last_seq_replays_missed_events_first(ws):
    for _ in range(3):
        await publish("kiosk")
    client = await ws()
    await client.send("join_room", {"roomType": "kiosk", "lastSeq": 1}, ref="j")
    first, second = await client.recv(), await client.recv()
    assert [first["seq"], second["seq"]] == [2, 3]
    success = await client.expect("join_room_success")
    assert success["data"]["seq"] == 3 and success["ref"] == "j"


async def test_restore_rooms_replays_then_confirms(ws, barista):
    await publish("kiosk")
    await publish("kitchen")
    await publish("kitchen")
    client = await ws(token=await sync_to_async(token_for)(barista))
    await client.send(
        "restore_rooms",
        {
            "rooms": [
                {"roomType": "kiosk", "lastSeq": 0},
                {"roomType": "kitchen", "lastSeq": 1},
            ]
        },
        ref="rr",
    )
    frames = [await client.recv() for _ in range(3)]
    assert [(f["event"], f.get("room"), f.get("seq")) for f in frames[:2]] == [
        ("announcement", "kiosk", 1),
        ("announcement", "kitchen", 2),
    ]
    success = frames[2]
    assert success["event"] == "restore_rooms_success"
    assert success["data"]["restoredCount"] == 2
    assert success["data"]["replayedCount"] == 2
    assert success["ref"] == "rr"


async def test_last_seq_beyond_history_gets_resync_required(ws):
    for _ in range(3):
        await publish("kiosk")

    @sync_to_async
    def prune_first_two() -> None:
        from realtime.models import RoomEvent

        RoomEvent.objects.filter(room="kiosk", seq__lte=2).delete()

    await prune_first_two()
    client = await ws()
    await client.send("join_room", {"roomType": "kiosk", "lastSeq": 0})
    frame = await client.expect("resync_required")
    assert frame["data"] == {"roomType": "kiosk", "room": "kiosk", "seq": 3}
    await client.expect("join_room_success")
    await publish("kiosk")
    assert (await client.expect("announcement"))["seq"] == 4


async def test_heartbeat_ack_keeps_socket_open_and_silence_closes_4408(ws, settings):
    settings.TIDINGS = {
        **settings.TIDINGS,
        "HEARTBEAT_INTERVAL": 0.2,
        "HEARTBEAT_TIMEOUT": 0.3,
    }
    good = await ws()
    bad = await ws()
    for _ in range(3):
        await good.expect("heartbeat", timeout=2)
        await good.send("heartbeat_ack")
    await bad.expect("heartbeat", timeout=2)
    frames = await bad.expect_close(4408, timeout=3)
    assert frames[-1]["event"] == "error"
    assert (await good.request("ping", {}))["event"] == "pong"


async def test_auth_message_upgrades_anonymous_socket(ws, barista):
    client = await ws()
    token = await sync_to_async(token_for)(barista)
    reply = await client.request("auth", {"token": token})
    assert reply["event"] == "auth_success"
    assert reply["data"]["user"]["name"] == "barista1"
    assert (await client.request("join_room", {"roomType": "kitchen"}, ref="k"))[
        "event"
    ] == "join_room_success"


async def test_the_guides_typed_ping_and_auth_frames(ws, barista):
    """The WebSocket guide (seed 004) sends {type: 'ping'} and {type: 'auth', token}."""
    client = await ws()
    await client.send_raw(json.dumps({"type": "ping"}))
    pong = await client.expect("pong")
    assert pong == {"type": "pong", "event": "pong", "data": {}}
    token = await sync_to_async(token_for)(barista)
    await client.send_raw(json.dumps({"type": "auth", "token": token}))
    assert (await client.expect("auth_success"))["data"]["user"]["name"] == "barista1"
    await client.send_raw(json.dumps({"type": "auth", "token": "forged"}))
    frames = await client.expect_close(4401)
    assert frames[-1]["data"]["code"] == "UNAUTHORIZED"


async def test_auth_message_with_bad_token_closes_4401(ws):
    client = await ws()
    await client.send("auth", {"token": "not-a-jwt"})
    frames = await client.expect_close(4401)
    assert frames[0]["data"]["code"] == "UNAUTHORIZED"


async def test_bad_jwt_in_query_closes_4401(ws):
    client = await ws(token="abc.def.ghi", expect_connected=False)
    frames = await client.expect_close(4401)
    assert frames[-1]["data"]["code"] == "UNAUTHORIZED"


async def test_expired_jwt_closes_4401(ws, barista):
    @sync_to_async
    def expired() -> str:
        token = AccessToken.for_user(barista)
        token.set_exp(lifetime=-timedelta(minutes=1))
        return str(token)

    client = await ws(token=await expired(), expect_connected=False)
    frames = await client.expect_close(4401)
    assert "expired" in frames[-1]["data"]["message"].lower()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "VALIDATION_ERROR"),
        ("[1, 2, 3]", "VALIDATION_ERROR"),
        ('"just a string"', "VALIDATION_ERROR"),
        ('{"data": {}}', "VALIDATION_ERROR"),
        ('{"event": 5}', "VALIDATION_ERROR"),
        ('{"event": "join_room", "data": "kiosk"}', "VALIDATION_ERROR"),
        ('{"event": "join_room", "data": {}}', "VALIDATION_ERROR"),
        ('{"event": "join_room", "data": {"roomType": 7}}', "VALIDATION_ERROR"),
        ('{"event": "join_room", "data": {"roomType": "nope"}}', "VALIDATION_ERROR"),
        (
            '{"event": "join_room", "data": {"roomType": "kiosk", "lastSeq": "x"}}',
            "VALIDATION_ERROR",
        ),
        ('{"event": "restore_rooms", "data": {"rooms": "all"}}', "VALIDATION_ERROR"),
        ('{"event": "auth", "data": {}}', "VALIDATION_ERROR"),
        ('{"event": "fly_to_moon", "data": {}}', "UNKNOWN_EVENT"),
    ],
)
async def test_bad_input_gets_its_error_code_and_socket_keeps_working(ws, raw, code):
    client = await ws()
    await client.send_raw(raw)
    frame = await client.expect("error")
    assert frame["data"]["code"] == code
    assert frame["data"]["message"] and frame["data"]["timestamp"]
    assert (await client.request("ping", {}))["event"] == "pong"


async def test_error_reply_carries_ref(ws):
    client = await ws()
    reply = await client.request("nope", {}, ref="x-9")
    assert reply["event"] == "error" and reply["ref"] == "x-9"


async def test_binary_frame_is_refused(ws):
    client = await ws()
    await client.send_raw(binary=b"\x00\x01")
    frame = await client.expect("error")
    assert frame["data"]["code"] == "VALIDATION_ERROR"
    assert (await client.request("ping", {}))["event"] == "pong"


async def test_one_mib_frame_closes_4413_and_others_keep_receiving(ws):
    other = await ws()
    await other.request("join_room", {"roomType": "kiosk"})
    big = await ws()
    await big.send_raw(
        json.dumps({"event": "ping", "data": {"x": "a" * (1024 * 1024)}})
    )
    await big.expect_close(4413)
    seq = await publish("kiosk")
    assert (await other.expect("announcement"))["seq"] == seq


async def test_flood_is_rate_limited_then_closed_4429_and_others_unaffected(ws):
    other = await ws()
    await other.request("join_room", {"roomType": "kiosk"})
    flooder = await ws()
    for i in range(200):
        await flooder.send("ping", {"i": i})
    frames = await flooder.expect_close(4429, timeout=5)
    pongs = [f for f in frames if f["event"] == "pong"]
    limited = [
        f
        for f in frames
        if f["event"] == "error" and f["data"]["code"] == "RATE_LIMITED"
    ]
    assert len(pongs) == 100
    assert len(limited) >= 1
    seq = await publish("kiosk")
    assert (await other.expect("announcement"))["seq"] == seq


async def test_batch_is_handled_in_order_with_a_reply_each(ws):
    client = await ws()
    batch = {
        "messages": [
            {"event": "ping", "data": {"n": 1}, "ref": "a"},
            {"event": "nope", "ref": "b"},
            {"event": "join_room", "data": {"roomType": "kiosk"}, "ref": "c"},
        ]
    }
    await client.send("batch", batch)
    first, second, third = await client.recv(), await client.recv(), await client.recv()
    assert (first["event"], first["ref"]) == ("pong", "a")
    assert (second["event"], second["data"]["code"], second["ref"]) == (
        "error",
        "UNKNOWN_EVENT",
        "b",
    )
    assert (third["event"], third["ref"]) == ("join_room_success", "c")


async def test_guide_form_batch_and_oversized_batch(ws):
    client = await ws()
    await client.send_raw(
        json.dumps({"type": "batch", "messages": [{"event": "ping", "ref": "g"}]})
    )
    assert (await client.recv())["ref"] == "g"
    await client.send("batch", {"messages": [{"event": "ping"}] * 51}, ref="too-many")
    frame = await client.expect("error")
    assert frame["data"]["code"] == "VALIDATION_ERROR" and frame["ref"] == "too-many"


async def test_live_event_after_gap_fetches_missing_events_from_history(ws):
    client = await ws()
    await client.request("join_room", {"roomType": "kiosk"})

    @sync_to_async
    def publish_quietly() -> None:
        # Stored and committed, but never handed to the channel layer.
        from realtime import outbox

        with transaction.atomic():
            seq = outbox._next_seq("kiosk")
            outbox.RoomEvent.objects.create(
                room="kiosk",
                seq=seq,
                event="announcement",
                frame=outbox.encode(
                    {"event": "announcement", "data": {}, "room": "kiosk", "seq": seq}
                ),
            )

    await publish_quietly()
    await publish("kiosk")
    assert [(await client.recv())["seq"], (await client.recv())["seq"]] == [1, 2]


async def test_rolled_back_transaction_publishes_nothing(ws):
    client = await ws()
    await client.request("join_room", {"roomType": "kiosk"})

    @sync_to_async
    def publish_then_fail() -> None:
        try:
            with transaction.atomic():
                realtime.publish("kiosk", "announcement", {"doomed": True})
                raise RuntimeError("rollback")
        except RuntimeError:
            pass

    await publish_then_fail()
    await client.nothing(0.3)
    seq = await publish("kiosk")
    assert seq == 1
    assert (await client.expect("announcement"))["data"] == {"n": 1}


async def test_cross_origin_browser_socket_is_refused(ws):
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    comm = WebsocketCommunicator(
        application, "/ws/orders/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _code = await comm.connect(timeout=3)
    assert not connected
    good = WebsocketCommunicator(
        application, "/ws/orders/", headers=[(b"origin", b"http://127.0.0.1:8000")]
    )
    assert (await good.connect(timeout=3))[0]
    await good.disconnect()


async def test_slow_client_queue_overflow_closes_1013(ws, settings):
    settings.TIDINGS = {**settings.TIDINGS, "SEND_QUEUE_MAX": 5}
    client = await ws()
    await client.request("join_room", {"roomType": "kiosk"})
    from realtime.hub import get_hub

    hub = get_hub()
    # Event 1 never arrived live, so event 2 waits on a read of the history;
    # the live events arriving meanwhile pile up behind it, past the bound.
    for seq in range(2, 12):
        text = json.dumps({"event": "x", "seq": seq})
        hub.dispatch({"room": "kiosk", "seq": seq, "event": "x", "text": text})
    frames = await client.expect_close(1013, timeout=3)
    # Only the event being written got out; what waited behind it was dropped
    # (it comes back by replay), and an error says why.
    assert [(f["event"], f.get("seq")) for f in frames] == [("x", 2), ("error", None)]
    assert frames[1]["data"]["code"] == "CONNECTION_FAILED"
    await asyncio.sleep(0)


async def test_joining_twice_before_the_replay_ran_replays_once(ws):
    for _ in range(2):
        await publish("kiosk")
    client = await ws()
    await client.send("join_room", {"roomType": "kiosk", "lastSeq": 0}, ref="a")
    await client.send("join_room", {"roomType": "kiosk", "lastSeq": 0}, ref="b")
    frames = [await client.recv() for _ in range(4)]
    assert [f.get("seq") for f in frames if f["event"] == "announcement"] == [1, 2]
    assert [f.get("ref") for f in frames if f["event"] == "join_room_success"] == [
        "a",
        "b",
    ]
    await client.nothing()


async def test_restore_rooms_reports_each_room_it_could_not_join(ws):
    client = await ws()
    await client.send(
        "restore_rooms",
        {
            "rooms": [
                {"roomType": "kiosk"},
                {"roomType": "kitchen"},
                {"roomType": "nope"},
                7,
            ]
        },
        ref="rr",
    )
    frames = [await client.recv() for _ in range(4)]
    codes = [f["data"]["code"] for f in frames if f["event"] == "error"]
    assert codes == ["UNAUTHORIZED", "ROOM_JOIN_FAILED", "ROOM_JOIN_FAILED"]
    success = frames[-1]
    assert success["event"] == "restore_rooms_success"
    assert success["data"]["restoredCount"] == 1


async def test_a_failing_handler_answers_internal_error_and_keeps_the_socket():
    from channels.testing import WebsocketCommunicator

    from orders.consumers import OrdersConsumer

    class Broken(OrdersConsumer):
        events = {"explode": "handle_explode"}

        async def handle_explode(self, data, ref):
            raise RuntimeError("boom")

    comm = WebsocketCommunicator(Broken.as_asgi(), "/ws/orders/")
    assert (await comm.connect(timeout=3))[0]
    await comm.receive_json_from()  # connected
    await comm.send_json_to({"event": "explode", "ref": "x"})
    reply = await comm.receive_json_from()
    assert reply["event"] == "error" and reply["data"]["code"] == "INTERNAL_ERROR"
    assert reply["ref"] == "x" and "boom" not in reply["data"]["message"]
    await comm.send_json_to({"event": "ping", "ref": "p"})
    assert (await comm.receive_json_from())["event"] == "pong"
    await comm.disconnect()


async def test_session_cookie_authenticates_a_browser_socket(ws, barista):
    @sync_to_async
    def session_cookie() -> bytes:
        from django.test import Client

        client = Client()
        client.force_login(barista)
        return f"sessionid={client.cookies['sessionid'].value}".encode()

    cookie = await session_cookie()
    client = await ws(
        headers=[(b"cookie", cookie), (b"origin", b"http://127.0.0.1:8000")]
    )
    reply = await client.request("join_room", {"roomType": "kitchen"})
    assert reply["event"] == "join_room_success"
    stranger = await ws(headers=[(b"cookie", b"sessionid=not-a-session")])
    assert (await stranger.request("join_room", {"roomType": "kitchen"}))["data"][
        "code"
    ] == ("UNAUTHORIZED")
