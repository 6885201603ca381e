"""Chat services: every rule of the chat domain, with the events they publish."""

from __future__ import annotations

import pytest

from chat import selectors, services
from chat.models import ChatMessage
from realtime.errors import DomainError
from tests.chat.factories import post, session_with
from tests.conftest import published as frames

pytestmark = pytest.mark.django_db


def test_session_create_adds_creator_and_members(alice, bob):
    session = session_with(alice, bob, title="  Lunch ")
    assert session.title == "Lunch"
    assert sorted(session.members.values_list("user__username", flat=True)) == [
        "alice",
        "bob",
    ]


def test_session_create_refuses_empty_title_and_unknown_members(alice):
    with pytest.raises(DomainError):
        services.chat_session_create(creator=alice, title=" ", member_ids=[])
    with pytest.raises(DomainError) as exc:
        services.chat_session_create(creator=alice, title="x", member_ids=[9999])
    assert "9999" not in str(exc.value.details) and "9999" not in exc.value.message


def test_post_stores_and_publishes_message_created(alice, bob):
    session = session_with(alice, bob)
    message = post(session, bob, "hello", "c-1")
    [frame] = frames(f"chat:{session.pk}")
    assert frame["event"] == "message:created"
    assert frame["seq"] == 1
    assert frame["data"] == {
        "id": message.pk,
        "sessionId": session.pk,
        "clientId": "c-1",
        "author": {"id": bob.pk, "name": "bob"},
        "content": "hello",
        "createdAt": message.created_at.isoformat(),
        "editedAt": None,
        "deletedAt": None,
        "attachments": [],
        "mentions": [],
    }


def test_content_is_stored_as_given(alice, bob):
    session = session_with(alice, bob)
    text = "  <img src=x onerror=alert(1)>\n"
    assert post(session, alice, text).content == text


@pytest.mark.parametrize("content", ["", "   ", "x" * 4001, None, 5])
def test_post_refuses_empty_too_long_or_non_text(alice, bob, content):
    session = session_with(alice, bob)
    with pytest.raises(DomainError) as exc:
        post(session, alice, content)
    assert exc.value.code == "VALIDATION_ERROR"
    assert not ChatMessage.objects.exists()
    assert frames(f"chat:{session.pk}") == []


def test_post_accepts_exactly_4000_characters(alice, bob):
    session = session_with(alice, bob)
    assert len(post(session, alice, "x" * 4000).content) == 4000


def test_same_client_id_stores_one_message_and_publishes_once(alice, bob):
    session = session_with(alice, bob)
    first, created = services.chat_message_post(
        session_id=session.pk, author=alice, content="hi", client_id="k1"
    )
    again, created_again = services.chat_message_post(
        session_id=session.pk, author=alice, content="hi (retry)", client_id="k1"
    )
    assert created and not created_again
    assert again.pk == first.pk and again.content == "hi"
    assert ChatMessage.objects.count() == 1
    assert len(frames(f"chat:{session.pk}")) == 1


def test_client_ids_are_per_author(alice, bob):
    session = session_with(alice, bob)
    post(session, alice, "a", "same")
    post(session, bob, "b", "same")
    assert ChatMessage.objects.count() == 2


def test_client_id_reused_in_another_session_is_refused(alice, bob):
    one, two = session_with(alice, bob), session_with(alice, bob)
    post(one, alice, "a", "k")
    with pytest.raises(DomainError):
        post(two, alice, "b", "k")


def test_non_member_cannot_post(alice, bob, make_user):
    session = session_with(alice, bob)
    with pytest.raises(services.NotAMember) as exc:
        post(session, make_user("eve"))
    assert exc.value.status == 403 and exc.value.code == "UNAUTHORIZED"


def test_unknown_session_is_not_found(alice):
    with pytest.raises(services.NotFound):
        services.chat_message_post(session_id=424242, author=alice, content="x")


