"""Search: every word, only in the user's own chats, never deleted messages."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from chat import selectors, services
from tests.chat.factories import post, session_with
from tests.conftest import token_for

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def found(user, q: str) -> list[str]:
    return [
        r["message"]["content"] for r in selectors.message_search(user=user, query=q)
    ]


def test_search_finds_every_word_and_prefixes_in_own_chats(alice, bob, make_user):
    ours = session_with(alice, bob, title="Ours")
    post(ours, bob, "Coffee at ten tomorrow")
    post(ours, alice, "Tea later")
    post(ours, alice, "coffee beans are out")
    theirs = session_with(make_user("carol"), make_user("dave"), title="Theirs")
    post(theirs, theirs.creator, "secret coffee plans")
    assert sorted(found(alice, "coffee")) == [
        "Coffee at ten tomorrow",
        "coffee beans are out",
    ]
    assert found(alice, "coff tomorrow") == ["Coffee at ten tomorrow"]
    assert found(alice, "secret") == []
    assert found(bob, "TEA") == ["Tea later"]


def test_deleted_messages_are_not_found(alice, bob):
    session = session_with(alice, bob)
    message = post(session, alice, "a regrettable joke")
    services.chat_message_delete(
        session_id=session.pk, user=alice, message_id=message.pk
    )
    assert found(alice, "regrettable") == []


def test_a_removed_member_no_longer_finds_the_sessions_messages(alice, bob):
    session = session_with(alice, bob)
    post(session, alice, "members only news")
    assert found(bob, "news") == ["members only news"]
    services.chat_member_remove(session=session, user=bob)
    assert found(bob, "news") == []


@pytest.mark.parametrize(
    "q", ["' OR 1=1 --", "a & b | !c", "coffee:*", "(((", "\\", "%", "_", "*"]
)
def test_query_syntax_is_just_text(alice, bob, q):
    session = session_with(alice, bob)
    post(session, alice, "100% coffee & cake")
    response = client_for(alice).get("/api/chat/search/", {"q": q})
    assert response.status_code == 200
    results = response.json()["results"]
    assert all(r["message"]["content"] == "100% coffee & cake" for r in results)


def test_search_api_answers_session_and_message(alice, bob, make_user):
    session = session_with(alice, bob, title="Plans")
    message = post(session, bob, "Picnic on Sunday")
    response = client_for(alice).get("/api/chat/search/", {"q": "picnic"})
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["sessionId"] == session.pk and result["sessionTitle"] == "Plans"
    assert result["message"]["id"] == message.pk
    eve = client_for(make_user("eve"))
    assert eve.get("/api/chat/search/", {"q": "picnic"}).json()["results"] == []
    assert APIClient().get("/api/chat/search/?q=picnic").status_code == 401
    for bad in ({}, {"q": ""}, {"q": "x" * 201}):
        response = client_for(alice).get("/api/chat/search/", bad)
        assert response.status_code == 400
        assert response.json()["code"] == "VALIDATION_ERROR"
