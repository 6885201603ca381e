"""The devices API and pages: staff only, tokens shown once, pairing, and REST for devices."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from devices import services
from devices.models import Device
from orders import services as order_services
from orders.models import Order
from tests.conftest import token_for

pytestmark = pytest.mark.django_db


def as_user(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def as_device(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_staff_create_a_device_and_see_its_token_once(staff):
    client = as_user(staff)
    response = client.post(
        "/api/devices/",
        {"name": "Kitchen tablet", "role": "kitchen_display"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token"].startswith("tdev_")
    assert body["link"] == "http://testserver/pair/#token=" + body["token"]
    assert len(body["pairingCode"]) == 9 and body["pairingCode"][4] == "-"
    assert body["device"]["role"] == "kitchen_display" and body["device"]["createdBy"]
    listed = client.get("/api/devices/").json()
    assert [d["name"] for d in listed] == ["Kitchen tablet"]
    assert body["token"] not in str(listed) and "tokenHash" not in listed[0]


@pytest.mark.parametrize("who", ["barista", "walker", None])
def test_non_staff_may_not_create_list_or_revoke(make_user, barista, make_device, who):
    device = make_device().device
    if who is None:
        client = APIClient()
    else:
        client = as_user(barista if who == "barista" else make_user(who))
    created = client.post(
        "/api/devices/", {"name": "x", "role": "kiosk"}, format="json"
    )
    listed = client.get("/api/devices/")
    revoked = client.post(f"/api/devices/{device.pk}/revoke/")
    for response in (created, listed, revoked):
        assert response.status_code in (401, 403), response.content
    assert Device.objects.count() == 1
    assert Device.objects.get().revoked_at is None


def test_a_device_token_is_no_staff_login(make_device):
    issued = make_device("staff_app")
    client = as_device(issued.token)
    assert client.get("/api/devices/").status_code == 403
    assert client.get("/api/cells/").status_code == 403
    assert client.get("/api/chat/sessions/").status_code in (401, 403)


def test_staff_revoke_a_device(staff, make_device):
    issued = make_device()
    response = as_user(staff).post(f"/api/devices/{issued.device.pk}/revoke/")
    assert response.status_code == 200
    assert response.json()["revoked"] is True and response.json()["device"]["revokedAt"]
    gone = as_device(issued.token).get("/api/devices/me/")
    assert gone.status_code == 401 and gone.json()["code"] == "UNAUTHORIZED"
    assert as_user(staff).post("/api/devices/999/revoke/").status_code == 404


def test_pairing_by_code_over_rest(make_device):
    issued = make_device("pickup_board", "Pickup board")
    client = APIClient()
    response = client.post(
        "/api/devices/pair/", {"code": issued.pairing_code}, format="json"
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response.json()["token"] == issued.token
    assert response.json()["device"]["name"] == "Pickup board"
    again = client.post(
        "/api/devices/pair/", {"code": issued.pairing_code}, format="json"
    )
    assert again.status_code == 400 and again.json()["code"] == "PAIRING_CODE_INVALID"
    me = as_device(issued.token).get("/api/devices/me/")
    assert me.json()["device"]["id"] == issued.device.pk


@override_settings(
    DEVICE_PAIRING={
        "CODE_TTL": 600,
        "FAILURE_LIMIT": 2,
        "GLOBAL_FAILURE_LIMIT": 100,
        "FAILURE_WINDOW": 600,
    }
)
def test_wrong_codes_are_answered_429_with_retry_after(make_device):
    issued = make_device()
    client = APIClient()
    for _ in range(2):
        wrong = client.post("/api/devices/pair/", {"code": "ZZZZ-ZZZZ"}, format="json")
        assert wrong.status_code == 400
    limited = client.post(
        "/api/devices/pair/", {"code": issued.pairing_code}, format="json"
    )
    assert limited.status_code == 429 and limited.json()["code"] == "RATE_LIMITED"
    assert 0 < int(limited["Retry-After"]) <= 600
    assert "token" not in limited.json()


# -- what a kitchen display may do over REST ---------------------------------------


def _order(cafe) -> Order:
    return order_services.order_create(items=[cafe.line()], pay_type="CARD")


def test_a_kitchen_display_moves_orders_along_and_nothing_else(cafe, make_device):
    order = _order(cafe)
    client = as_device(make_device("kitchen_display").token)
    url = f"/api/orders/{order.pk}/status/"
    for status in ("MAKING", "READY"):
        response = client.patch(url, {"status": status}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == status
    cancel = client.patch(url, {"status": "CANCELLED"}, format="json")
    assert cancel.status_code == 403
    assert (
        client.post(f"/api/orders/{order.pk}/cancel/", {}, format="json").status_code
        == 403
    )
    assert client.post(f"/api/orders/{order.pk}/undo/").status_code == 403
    assert client.get("/api/orders/").status_code == 403
    sold_out = client.patch(
        f"/api/menus/{cafe.latte.pk}/", {"isSoldOut": True}, format="json"
    )
    assert sold_out.status_code == 403
    order.refresh_from_db()
    assert order.status == "READY"


@pytest.mark.parametrize("role", ["kiosk", "pickup_board", "staff_app"])
def test_other_device_roles_cannot_move_orders(cafe, make_device, role):
    order = _order(cafe)
    client = as_device(make_device(role).token)
    response = client.patch(
        f"/api/orders/{order.pk}/status/", {"status": "MAKING"}, format="json"
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == "PENDING"


def test_a_revoked_kitchen_display_cannot_move_orders(cafe, make_device):
    order = _order(cafe)
    issued = make_device("kitchen_display")
    services.device_revoke(device_id=issued.device.pk)
    response = as_device(issued.token).patch(
        f"/api/orders/{order.pk}/status/", {"status": "MAKING"}, format="json"
    )
    assert response.status_code == 401 and response.json()["code"] == "UNAUTHORIZED"


def test_a_kitchen_display_reads_its_rooms_history_only(cafe, make_device):
    _order(cafe)
    client = as_device(make_device("kitchen_display").token)
    kitchen = client.get("/api/realtime/rooms/kitchen/events/")
    assert kitchen.status_code == 200
    assert [f["event"] for f in kitchen.json()] == ["order:created"]
    assert client.get("/api/realtime/rooms/admin/events/").status_code == 403
    assert client.get("/api/realtime/rooms/devices/events/").status_code == 400


def test_a_barista_jwt_still_moves_orders(cafe, barista):
    order = _order(cafe)
    response = as_user(barista).patch(
        f"/api/orders/{order.pk}/status/", {"status": "MAKING"}, format="json"
    )
    assert response.status_code == 200


# -- pages and admin ------------------------------------------------------------------


def test_the_staff_page_is_for_staff(client, staff, barista):
    assert client.get("/staff/devices/").status_code == 302
    client.force_login(barista)
    assert client.get("/staff/devices/").status_code == 302
    client.force_login(staff)
    page = client.get("/staff/devices/")
    assert page.status_code == 200
    assert b"staff_devices.js" in page.content and b"Kitchen display" in page.content


def test_the_pairing_page_is_public_and_sends_no_referrer(client):
    page = client.get("/pair/")
    assert page.status_code == 200 and b"pair.js" in page.content
    assert page["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]


def test_admin_creates_a_device_and_shows_its_token_once(client, django_user_model):
    admin = django_user_model.objects.create_superuser("boss", password="pw")
    client.force_login(admin)
    response = client.post(
        "/admin/devices/device/add/",
        {"name": "Counter <b>board</b>", "role": "pickup_board"},
        follow=True,
    )
    assert response.status_code == 200
    device = Device.objects.get()
    assert device.name == "Counter <b>board</b>" and device.token_hash
    text = response.content.decode()
    assert "#token=tdev_" in text and "no-store" in response["Cache-Control"]
    assert "tdev_" not in str(client.cookies)  # not in a message cookie
    assert "<b>board</b>" not in text
    again = client.get(f"/admin/devices/device/{device.pk}/change/").content.decode()
    assert "#token=tdev_" not in again


def test_admin_revokes_and_never_deletes(client, django_user_model, make_device):
    admin = django_user_model.objects.create_superuser("boss", password="pw")
    client.force_login(admin)
    issued = make_device()
    response = client.post(
        "/admin/devices/device/",
        {"action": "revoke", "_selected_action": [issued.device.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Device.objects.get().revoked_by == admin
    assert (
        client.post(f"/admin/devices/device/{issued.device.pk}/delete/").status_code
        == 403
    )
