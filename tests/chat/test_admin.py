"""The chat admin: members removed there go through the service like any other."""

from __future__ import annotations

import pytest

from chat.models import ChatMember
from tests.chat.factories import session_with
from tests.conftest import published

pytestmark = pytest.mark.django_db


def member_form(session, members, delete=(), add=()):  # type: ignore[no-untyped-def]
    """POST data of the session's change form with its member inline."""
    data = {
        "title": session.title,
        "creator": session.creator_id,
        "members-TOTAL_FORMS": str(len(members) + len(add)),
        "members-INITIAL_FORMS": str(len(members)),
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
    }
    for i, member in enumerate(members):
        data[f"members-{i}-id"] = str(member.pk)
        data[f"members-{i}-session"] = str(session.pk)
        data[f"members-{i}-user"] = str(member.user_id)
        if member.user in delete:
            data[f"members-{i}-DELETE"] = "on"
    for j, user in enumerate(add, start=len(members)):
        data[f"members-{j}-session"] = str(session.pk)
        data[f"members-{j}-user"] = str(user.pk)
    return data


def removals(session) -> list[int]:  # type: ignore[no-untyped-def]
    frames = published(f"chat:{session.pk}", "member:removed")
    return [frame["data"]["user"]["id"] for frame in frames]


def test_removing_a_member_in_the_admin_publishes_member_removed(
    admin_client, make_user
):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    session = session_with(alice, bob)
    members = list(ChatMember.objects.filter(session=session).order_by("pk"))
    response = admin_client.post(
        f"/admin/chat/chatsession/{session.pk}/change/",
        member_form(session, members, delete=[bob], add=[carol]),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(
        ChatMember.objects.filter(session=session).values_list("user", flat=True)
    ) == {alice.pk, carol.pk}
    assert removals(session) == [bob.pk]
