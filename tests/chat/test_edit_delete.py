"""Editing and deleting messages: services, REST, and who may do what."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from chat import selectors, services
from chat.models import ChatMessage
from realtime.errors import DomainError
from tests.chat.factories import post, session_with
from tests.conftest import published, token_for

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def url(session, message_id) -> str:
    return f"/api/chat/sessions/{session.pk}/messages/{message_id}/"


# -- services --------------------------------------------------------------------


def test_edit_changes_text_and_publishes_message_updated(alice, bob):
    session = session_with(alice, bob)
    message = post(session, alice, "helo")
    edited = services.chat_message_edit(
        session_id=session.pk, user=alice, message_id=message.pk, content="hello"
    )
    assert edited.content == "hello" and edited.edited_at is not None
    frame = published(f"chat:{session.pk}", "message:updated")[-1]
    assert frame["seq"] == 2
    assert frame["data"]["id"] == message.pk
    assert frame["data"]["content"] == "hello"
    assert frame["data"]["editedAt"] == edited.edited_at.isoformat()


def test_editing_to_the_same_text_publishes_nothing(alice, bob):
    session = session_with(alice, bob)
    message = post(session, alice, "same")
    services.chat_message_edit(
        session_id=session.pk, user=alice, message_id=message.pk, content="same"
    )
    assert published(f"chat:{session.pk}", "message:updated") == []
    message.refresh_from_db()
    assert message.edited_at is None


def test_only_the_author_edits(alice, bob):
    session = session_with(alice, bob)
    message = post(session, alice, "mine")
    with pytest.raises(DomainError) as exc:
        services.chat_message_edit(
            session_id=session.pk, user=bob, message_id=message.pk, content="yours"
        )
    assert exc.value.code == "NOT_THE_AUTHOR"
    message.refresh_from_db()
    assert message.content == "mine"


def test_delete_wipes_text_keeps_place_and_publishes_message_deleted(alice, bob):
    session = session_with(alice, bob)
    message = post(session, alice, "secret")
    services.chat_message_delete(
        session_id=session.pk, user=alice, message_id=message.pk
    )
    message.refresh_from_db()
    assert message.content == "" and message.deleted_at is not None
    [frame] = published(f"chat:{session.pk}", "message:deleted")
    assert frame["data"] == {
        "id": message.pk,
        "sessionId": session.pk,
        "deletedAt": message.deleted_at.isoformat(),
        "deletedBy": {"id": alice.pk, "name": "alice"},
    }
    # A second delete changes nothing and publishes nothing.
    services.chat_message_delete(
        session_id=session.pk, user=alice, message_id=message.pk
    )
    assert len(published(f"chat:{session.pk}", "message:deleted")) == 1
    history = selectors.message_history(session_id=session.pk)["messages"]
    assert history[0]["deletedAt"] and history[0]["content"] == ""


def test_deleted_message_cannot_be_edited_and_is_not_unread(alice, bob):
    session = session_with(alice, bob)
    message = post(session, alice, "oops")
    services.chat_message_delete(
        session_id=session.pk, user=alice, message_id=message.pk
    )
    with pytest.raises(DomainError) as exc:
        services.chat_message_edit(
            session_id=session.pk, user=alice, message_id=message.pk, content="x"
        )
    assert exc.value.code == "MESSAGE_DELETED"
    assert selectors.session_list(user=bob)[0]["unreadCount"] == 0


def test_staff_deletes_anyones_message_others_do_not(alice, bob, make_user):
    session = session_with(alice, bob)
    message = post(session, alice, "rude")
    with pytest.raises(DomainError) as exc:
        services.chat_message_delete(
            session_id=session.pk, user=bob, message_id=message.pk
        )
    assert exc.value.code == "NOT_THE_AUTHOR"
    moderator = make_user("mod", staff=True)
    services.chat_message_delete(
        session_id=session.pk, user=moderator, message_id=message.pk
    )
    message.refresh_from_db()
    assert message.deleted_at is not None


@pytest.mark.parametrize("message_id", [None, "x", True, 1.5, [], -1, 0, 2**70, "٣"])
def test_bad_message_ids_are_clear_errors(alice, bob, message_id):
    session = session_with(alice, bob)
    post(session, alice, "hi")
    with pytest.raises(DomainError) as exc:
        services.chat_message_edit(
            session_id=session.pk, user=alice, message_id=message_id, content="x"
        )
    assert exc.value.code in ("VALIDATION_ERROR", "NOT_FOUND")


def test_a_message_of_another_session_is_not_found(alice, bob):
    first = session_with(alice, bob)
    second = session_with(alice, bob, title="Other")
    message = post(first, alice, "here")
    for call in (services.chat_message_edit, services.chat_message_delete):
        kwargs = {"content": "x"} if call is services.chat_message_edit else {}
        with pytest.raises(DomainError) as exc:
            call(session_id=second.pk, user=alice, message_id=message.pk, **kwargs)
        assert exc.value.code == "NOT_FOUND"
    message.refresh_from_db()
    assert message.content == "here" and message.deleted_at is None


# -- REST ------------------------------------------------------------------------


def test_patch_and_delete_over_rest(alice, bob):
    session = session_with(alice, bob)
    message = post(session, alice, "typo")
    api = client_for(alice)
    response = api.patch(url(session, message.pk), {"content": "fixed"}, format="json")
    assert response.status_code == 200
    assert response.json()["content"] == "fixed" and response.json()["editedAt"]
    response = api.delete(url(session, message.pk))
    assert response.status_code == 200 and response.json()["deletedAt"]
    assert ChatMessage.objects.get(pk=message.pk).content == ""


@pytest.mark.parametrize(
    "body", [{}, {"content": ""}, {"content": "x" * 4001}, {"content": 5}, []]
)
def test_patch_refuses_bad_bodies(alice, bob, body):
    session = session_with(alice, bob)
    message = post(session, alice, "keep")
    response = client_for(alice).patch(url(session, message.pk), body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert ChatMessage.objects.get(pk=message.pk).content == "keep"


def test_non_member_and_non_author_cannot_edit_or_delete(alice, bob, make_user):
    session = session_with(alice, bob)
    message = post(session, alice, "mine")
    eve = client_for(make_user("eve"))
    assert (
        eve.patch(url(session, message.pk), {"content": "x"}, format="json").status_code
        == 403
    )
    assert eve.delete(url(session, message.pk)).status_code == 403
    response = client_for(bob).patch(
        url(session, message.pk), {"content": "x"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "NOT_THE_AUTHOR"
    assert client_for(bob).delete(url(session, message.pk)).status_code == 403
    assert APIClient().delete(url(session, message.pk)).status_code == 401
    assert client_for(alice).delete(url(session, 999999)).status_code == 404
    message.refresh_from_db()
    assert message.content == "mine" and message.deleted_at is None
