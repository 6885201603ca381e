"""The chat socket: membership on connect, messages, typing, read marks, presence, replay."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from rest_framework_simplejwt.tokens import AccessToken

from chat.models import ChatMessage
from realtime.models import RoomEvent
from tests.chat.factories import post, session_with
from tests.conftest import token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def alice(make_user):
    return await sync_to_async(make_user)("alice")


@pytest.fixture
async def bob(make_user):
    return await sync_to_async(make_user)("bob")


@pytest.fixture
async def session(alice, bob):
    return await sync_to_async(session_with)(alice, bob)


@pytest.fixture
def chat(ws):
    """`await chat(user, session, **query)`: a chat socket after `connected` and its presence."""

    async def open_chat(user, session, path="/ws/chat/", presence=True, **query):
        params = "&".join(
            [f"sessionId={session.pk}", *(f"{k}={v}" for k, v in query.items())]
        )
        client = Buffered(
            await ws(path, token=await sync_to_async(token_for)(user), query=params)
        )
        if presence:
            await until(client, "presence:joined")
        return client

    return open_chat


class Buffered:
    """A socket client whose `request` keeps the frames it skipped for later reads."""

    def __init__(self, client) -> None:
        self.client = client
        self.backlog: list[dict] = []

    def __getattr__(self, name):
        return getattr(self.client, name)

    async def recv(self, timeout: float = 3) -> dict:
        if self.backlog:
            return self.backlog.pop(0)
        return await self.client.recv(timeout)

    async def expect(self, event: str, timeout: float = 3) -> dict:
        frame = await self.recv(timeout)
        assert frame["event"] == event, frame
        return frame

    async def nothing(self, timeout: float = 0.3) -> None:
        assert not self.backlog, self.backlog
        await self.client.nothing(timeout)

    async def request(self, event: str, data=None, ref: str = "r1") -> dict:
        await self.client.send(event, data, ref)
        while True:
            frame = await self.client.recv()
            if frame.get("ref") == ref:
                return frame
            self.backlog.append(frame)


async def until(client, event: str, timeout: float = 3) -> dict:
    """The next frame named `event`, skipping others."""
    while True:
        frame = await client.recv(timeout)
        if frame["event"] == event:
            return frame


async def count_rows(model, **filters) -> int:
    return await sync_to_async(lambda: model.objects.filter(**filters).count())()


def summary(user) -> dict:
    return {"id": user.pk, "name": user.username}


# -- connecting ------------------------------------------------------------------


async def test_member_connects_and_sees_itself_online(chat, alice, session):
    client = await chat(alice, session, presence=False)
    frame = await client.expect("presence:joined")
    assert frame["room"] == f"chat:{session.pk}" and "seq" not in frame
    assert frame["data"] == {"user": summary(alice), "online": [summary(alice)]}


async def test_path_without_trailing_slash(chat, alice, session):
    client = await chat(alice, session, path="/ws/chat")
    reply = await client.request("message", {"content": "hi"})
    assert reply["event"] == "message_sent"


async def test_non_member_is_closed_4403(ws, make_user, session):
    eve = await sync_to_async(make_user)("eve")
    client = await ws(
        "/ws/chat/",
        token=await sync_to_async(token_for)(eve),
        query=f"sessionId={session.pk}",
    )
    frames = await client.expect_close(4403)
    assert frames[-1]["data"]["code"] == "UNAUTHORIZED"


async def test_unknown_session_or_missing_id_is_closed_4403(ws, alice):
    token = await sync_to_async(token_for)(alice)
    client = await ws("/ws/chat/", token=token, query="sessionId=987654")
    await client.expect_close(4403)
    client = await ws("/ws/chat/", token=token)
    await client.expect_close(4403)


async def test_bad_token_is_closed_4401(ws, session):
    client = await ws(
        "/ws/chat/",
        token="not-a-jwt",
        query=f"sessionId={session.pk}",
        expect_connected=False,
    )
    frames = await client.expect_close(4401)
    assert frames[-1]["data"]["code"] == "UNAUTHORIZED"


async def test_expired_token_is_closed_4401(ws, alice, session):
    token = AccessToken.for_user(alice)
    token.set_exp(lifetime=-timedelta(minutes=1))
    client = await ws(
        "/ws/chat/",
        token=str(token),
        query=f"sessionId={session.pk}",
        expect_connected=False,
    )
    frames = await client.expect_close(4401)
    assert "expired" in frames[-1]["data"]["message"].lower()


async def test_auth_message_then_membership(ws, alice, session):
    client = await ws("/ws/chat/", query=f"sessionId={session.pk}")
    reply = await client.request("message", {"content": "too early"})
    assert reply["data"]["code"] == "MESSAGE_SEND_FAILED"
    assert reply["data"]["reason"] == "UNAUTHORIZED"
    reply = await client.request(
        "auth", {"token": await sync_to_async(token_for)(alice)}
    )
    assert reply["event"] == "auth_success"
    await until(client, "presence:joined")
    assert (await client.request("message", {"content": "hi"}))[
        "event"
    ] == "message_sent"


# -- messages --------------------------------------------------------------------


async def test_message_reaches_every_member_with_seq(chat, alice, bob, session):
    a = await chat(alice, session)
    b = await chat(bob, session)
    reply = await a.request("message", {"content": "hello", "clientId": "c1"}, ref="m1")
    assert reply["event"] == "message_sent" and reply["ref"] == "m1"
    assert reply["data"]["content"] == "hello" and reply["data"]["clientId"] == "c1"
    for client in (a, b):
        frame = await until(client, "message:created")
        assert frame["seq"] == 1 and frame["room"] == f"chat:{session.pk}"
        assert frame["data"] == reply["data"]


async def test_seed_alias_posts_a_message(chat, alice, bob, session):
    a = await chat(alice, session)
    await a.send_raw(json.dumps({"type": "message", "content": "hi"}))
    frame = await until(a, "message:created")
    assert frame["data"]["content"] == "hi"
    assert frame["data"]["author"] == summary(alice)


@pytest.mark.parametrize("content", ["", "   ", "x" * 4001])
async def test_empty_or_too_long_is_validation_error(chat, alice, session, content):
    a = await chat(alice, session)
    reply = await a.request("message", {"content": content})
    assert reply["event"] == "error"
    assert reply["data"]["code"] == "MESSAGE_SEND_FAILED"
    assert reply["data"]["reason"] == "VALIDATION_ERROR"
    assert await count_rows(ChatMessage) == 0
    assert (await a.request("ping", {}, ref="p"))["event"] == "pong"


async def test_same_client_id_over_socket_and_rest_stores_and_broadcasts_once(
    chat, alice, bob, session
):
    a = await chat(alice, session)
    b = await chat(bob, session)
    first = await a.request("message", {"content": "hi", "clientId": "once"}, "1")
    again = await a.request("message", {"content": "hi", "clientId": "once"}, "2")
    assert first["data"] == again["data"]

    def rest_retry():
        from rest_framework.test import APIClient

        client = APIClient()
        client.force_authenticate(alice)
        return client.post(
            f"/api/chat/sessions/{session.pk}/messages/",
            {"content": "hi", "clientId": "once"},
            format="json",
        )

    response = await sync_to_async(rest_retry)()
    assert response.status_code == 200 and response.json() == first["data"]
    assert await count_rows(ChatMessage) == 1
    assert await count_rows(RoomEvent, event="message:created") == 1
    assert (await until(b, "message:created"))["data"]["id"] == first["data"]["id"]
    await b.nothing(0.3)


async def test_rest_post_is_broadcast_on_the_socket(chat, alice, bob, session):
    b = await chat(bob, session)
    message = await sync_to_async(post)(session, alice, "over rest")
    frame = await until(b, "message:created")
    assert frame["data"]["id"] == message.pk


async def test_removed_member_is_closed_4403_and_the_others_are_told(
    chat, alice, bob, session
):
    from chat import services

    a = await chat(alice, session)
    b = await chat(bob, session)
    await sync_to_async(services.chat_member_remove)(session=session, user=bob)
    frames = await b.expect_close(4403)
    assert frames[-1]["event"] == "error"
    assert frames[-1]["data"]["code"] == "UNAUTHORIZED"
    assert "member:removed" not in [f["event"] for f in frames]
    removed = await until(a, "member:removed")
    assert removed["data"] == {"sessionId": session.pk, "user": summary(bob)}
    assert removed["seq"] >= 1
    # Alice's socket stays open and in the room.
    reply = await a.request("message", {"content": "bye bob"}, ref="m")
    assert reply["event"] == "message_sent", reply


async def test_removing_someone_else_leaves_a_member_socket_open(
    chat, alice, bob, session, make_user
):
    from chat import services

    carol = await sync_to_async(make_user)("carol")
    await sync_to_async(services.chat_member_add)(session=session, user=carol)
    b = await chat(bob, session)
    await sync_to_async(services.chat_member_remove)(session=session, user=carol)
    assert (await until(b, "member:removed"))["data"]["user"]["id"] == carol.pk
    reply = await b.request("message", {"content": "still here"}, ref="m")
    assert reply["event"] == "message_sent", reply


async def test_rate_limit_then_4429(chat, alice, session, settings):
    settings.TIDINGS = {**settings.TIDINGS, "RATE_LIMIT": 3, "RATE_LIMIT_GRACE": 1}
    a = await chat(alice, session)
    for i in range(3):
        assert (await a.request("typing", {"isTyping": True}, str(i)))[
            "event"
        ] == "typing_success"
    reply = await a.request("typing", {"isTyping": True}, "x")
    assert reply["data"]["code"] == "RATE_LIMITED"
    await a.send("typing", {"isTyping": True})
    await a.expect_close(4429)


# -- replay ----------------------------------------------------------------------


async def test_offline_client_gets_exactly_the_missed_30_once_in_order(
    chat, alice, bob, session
):
    a = await chat(alice, session)
    b = await chat(bob, session)
    await a.request("message", {"content": "before"}, "0")
    last_seq = (await until(b, "message:created"))["seq"]
    await b.close()
    for i in range(30):
        await a.request("message", {"content": f"m{i}"}, f"r{i}")
    b = await chat(bob, session, presence=False, lastSeq=last_seq)
    got = []
    while True:
        frame = await b.recv()
        if frame["event"] == "message:created":
            got.append(frame)
        elif frame["event"] == "presence:joined":
            break
    assert [f["data"]["content"] for f in got] == [f"m{i}" for i in range(30)]
    assert [f["seq"] for f in got] == list(range(last_seq + 1, last_seq + 31))
    await b.nothing(0.3)


async def test_restore_rooms_replays_missed_messages(chat, alice, bob, session):
    a = await chat(alice, session)
    b = await chat(bob, session)
    await a.request("message", {"content": "seen"}, "0")
    await until(b, "message:created")
    await b.close()
    for i in range(3):
        await a.request("message", {"content": f"m{i}"}, f"r{i}")
    b = await chat(bob, session)
    await b.send(
        "restore_rooms",
        {"rooms": [{"roomType": "chat", "sessionId": str(session.pk), "lastSeq": 1}]},
        "restore",
    )
    contents = []
    while True:
        frame = await b.recv()
        if frame["event"] == "message:created":
            contents.append(frame["data"]["content"])
        if frame.get("ref") == "restore":
            assert frame["data"]["replayedCount"] == 3
            break
    assert contents == ["m0", "m1", "m2"]


# -- typing, read, presence ---------------------------------------------------------


async def test_typing_is_broadcast_not_stored_and_cleared_on_disconnect(
    chat, alice, bob, session
):
    a = await chat(alice, session)
    b = await chat(bob, session)
    await until(a, "presence:joined")  # bob arriving
    await b.send("typing", {"isTyping": True})
    frame = await until(a, "typing")
    assert frame["data"] == {"user": summary(bob), "isTyping": True}
    assert "seq" not in frame
    assert await count_rows(RoomEvent, room=f"chat:{session.pk}") == 0
    await b.close()
    assert (await a.expect("typing"))["data"]["isTyping"] is False
    left = await a.expect("presence:left")
    assert left["data"] == {"user": summary(bob), "online": [summary(alice)]}


async def test_typing_needs_a_boolean(chat, alice, session):
    a = await chat(alice, session)
    reply = await a.request("typing", {"isTyping": "yes"})
    assert reply["data"]["code"] == "VALIDATION_ERROR"


async def test_sending_a_message_clears_typing(chat, alice, bob, session):
    a = await chat(alice, session)
    b = await chat(bob, session)
    await b.send("typing", {"isTyping": True})
    assert (await until(a, "typing"))["data"]["isTyping"] is True
    await b.request("message", {"content": "done typing"})
    assert (await until(a, "typing"))["data"]["isTyping"] is False


async def test_read_updates_member_and_broadcasts(chat, alice, bob, session):
    a = await chat(alice, session)
    b = await chat(bob, session)
    sent = await a.request("message", {"content": "read me"})
    reply = await b.request("read", {"messageId": sent["data"]["id"]}, "rd")
    assert reply["event"] == "read_success"
    assert reply["data"] == {"lastReadMessageId": sent["data"]["id"]}
    frame = await until(a, "message:read")
    assert frame["data"] == {
        "user": summary(bob),
        "lastReadMessageId": sent["data"]["id"],
    }
    bad = await b.request("read", {"messageId": 99999}, "bad")
    assert bad["data"]["code"] == "NOT_FOUND"


async def test_presence_counts_users_not_connections(chat, alice, bob, session):
    a = await chat(alice, session)
    b1 = await chat(bob, session)
    joined = await until(a, "presence:joined")
    assert joined["data"]["online"] == [summary(alice), summary(bob)]
    b2 = await chat(bob, session, presence=False)
    # The second tab learns who is online; the others hear nothing.
    assert (await b2.expect("presence:joined"))["data"]["online"] == [
        summary(alice),
        summary(bob),
    ]
    await a.nothing(0.3)
    await b1.close()
    await a.nothing(0.3)
    await b2.close()
    left = await a.expect("presence:left")
    assert left["data"]["user"] == summary(bob)
    assert left["data"]["online"] == [summary(alice)]


async def test_fifty_members_all_receive_one_message(chat, make_user, alice):
    users = [alice] + [await sync_to_async(make_user)(f"member{i}") for i in range(49)]
    session = await sync_to_async(session_with)(*users)
    clients = []
    for user in users:
        clients.append(await chat(user, session))
    reply = await clients[0].request("message", {"content": "to all"})

    async def receive(client):
        return (await until(client, "message:created", timeout=10))["data"]["id"]

    ids = await asyncio.gather(*(receive(c) for c in clients))
    assert ids == [reply["data"]["id"]] * 50
