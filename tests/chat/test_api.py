"""Chat REST API: same shapes as the events, 401 without auth, 403 for non-members."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from chat.models import ChatMessage
from realtime.models import RoomEvent
from tests.chat.factories import post, session_with
from tests.conftest import token_for

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def test_endpoints_need_auth(alice, bob):
    session = session_with(alice, bob)
    anon = APIClient()
    for method, url in [
        ("get", "/api/chat/sessions/"),
        ("post", "/api/chat/sessions/"),
        ("get", f"/api/chat/sessions/{session.pk}/messages/"),
        ("post", f"/api/chat/sessions/{session.pk}/messages/"),
    ]:
        response = getattr(anon, method)(url, {}, format="json")
        assert response.status_code == 401, url
        assert response.json()["code"] == "UNAUTHORIZED"


def test_non_member_gets_403(alice, bob, make_user):
    session = session_with(alice, bob)
    eve = client_for(make_user("eve"))
    url = f"/api/chat/sessions/{session.pk}/messages/"
    assert eve.get(url).status_code == 403
    response = eve.post(url, {"content": "hi"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "UNAUTHORIZED"
    assert eve.get("/api/chat/sessions/999999/messages/").status_code == 404


def test_create_session_and_list_it(alice, bob):
    response = client_for(alice).post(
        "/api/chat/sessions/", {"title": "Plans", "memberIds": [bob.pk]}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "Plans" and body["unreadCount"] == 0
    assert [m["name"] for m in body["members"]] == ["alice", "bob"]
    listed = client_for(bob).get("/api/chat/sessions/").json()
    assert [s["id"] for s in listed] == [body["id"]]


def test_create_session_validates(alice):
    response = client_for(alice).post(
        "/api/chat/sessions/", {"title": "x", "memberIds": [4242]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"


def test_post_message_returns_event_payload_and_publishes(alice, bob):
    session = session_with(alice, bob)
    response = client_for(alice).post(
        f"/api/chat/sessions/{session.pk}/messages/",
        {"content": "<b>hi</b>", "clientId": "r-1"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    [event] = RoomEvent.objects.filter(room=f"chat:{session.pk}")
    assert json.loads(event.frame)["data"] == body
    assert body["content"] == "<b>hi</b>" and body["clientId"] == "r-1"


def test_post_same_client_id_twice_is_one_message(alice, bob):
    session = session_with(alice, bob)
    url = f"/api/chat/sessions/{session.pk}/messages/"
    client = client_for(alice)
    first = client.post(url, {"content": "hi", "clientId": "dup"}, format="json")
    second = client.post(url, {"content": "hi", "clientId": "dup"}, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert ChatMessage.objects.count() == 1
    assert RoomEvent.objects.filter(room=f"chat:{session.pk}").count() == 1


@pytest.mark.parametrize("content", ["", "x" * 4001])
def test_post_refuses_empty_and_too_long(alice, bob, content):
    session = session_with(alice, bob)
    response = client_for(alice).post(
        f"/api/chat/sessions/{session.pk}/messages/",
        {"content": content},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"


def test_history_with_cursors(alice, bob):
    session = session_with(alice, bob)
    ids = [post(session, bob, str(i)).pk for i in range(60)]
    url = f"/api/chat/sessions/{session.pk}/messages/"
    client = client_for(alice)
    page = client.get(url).json()
    assert [m["id"] for m in page["messages"]] == ids[10:]
    assert page["hasMore"] is True and page["seq"] == 60
    older = client.get(url, {"before": ids[10]}).json()
    assert [m["id"] for m in older["messages"]] == ids[:10] and not older["hasMore"]
    newer = client.get(url, {"after": ids[57]}).json()
    assert [m["id"] for m in newer["messages"]] == ids[58:]
    assert client.get(url, {"limit": 0}).status_code == 400
    assert client.get(url, {"before": "x"}).status_code == 400


def test_session_list_shows_unread_and_read_endpoint_clears_it(alice, bob):
    session = session_with(alice, bob)
    last = [post(session, bob, str(i)) for i in range(3)][-1]
    client = client_for(alice)
    assert client.get("/api/chat/sessions/").json()[0]["unreadCount"] == 3
    response = client.post(
        f"/api/chat/sessions/{session.pk}/read/", {"messageId": last.pk}, format="json"
    )
    assert response.json() == {"lastReadMessageId": last.pk}
    assert client.get("/api/chat/sessions/").json()[0]["unreadCount"] == 0


def test_page_needs_login_and_renders(client, alice):
    assert client.get("/chat/").status_code == 302
    client.force_login(alice)
    response = client.get("/chat/")
    assert response.status_code == 200
    assert b"chat.js" in response.content
