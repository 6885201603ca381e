"""Numbers in REST bodies and queries are ASCII digits in the 64-bit range (PROTOCOL 8)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from monitoring.models import Endpoint
from tests.conftest import token_for

pytestmark = pytest.mark.django_db

LOOSE = ["٣", "²", "1_0", "3.5", str(10**30)]


def as_user(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


@pytest.mark.parametrize("value", LOOSE)
def test_room_history_after(value: str) -> None:
    reply = APIClient().get("/api/realtime/rooms/kiosk/events/", {"after": value})
    assert reply.status_code == 400, reply.content
    assert reply.json()["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("value", LOOSE)
def test_order_menu_id(value: str) -> None:
    reply = APIClient().post(
        "/api/orders/",
        {"items": [{"menuId": value, "quantity": 1}], "payType": "CASH"},
        format="json",
    )
    assert reply.status_code == 400, reply.content
    assert reply.json()["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("value", LOOSE)
def test_endpoint_interval(staff, value: str) -> None:
    reply = as_user(staff).post(
        "/api/endpoints/",
        {"name": "Site", "url": "http://127.0.0.1:9/", "intervalSeconds": value},
        format="json",
    )
    assert reply.status_code == 400, reply.content
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize("value", LOOSE)
def test_incident_filter(staff, value: str) -> None:
    reply = as_user(staff).get("/api/incidents/", {"endpointId": value})
    assert reply.status_code == 400, reply.content


def test_plain_numbers_still_work(staff) -> None:
    reply = APIClient().get("/api/realtime/rooms/kiosk/events/", {"after": "0"})
    assert reply.status_code == 200
    reply = as_user(staff).post(
        "/api/endpoints/",
        {"name": "Site", "url": "http://127.0.0.1:9/", "intervalSeconds": "120"},
        format="json",
    )
    assert reply.status_code == 201 and reply.json()["intervalSeconds"] == 120
