"""Editing and deleting over the chat socket: live to every member, and in replay."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from chat.models import ChatMessage
from tests.chat.factories import post, session_with
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


async def test_edit_and_delete_reach_every_member_live(chat, alice, bob, session):
    a = await chat(alice, session)
    b = await chat(bob, session)
    sent = (await a.request("message", {"content": "helo"}, "m"))["data"]
    await until(b, "message:created")
    reply = await a.request(
        "edit_message", {"messageId": sent["id"], "content": "hello"}, "e"
    )
    assert reply["event"] == "edit_message_success"
    assert reply["data"]["content"] == "hello" and reply["data"]["editedAt"]
    frame = await until(b, "message:updated")
    assert frame["room"] == f"chat:{session.pk}" and frame["seq"] == 2
    assert frame["data"] == reply["data"]

    reply = await a.request("delete_message", {"messageId": sent["id"]}, "d")
    assert reply["event"] == "delete_message_success" and reply["data"]["deletedAt"]
    frame = await until(b, "message:deleted")
    assert frame["seq"] == 3
    assert frame["data"]["id"] == sent["id"]
    assert frame["data"]["deletedBy"]["id"] == alice.pk


async def test_a_client_back_from_offline_replays_edit_and_delete(
    chat, alice, bob, session
):
    a = await chat(alice, session)
    b = await chat(bob, session)
    sent = (await a.request("message", {"content": "first"}, "m"))["data"]
    last_seq = (await until(b, "message:created"))["seq"]
    await b.close()
    await a.request("edit_message", {"messageId": sent["id"], "content": "1st"}, "e")
    await a.request("delete_message", {"messageId": sent["id"]}, "d")
    b = await chat(bob, session, presence=False, lastSeq=last_seq)
    updated = await until(b, "message:updated")
    deleted = await until(b, "message:deleted")
    assert updated["data"]["content"] == "1st"
    assert deleted["data"]["id"] == sent["id"]
    assert deleted["seq"] == updated["seq"] + 1 == last_seq + 2


async def test_socket_refuses_someone_elses_message_and_bad_ids(
    chat, alice, bob, session, make_user
):
    message = await sync_to_async(post)(session, alice, "alice's")
    b = await chat(bob, session)
    reply = await b.request(
        "edit_message", {"messageId": message.pk, "content": "bob's"}, "1"
    )
    assert reply["event"] == "error" and reply["data"]["code"] == "NOT_THE_AUTHOR"
    reply = await b.request("delete_message", {"messageId": message.pk}, "2")
    assert reply["data"]["code"] == "NOT_THE_AUTHOR"
    for bad in (None, "abc", [1], {"id": 1}, 2**63 - 1, True, -5):
        reply = await b.request("delete_message", {"messageId": bad}, "3")
        assert reply["event"] == "error"
        assert reply["data"]["code"] in ("VALIDATION_ERROR", "NOT_FOUND")
    other = await sync_to_async(session_with)(
        alice, bob, await sync_to_async(make_user)("carol"), title="Other"
    )
    elsewhere = await sync_to_async(post)(other, bob, "elsewhere")
    reply = await b.request(
        "edit_message", {"messageId": elsewhere.pk, "content": "x"}, "4"
    )
    assert reply["data"]["code"] == "NOT_FOUND"
    reply = await b.request(
        "edit_message", {"messageId": message.pk, "content": "x" * 5000}, "5"
    )
    assert reply["data"]["code"] == "VALIDATION_ERROR"
    stored = await sync_to_async(ChatMessage.objects.get)(pk=message.pk)
    assert stored.content == "alice's" and stored.deleted_at is None
    assert (await b.request("ping", {}, ref="p"))["event"] == "pong"
