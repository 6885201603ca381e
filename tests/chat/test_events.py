"""Chat payload builders and the volatile (unstored) room frames of the core."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from chat import events
from realtime.models import RoomEvent
from realtime.outbox import volatile_message
from tests.chat.factories import post, session_with

pytestmark = pytest.mark.django_db


def test_message_payload_has_the_protocol_fields(make_user):
    alice, bob = make_user("alice"), make_user("bob")
    message = post(session_with(alice, bob), alice, "hi", "c")
    assert set(events.message_data(message)) == {
        "id",
        "sessionId",
        "clientId",
        "author",
        "content",
        "createdAt",
        "editedAt",
        "deletedAt",
        "attachments",
        "mentions",
    }


def test_presence_typing_and_read_payloads(make_user):
    alice = make_user("alice")
    me = events.user_data(alice)
    assert events.presence_data(me, [me]) == {"user": me, "online": [me]}
    assert events.typing_data(me, True) == {"user": me, "isTyping": True}
    assert events.read_data(alice, 7) == {"user": me, "lastReadMessageId": 7}


def test_volatile_frame_has_room_but_no_seq_and_is_not_stored():
    message = volatile_message("chat:1", "typing", {"isTyping": True})
    assert message["seq"] is None
    assert json.loads(message["text"]) == {
        "event": "typing",
        "data": {"isTyping": True},
        "room": "chat:1",
    }
    from realtime.outbox import broadcast_volatile

    with transaction.atomic():
        broadcast_volatile("chat:1", "typing", {"isTyping": True})
    assert not RoomEvent.objects.exists()
