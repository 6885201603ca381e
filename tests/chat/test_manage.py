"""Starting and managing conversations: people search, direct chats, rename, members."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from chat import selectors, services
from chat.models import ChatMember, ChatSession
from realtime.errors import DomainError
from tests.chat.factories import session_with
from tests.conftest import published, token_for

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def events_of(user, event: str | None = None) -> list[dict]:
    return published(f"chatuser:{user.pk}", event)


# -- people search ---------------------------------------------------------------


def test_user_search_finds_by_name_and_never_shows_emails(alice, bob, make_user):
    carol = make_user("carol")
    carol.first_name, carol.last_name, carol.email = "Carol", "Danvers", "c@x.io"
    carol.save()
    response = client_for(alice).get("/api/chat/users/", {"q": "danv"})
    assert response.status_code == 200
    assert response.json() == [
        {"id": carol.pk, "name": "Carol Danvers", "username": "carol"}
    ]
    everyone = client_for(alice).get("/api/chat/users/").json()
    assert {u["username"] for u in everyone} == {"bob", "carol"}  # not herself
    assert (
        "c@x.io" not in client_for(alice).get("/api/chat/users/?q=c").content.decode()
    )
    assert client_for(alice).get("/api/chat/users/", {"q": "x.io"}).json() == []


def test_user_search_needs_login_skips_inactive_and_refuses_huge_queries(
    alice, make_user
):
    gone = make_user("gone")
    gone.is_active = False
    gone.save()
    assert APIClient().get("/api/chat/users/?q=a").status_code == 401
    assert client_for(alice).get("/api/chat/users/?q=gone").json() == []
    response = client_for(alice).get("/api/chat/users/", {"q": "x" * 101})
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"


# -- direct chats ----------------------------------------------------------------


def test_direct_chat_is_reused_from_either_side(alice, bob):
    first = client_for(alice).post(
        "/api/chat/direct/", {"userId": bob.pk}, format="json"
    )
    assert first.status_code == 201
    body = first.json()
    assert body["isDirect"] is True and body["title"] == "bob"
    again = client_for(bob).post(
        "/api/chat/direct/", {"userId": alice.pk}, format="json"
    )
    assert again.status_code == 200
    assert again.json()["id"] == body["id"] and again.json()["title"] == "alice"
    assert ChatSession.objects.filter(direct_key__isnull=False).count() == 1
    # Both lists heard of it once, from its creation.
    assert [f["data"]["id"] for f in events_of(bob, "session:added")] == [body["id"]]


@pytest.mark.parametrize("user_id", ["me", 0, -1, 999999, True, None, "x", 2**64])
def test_direct_chat_refuses_bad_or_unknown_users(alice, user_id):
    payload = {"userId": alice.pk if user_id == "me" else user_id}
    response = client_for(alice).post("/api/chat/direct/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert not ChatSession.objects.exists()


def test_direct_chat_cannot_be_renamed_left_or_extended(alice, bob, make_user):
    session, _ = services.chat_direct_open(user=alice, other_id=bob.pk)
    carol = make_user("carol")
    for call, kwargs in [
        (services.chat_session_rename, {"title": "x"}),
        (services.chat_members_add, {"user_ids": [carol.pk]}),
        (services.chat_member_kick, {"user_id": alice.pk}),
        (services.chat_member_kick, {"user_id": bob.pk}),
    ]:
        with pytest.raises(DomainError) as exc:
            call(session_id=session.pk, user=alice, **kwargs)
        assert exc.value.code == "DIRECT_CHAT"
    assert session.members.count() == 2


# -- creating, renaming, members -------------------------------------------------


def test_creating_a_group_tells_every_members_list(alice, bob, make_user):
    carol = make_user("carol")
    response = client_for(alice).post(
        "/api/chat/sessions/",
        {"title": "Lunch", "memberIds": [bob.pk, carol.pk]},
        format="json",
    )
    assert response.status_code == 201
    for user in (alice, bob, carol):
        [frame] = events_of(user, "session:added")
        assert frame["data"]["id"] == response.json()["id"]
        assert frame["data"]["title"] == "Lunch"


def test_creator_renames_and_every_member_hears_it(alice, bob):
    session = session_with(alice, bob, title="Old")
    response = client_for(alice).patch(
        f"/api/chat/sessions/{session.pk}/", {"title": " New "}, format="json"
    )
    assert response.status_code == 200 and response.json()["title"] == "New"
    for user in (alice, bob):
        [frame] = events_of(user, "session:updated")
        assert frame["data"]["sessionId"] == session.pk
        assert frame["data"]["title"] == "New"


@pytest.mark.parametrize("title", ["", "   ", "x" * 201, 5, None, ["a"]])
def test_rename_refuses_bad_titles(alice, bob, title):
    session = session_with(alice, bob, title="Keep")
    response = client_for(alice).patch(
        f"/api/chat/sessions/{session.pk}/", {"title": title}, format="json"
    )
    assert response.status_code == 400
    session.refresh_from_db()
    assert session.title == "Keep"


def test_only_the_creator_renames_or_adds_and_non_members_nothing(
    alice, bob, make_user
):
    session = session_with(alice, bob, title="Keep")
    carol, eve = make_user("carol"), make_user("eve")
    url = f"/api/chat/sessions/{session.pk}/"
    response = client_for(bob).patch(url, {"title": "Mine"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "NOT_THE_CREATOR"
    response = client_for(bob).post(
        url + "members/", {"userIds": [carol.pk]}, format="json"
    )
    assert response.status_code == 403
    assert client_for(bob).delete(url + f"members/{alice.pk}/").status_code == 403
    eve_api = client_for(eve)
    assert eve_api.patch(url, {"title": "x"}, format="json").status_code == 403
    assert (
        eve_api.post(url + "members/", {"userIds": [eve.pk]}, format="json").status_code
        == 403
    )
    assert eve_api.delete(url + f"members/{bob.pk}/").status_code == 403
    assert (
        client_for(alice)
        .patch("/api/chat/sessions/999999/", {"title": "x"}, format="json")
        .status_code
        == 404
    )
    session.refresh_from_db()
    assert session.title == "Keep" and session.members.count() == 2


def test_adding_members_tells_the_room_the_new_and_the_old(alice, bob, make_user):
    session = session_with(alice, bob)
    carol = make_user("carol")
    response = client_for(alice).post(
        f"/api/chat/sessions/{session.pk}/members/",
        {"userIds": [carol.pk, bob.pk]},
        format="json",
    )
    assert response.status_code == 200
    assert [m["name"] for m in response.json()["members"]] == ["alice", "bob", "carol"]
    [added] = published(f"chat:{session.pk}", "member:added")
    assert added["data"]["user"]["id"] == carol.pk
    assert events_of(carol, "session:added")[0]["data"]["id"] == session.pk
    [update] = events_of(bob, "session:updated")
    assert [m["id"] for m in update["data"]["members"]] == [alice.pk, bob.pk, carol.pk]


@pytest.mark.parametrize("ids", [[], [0], ["x"], [True], "1", [999999], [1.5]])
def test_adding_refuses_bad_ids_without_telling_which_exist(alice, bob, ids):
    session = session_with(alice, bob)
    response = client_for(alice).post(
        f"/api/chat/sessions/{session.pk}/members/", {"userIds": ids}, format="json"
    )
    assert response.status_code == 400
    assert "999999" not in response.content.decode()
    assert session.members.count() == 2


def test_creator_removes_a_member_who_hears_it_and_others_see_it(alice, bob, make_user):
    carol = make_user("carol")
    session = session_with(alice, bob, carol)
    response = client_for(alice).delete(
        f"/api/chat/sessions/{session.pk}/members/{carol.pk}/"
    )
    assert response.status_code == 204
    assert not ChatMember.objects.filter(session=session, user=carol).exists()
    assert (
        published(f"chat:{session.pk}", "member:removed")[0]["data"]["user"]["id"]
        == carol.pk
    )
    assert events_of(carol, "session:removed")[0]["data"] == {"sessionId": session.pk}
    assert [
        m["id"] for m in events_of(bob, "session:updated")[-1]["data"]["members"]
    ] == [
        alice.pk,
        bob.pk,
    ]
    # Carol can read nothing of it any more.
    carol_api = client_for(carol)
    assert (
        carol_api.get(f"/api/chat/sessions/{session.pk}/messages/").status_code == 403
    )
    assert selectors.session_list(user=carol) == []
    # Removing her again: she is not a member.
    response = client_for(alice).delete(
        f"/api/chat/sessions/{session.pk}/members/{carol.pk}/"
    )
    assert response.status_code == 404


def test_a_member_leaves_a_group(alice, bob, make_user):
    carol = make_user("carol")
    session = session_with(alice, bob, carol)
    response = client_for(bob).delete(
        f"/api/chat/sessions/{session.pk}/members/{bob.pk}/"
    )
    assert response.status_code == 204
    assert sorted(session.members.values_list("user__username", flat=True)) == [
        "alice",
        "carol",
    ]


def test_adding_more_than_a_hundred_at_once_is_refused(alice, bob):
    session = session_with(alice, bob)
    response = client_for(alice).post(
        f"/api/chat/sessions/{session.pk}/members/",
        {"userIds": list(range(1, 102))},
        format="json",
    )
    assert response.status_code == 400
    with pytest.raises(DomainError):
        services.chat_members_add(
            session_id=session.pk, user=alice, user_ids=list(range(1, 102))
        )
    assert session.members.count() == 2