def test_member_add_and_remove(alice, bob, make_user):
    session = session_with(alice, bob)
    carol = make_user("carol")
    services.chat_member_add(session=session, user=carol)
    services.chat_member_add(session=session, user=carol)
    post(session, carol, "hi")
    assert services.chat_member_remove(session=session, user=carol)
    assert not services.chat_member_remove(session=session, user=carol)
    removals = [
        f for f in frames(f"chat:{session.pk}") if f["event"] == "member:removed"
    ]
    assert [f["data"] for f in removals] == [
        {"sessionId": session.pk, "user": {"id": carol.pk, "name": "carol"}}
    ]
    with pytest.raises(services.NotAMember):
        post(session, carol, "again")


def test_mark_read_moves_forward_only_and_publishes(alice, bob):
    session = session_with(alice, bob)
    m1, m2 = post(session, alice, "1"), post(session, alice, "2")
    member = services.chat_mark_read(session_id=session.pk, user=bob, message_id=m2.pk)
    assert member.last_read_message_id == m2.pk
    member = services.chat_mark_read(session_id=session.pk, user=bob, message_id=m1.pk)
    assert member.last_read_message_id == m2.pk
    reads = [f for f in frames(f"chat:{session.pk}") if f["event"] == "message:read"]
    assert [f["data"] for f in reads] == [
        {"user": {"id": bob.pk, "name": "bob"}, "lastReadMessageId": m2.pk}
    ]


def test_mark_read_refuses_message_of_another_session(alice, bob):
    one, two = session_with(alice, bob), session_with(alice, bob)
    other = post(two, alice)
    with pytest.raises(services.NotFound):
        services.chat_mark_read(session_id=one.pk, user=bob, message_id=other.pk)
    with pytest.raises(DomainError):
        services.chat_mark_read(session_id=one.pk, user=bob, message_id="1")


def test_session_list_counts_unread_from_others(alice, bob, make_user):
    session = session_with(alice, bob)
    quiet = session_with(alice, bob, title="Quiet")
    session_with(make_user("x"), make_user("y"), title="Not mine")
    post(session, alice, "mine")  # own messages are never unread
    m2 = post(session, bob, "1")
    post(session, bob, "2")
    listed = {s["title"]: s for s in selectors.session_list(user=alice)}
    assert set(listed) == {"Chat", "Quiet"}
    assert listed["Chat"]["unreadCount"] == 2
    assert listed["Chat"]["lastMessage"]["content"] == "2"
    assert listed["Quiet"]["unreadCount"] == 0
    services.chat_mark_read(session_id=session.pk, user=alice, message_id=m2.pk)
    assert selectors.session_list(user=alice)[0]["unreadCount"] == 1
    assert quiet.pk in {s["id"] for s in selectors.session_list(user=bob)}


def test_history_pages_with_before_and_after(alice, bob):
    session = session_with(alice, bob)
    ids = [post(session, alice, str(i)).pk for i in range(120)]
    newest = selectors.message_history(session_id=session.pk)
    assert [m["id"] for m in newest["messages"]] == ids[-50:]
    assert newest["hasMore"] and newest["seq"] == 120
    older = selectors.message_history(session_id=session.pk, before=ids[-50])
    assert [m["id"] for m in older["messages"]] == ids[20:70]
    oldest = selectors.message_history(session_id=session.pk, before=ids[20])
    assert [m["id"] for m in oldest["messages"]] == ids[:20]
    assert not oldest["hasMore"]
    after = selectors.message_history(session_id=session.pk, after=ids[9], limit=5)
    assert [m["id"] for m in after["messages"]] == ids[10:15] and after["hasMore"]


def test_demo_load_is_idempotent(make_user):
    from chat import demo

    make_user("alice"), make_user("bob")
    demo.load()
    demo.load()
    assert ChatMessage.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_with_one_client_id_store_one_message(alice, bob):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from tests import tools

    if connection.vendor != "postgresql":
        tools.need("needs PostgreSQL")
    session = session_with(alice, bob)

    def send(_: int) -> int:
        try:
            message, _created = services.chat_message_post(
                session_id=session.pk, author=alice, content="race", client_id="r"
            )
            return message.pk
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(send, range(8)))
    assert len(ids) == 1
    assert ChatMessage.objects.count() == 1
    assert len(frames(f"chat:{session.pk}")) == 1
