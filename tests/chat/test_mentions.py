"""Mentions: @username of a member, kept in step by edits, counted beside unread."""

from __future__ import annotations

import pytest

from chat import selectors, services
from tests.chat.factories import post, session_with
from tests.conftest import published

pytestmark = pytest.mark.django_db


def mentioned(message) -> list[str]:
    return sorted(u.username for u in message.mentions.all())


def test_mentions_are_members_named_with_at(alice, bob, make_user):
    carol = make_user("carol")
    outsider = make_user("dave")
    session = session_with(alice, bob, carol)
    message = post(session, alice, "@Bob and @carol. see mail@dave.com, @dave, @alice")
    # Not an outsider, not an email address, not oneself.
    assert mentioned(message) == ["bob", "carol"]
    [frame] = published(f"chat:{session.pk}", "message:created")
    assert frame["data"]["mentions"] == [
        {"id": bob.pk, "username": "bob"},
        {"id": carol.pk, "username": "carol"},
    ]
    assert outsider.chat_mentions.count() == 0


def test_edits_keep_mentions_in_step_and_deletion_clears_them(alice, bob):
    session = session_with(alice, bob)
    message = post(session, alice, "hello")
    edited = services.chat_message_edit(
        session_id=session.pk, user=alice, message_id=message.pk, content="hi @bob"
    )
    assert mentioned(edited) == ["bob"]
    frame = published(f"chat:{session.pk}", "message:updated")[-1]
    assert frame["data"]["mentions"] == [{"id": bob.pk, "username": "bob"}]
    services.chat_message_edit(
        session_id=session.pk, user=alice, message_id=message.pk, content="hi all"
    )
    message.refresh_from_db()
    assert mentioned(message) == []
    services.chat_message_edit(
        session_id=session.pk, user=alice, message_id=message.pk, content="@bob!"
    )
    services.chat_message_delete(
        session_id=session.pk, user=alice, message_id=message.pk
    )
    assert mentioned(message) == []


def test_mention_count_beside_unread_until_read(alice, bob):
    session = session_with(alice, bob)
    post(session, alice, "plain")
    post(session, alice, "@bob look")
    last = post(session, alice, "@bob and again")
    [entry] = selectors.session_list(user=bob)
    assert entry["unreadCount"] == 3 and entry["mentionCount"] == 2
    assert selectors.session_list(user=alice)[0]["mentionCount"] == 0
    services.chat_mark_read(session_id=session.pk, user=bob, message_id=last.pk)
    [entry] = selectors.session_list(user=bob)
    assert entry["unreadCount"] == 0 and entry["mentionCount"] == 0


def test_huge_texts_full_of_ats_are_fine(alice, bob):
    session = session_with(alice, bob)
    message = post(session, alice, "@" * 4000)
    assert mentioned(message) == []
    message = post(session, alice, ("@bob " * 800)[:4000])
    assert mentioned(message) == ["bob"]
