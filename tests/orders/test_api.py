"""REST API of orders, cells and settings (PROTOCOL section 8)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from orders import services
from orders.models import Order
from tests.conftest import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def as_user(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def place(api, cafe, **body):
    payload = {"items": [cafe.line()], "payType": "CARD", **body}
    return api.post("/api/orders/", payload, format="json")


def test_kiosk_places_an_order_without_login_and_gets_the_created_payload(api, cafe):
    response = place(api, cafe, items=[cafe.line(cafe.latte, 2, cafe.large, cafe.iced)])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["dailyNum"] == 1 and body["status"] == "PENDING"
    assert body["totalAmount"] == 2 * 3800
    assert Order.objects.filter(pk=body["orderId"]).exists()


def test_client_prices_are_ignored(api, cafe):
    line = {**cafe.line(), "unitPrice": 1, "totalPrice": 1}
    response = place(api, cafe, items=[line], totalAmount=1)
    assert response.status_code == 201
    assert response.json()["totalAmount"] == 3000
    assert response.json()["items"][0]["unitPrice"] == 3000


def test_sold_out_is_409_naming_the_item(api, cafe):
    cafe.cookie.is_sold_out = True
    cafe.cookie.save()
    response = place(api, cafe, items=[cafe.line(cafe.cookie)])
    assert response.status_code == 409
    assert response.json()["code"] == "SOLD_OUT"
    assert "Cookie" in response.json()["message"]
    assert response.json()["details"]["items"][0]["menuName"] == "Cookie"


def test_inactive_kiosk_is_503_even_for_a_page_that_missed_the_event(api, cafe, staff):
    services.setting_set(key="is_kiosk_active", value=False, actor=staff)
    response = place(api, cafe)
    assert response.status_code == 503
    assert response.json()["code"] == "KIOSK_INACTIVE"


def test_cell_order_short_of_points_is_409(api, cafe):
    response = place(
        api,
        cafe,
        items=[cafe.line(cafe.latte, 10)],
        payType="CELL",
        cellId=cafe.cell.pk,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "INSUFFICIENT_BALANCE"


def test_bad_bodies_are_400_validation_errors(api, cafe):
    for body in [
        {},
        {"items": [], "payType": "CARD"},
        {"items": [cafe.line()], "payType": "X"},
    ]:
        response = api.post("/api/orders/", body, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "VALIDATION_ERROR"


def test_anyone_holding_the_id_reads_the_order(api, cafe):
    order_id = place(api, cafe).json()["orderId"]
    body = APIClient().get(f"/api/orders/{order_id}/").json()
    assert body["orderId"] == order_id and body["status"] == "PENDING"
    assert APIClient().get("/api/orders/not-an-order/").status_code == 404


def test_listing_orders_needs_a_barista_or_staff(api, cafe, make_user, barista, staff):
    place(api, cafe)
    assert api.get("/api/orders/").status_code == 401
    assert as_user(make_user("walker")).get("/api/orders/").status_code == 403
    assert len(as_user(barista).get("/api/orders/").json()) == 1
    assert len(as_user(staff).get("/api/orders/?status=PENDING,MAKING").json()) == 1
    assert as_user(staff).get("/api/orders/?status=READY").json() == []
    assert as_user(staff).get("/api/orders/?date=2001-01-01").json() == []


def test_barista_moves_status_and_refused_moves_are_409(api, cafe, barista):
    order_id = place(api, cafe).json()["orderId"]
    client = as_user(barista)
    url = f"/api/orders/{order_id}/status/"
    response = client.patch(url, {"status": "MAKING"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "MAKING"
    response = client.patch(url, {"status": "COMPLETED"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "INVALID_TRANSITION"
    assert api.patch(url, {"status": "READY"}, format="json").status_code == 401


def test_a_pending_order_may_be_marked_ready_at_once(api, cafe, barista):
    order_id = place(api, cafe).json()["orderId"]
    response = as_user(barista).patch(
        f"/api/orders/{order_id}/status/", {"status": "READY"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "READY"


def test_cancel_with_reason_and_undo(api, cafe, barista):
    client = as_user(barista)
    first = place(api, cafe).json()["orderId"]
    response = client.post(
        f"/api/orders/{first}/cancel/", {"reason": "No milk"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["cancelReason"] == "No milk"
    second = place(api, cafe).json()["orderId"]
    client.patch(f"/api/orders/{second}/status/", {"status": "MAKING"}, format="json")
    response = client.post(f"/api/orders/{second}/undo/")
    assert response.status_code == 200 and response.json()["status"] == "PENDING"
    assert client.post(f"/api/orders/{second}/undo/").status_code == 409


def test_cells_are_for_staff_and_charge_adds_points(api, cafe, staff, barista):
    assert api.get("/api/cells/").status_code == 401
    assert as_user(barista).get("/api/cells/").status_code == 403
    client = as_user(staff)
    assert client.get("/api/cells/").json() == [
        {
            "id": cafe.cell.pk,
            "name": "Joy Cell",
            "balance": 10_000,
            "isActive": True,
            "hasPin": False,
        }
    ]
    response = client.post(
        f"/api/cells/{cafe.cell.pk}/charge/", {"amount": 2500}, format="json"
    )
    assert response.status_code == 200 and response.json()["balance"] == 12_500
    assert (
        client.post(
            f"/api/cells/{cafe.cell.pk}/charge/", {"amount": 0}, format="json"
        ).status_code
        == 400
    )
    ledger = client.get(f"/api/cells/{cafe.cell.pk}/ledger/").json()
    assert [(e["type"], e["balanceBefore"], e["balanceAfter"]) for e in ledger[:1]] == [
        ("CHARGE", 10_000, 12_500)
    ]


def test_settings_read_by_anyone_and_changed_by_staff(api, staff, barista, db):
    assert api.get("/api/settings/").json()["is_kiosk_active"] is True
    url = "/api/settings/is_kiosk_active/"
    assert (
        as_user(barista).patch(url, {"value": False}, format="json").status_code == 403
    )
    response = as_user(staff).patch(url, {"value": False}, format="json")
    assert response.status_code == 200
    # The settings:changed payload, with the value in the original string form.
    assert response.json()["value"] == "false"
    assert response.json()["updatedBy"]["name"] == "staffer"
    assert api.get("/api/settings/").json()["is_kiosk_active"] is False
    assert (
        as_user(staff)
        .patch("/api/settings/nope/", {"value": 1}, format="json")
        .status_code
        == 404
    )


@pytest.mark.parametrize(
    ("key", "written", "sent", "read"),
    [
        ("is_kiosk_active", "false", "false", False),
        ("is_kiosk_active", "true", "true", True),
        ("is_kiosk_active", True, "true", True),
        ("ticket_warn_minutes", "6", "6", 6),
        ("ticket_warn_minutes", 7, "7", 7),
        ("kiosk_message", "Back at two", "Back at two", "Back at two"),
    ],
)
def test_settings_take_the_original_string_form_or_json(
    api, staff, db, key, written, sent, read
):
    response = as_user(staff).patch(
        f"/api/settings/{key}/", {"value": written}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["value"] == sent
    assert api.get("/api/settings/").json()[key] == read


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("is_kiosk_active", "no"),
        ("is_kiosk_active", "False "),
        ("is_kiosk_active", 0),
        ("ticket_warn_minutes", "0"),
        ("ticket_warn_minutes", "6.5"),
        ("ticket_warn_minutes", "٣"),
        ("ticket_warn_minutes", True),
    ],
)
def test_settings_refuse_other_values(api, staff, db, key, value):
    response = as_user(staff).patch(
        f"/api/settings/{key}/", {"value": value}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"


def test_session_pages_need_csrf_for_changes(cafe, barista):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(barista)
    order_id = place(APIClient(), cafe).json()["orderId"]
    response = client.patch(
        f"/api/orders/{order_id}/status/", {"status": "MAKING"}, format="json"
    )
    assert response.status_code == 403


def test_openapi_schema_documents_the_cafe_endpoints(api, db):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/menus/",
        "/api/menus/{menu_id}/",
        "/api/orders/",
        "/api/orders/{order_id}/",
        "/api/orders/{order_id}/status/",
        "/api/orders/{order_id}/cancel/",
        "/api/cells/",
        "/api/cells/{cell_id}/charge/",
        "/api/cells/{cell_id}/",
        "/api/cells/{cell_id}/balance/",
        "/api/settings/",
        "/api/settings/{key}/",
    ]:
        assert path in paths, path
