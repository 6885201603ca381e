"""`memberIds` errors do not tell which user ids exist."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from chat.models import ChatSession

pytestmark = pytest.mark.django_db


def create(alice, member_ids) -> tuple[int, dict]:
    client = APIClient()
    client.force_authenticate(alice)
    response = client.post(
        "/api/chat/sessions/",
        {"title": "Plans", "memberIds": member_ids},
        format="json",
    )
    return response.status_code, response.json()


def test_missing_and_inactive_ids_get_the_same_answer(alice, make_user):
    inactive = make_user("gone")
    inactive.is_active = False
    inactive.save()
    missing = inactive.pk + 1000
    assert create(alice, [missing]) == create(alice, [inactive.pk])
    status, body = create(alice, [missing])
    assert status == 400 and body["code"] == "VALIDATION_ERROR"
    assert str(missing) not in str(body)
    assert ChatSession.objects.count() == 0


def test_a_mix_of_good_and_bad_ids_names_none_of_them(alice, bob, make_user):
    inactive = make_user("gone")
    inactive.is_active = False
    inactive.save()
    missing = inactive.pk + 1000
    one = create(alice, [bob.pk, missing])
    other = create(alice, [bob.pk, inactive.pk])
    assert one == other
    assert str(missing) not in str(one[1]) and str(inactive.pk) not in str(other[1])
    assert ChatSession.objects.count() == 0


def test_good_ids_still_make_a_session(alice, bob):
    status, body = create(alice, [bob.pk])
    assert status == 201, body
