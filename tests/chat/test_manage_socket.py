"""Session-list events on the chat socket: each user's own `chatuser` room."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from chat import services
from tests.chat.factories import session_with
from tests.chat.test_consumer import chat as chat
from tests.chat.test_consumer import until

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


async def test_a_new_chat_reaches_the_other_members_list_live(
    chat, alice, bob, session, make_user
):
    b = await chat(bob, session)
    reply = await b.request("join_room", {"roomType": "chatuser", "userId": bob.pk})
    assert reply["event"] == "join_room_success"
    carol = await sync_to_async(make_user)("carol")
    created = await sync_to_async(services.chat_session_create)(
        creator=alice, title="Lunch", member_ids=[bob.pk, carol.pk]
    )
    frame = await until(b, "session:added")
    assert frame["room"] == f"chatuser:{bob.pk}" and frame["seq"] == 2
    assert frame["data"]["id"] == created.pk and frame["data"]["title"] == "Lunch"
    await sync_to_async(services.chat_session_rename)(
        session_id=created.pk, user=alice, title="Dinner"
    )
    frame = await until(b, "session:updated")
    assert frame["data"]["title"] == "Dinner"


async def test_nobody_joins_someone_elses_list(chat, alice, bob, session):
    b = await chat(bob, session)
    for ident in (alice.pk, "x", 0):
        reply = await b.request("join_room", {"roomType": "chatuser", "userId": ident})
        assert reply["event"] == "error", reply
    assert (await b.request("ping", {}, ref="p"))["event"] == "pong"


async def test_removal_from_another_session_leaves_this_socket_open(
    chat, alice, bob, session, make_user
):
    carol = await sync_to_async(make_user)("carol")
    other = await sync_to_async(session_with)(alice, bob, carol, title="Other")
    b = await chat(bob, session)
    reply = await b.request("join_room", {"roomType": "chat", "sessionId": other.pk})
    assert reply["event"] == "join_room_success"
    await sync_to_async(services.chat_member_kick)(
        session_id=other.pk, user=alice, user_id=bob.pk
    )
    frame = await until(b, "member:removed")
    assert frame["room"] == f"chat:{other.pk}"
    # Still connected on its own session, and no longer hearing the other one.
    reply = await b.request("message", {"content": "still here"}, ref="m")
    assert reply["event"] == "message_sent"
    await sync_to_async(services.chat_message_post)(
        session_id=other.pk, author=alice, content="not for bob"
    )
    mine = await until(b, "message:created")  # its own, in its own room
    assert mine["room"] == f"chat:{session.pk}"
    await b.nothing(0.3)
