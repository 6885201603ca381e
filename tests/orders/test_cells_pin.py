"""Cell PINs: staff set them (hashed, never returned); CELL orders and balances need them."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from devices import services as device_services
from orders.models import Cell, Order
from tests.conftest import published, token_for

pytestmark = pytest.mark.django_db
PIN = "0427"


@pytest.fixture(autouse=True)
def fresh_limits(settings):
    """Counts of this test only: a key prefix of its own (no flush of a shared Redis)."""
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_WINDOW = 300
    prefix = f"test-cell-pin-{uuid.uuid4().hex}"
    settings.CACHES = {
        name: {**conf, "KEY_PREFIX": prefix} for name, conf in settings.CACHES.items()
    }
    assert cache.get("login-failures:addr:cell-pin:addr:10.0.0.1:count") is None


def staff_client(staff) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(staff)}")
    return client


def kiosk(address: str = "10.0.0.1", token: str | None = None) -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def cell_order(cafe, client=None, **body):
    payload = {
        "items": [cafe.line()],
        "payType": "CELL",
        "cellId": cafe.cell.pk,
        **body,
    }
    return (client or kiosk()).post("/api/orders/", payload, format="json")


def set_pin(staff, cafe, pin=PIN):
    return staff_client(staff).patch(
        f"/api/cells/{cafe.cell.pk}/", {"pin": pin}, format="json"
    )


def test_staff_set_a_pin_stored_hashed_and_never_returned(cafe, staff, caplog):
    caplog.set_level(logging.DEBUG)
    response = set_pin(staff, cafe)
    assert response.status_code == 200
    assert response.json()["hasPin"] is True
    assert PIN not in response.content.decode()
    cell = Cell.objects.get(pk=cafe.cell.pk)
    assert cell.pin_hash and PIN not in cell.pin_hash
    assert cell.pin_hash.split("$")[0] in {
        "pbkdf2_sha256",
        "argon2",
        "bcrypt_sha256",
        "md5",
        "scrypt",
    }
    listed = staff_client(staff).get("/api/cells/").json()
    assert listed[0]["hasPin"] is True and "pin" not in listed[0]
    assert PIN not in str(listed)
    (frame,) = published("admin", "cell:pin_changed")
    assert frame["data"] == {
        "cellId": cafe.cell.pk,
        "cellName": "Joy Cell",
        "hasPin": True,
    }
    # Wrong PINs are refused without the PIN showing up in any log line.
    cell_order(cafe, cellPin="9999")
    cell_order(cafe, cellPin=PIN)
    assert PIN not in caplog.text and "9999" not in caplog.text


def test_only_staff_set_pins(cafe, barista):
    assert (
        kiosk()
        .patch(f"/api/cells/{cafe.cell.pk}/", {"pin": PIN}, format="json")
        .status_code
        == 401
    )
    barista_client = APIClient()
    barista_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(barista)}")
    assert (
        barista_client.patch(
            f"/api/cells/{cafe.cell.pk}/", {"pin": PIN}, format="json"
        ).status_code
        == 403
    )
    assert not Cell.objects.get(pk=cafe.cell.pk).has_pin


@pytest.mark.parametrize(
    "pin, message",
    [
        (1234, "A PIN is text"),
        ("12a4", "4 to 8 digits"),
        ("123", "4 to 8 digits"),
        ("123456789", "4 to 8 digits"),
        ("١٢٣٤", "4 to 8 digits"),
        (" 1234", "4 to 8 digits"),
        (["1234"], "A PIN is text"),
    ],
)
def test_bad_pins_are_refused_with_a_clear_message(cafe, staff, pin, message):
    response = set_pin(staff, cafe, pin)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert response.json()["message"].startswith("pin: ")


def test_a_missing_pin_field_and_an_unknown_cell(cafe, staff):
    client = staff_client(staff)
    assert (
        client.patch(f"/api/cells/{cafe.cell.pk}/", {}, format="json").status_code
        == 400
    )
    assert (
        client.patch("/api/cells/999999/", {"pin": PIN}, format="json").status_code
        == 404
    )


def test_a_pin_can_be_removed(cafe, staff):
    set_pin(staff, cafe)
    response = set_pin(staff, cafe, None)
    assert response.status_code == 200 and response.json()["hasPin"] is False
    assert cell_order(cafe).status_code == 201
    set_pin(staff, cafe)
    assert set_pin(staff, cafe, "").json()["hasPin"] is False


def test_a_cell_without_a_pin_orders_as_before(cafe):
    response = cell_order(cafe)
    assert response.status_code == 201, response.json()
    assert response.json()["cellInfo"]["name"] == "Joy Cell"


def test_a_cell_with_a_pin_needs_the_right_one(cafe, staff):
    set_pin(staff, cafe)
    missing = cell_order(cafe)
    assert missing.status_code == 403
    assert missing.json()["code"] == "CELL_PIN_REQUIRED"
    wrong = cell_order(cafe, cellPin="1111")
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "CELL_PIN_WRONG"
    assert not Order.objects.exists()
    right = cell_order(cafe, cellPin=PIN)
    assert right.status_code == 201
    cafe.cell.refresh_from_db()
    assert cafe.cell.balance == 10_000 - 3000
    # A card order never needs the PIN.
    assert (
        kiosk()
        .post(
            "/api/orders/", {"items": [cafe.line()], "payType": "CARD"}, format="json"
        )
        .status_code
        == 201
    )


def test_wrong_pins_lock_the_cell_for_every_device_right_pin_included(cafe, staff):
    set_pin(staff, cafe)
    for n in range(3):
        address = f"10.0.0.{n + 1}"
        assert (
            cell_order(cafe, kiosk(address), cellPin="1111").json()["code"]
            == "CELL_PIN_WRONG"
        )
    locked = cell_order(cafe, kiosk("10.0.0.9"), cellPin=PIN)
    assert locked.status_code == 429
    assert locked.json()["code"] == "RATE_LIMITED"
    assert int(locked["Retry-After"]) >= 1
    assert locked.json()["details"]["retryAfter"] == int(locked["Retry-After"])
    balance = kiosk("10.0.0.9").post(
        f"/api/cells/{cafe.cell.pk}/balance/", {"pin": PIN}, format="json"
    )
    assert balance.status_code == 429
    assert not Order.objects.exists()


def test_wrong_pins_from_one_address_lock_that_address_for_every_cell(cafe, staff):
    set_pin(staff, cafe)
    other = Cell.objects.create(name="Hope Cell", balance=5000)
    staff_client(staff).patch(f"/api/cells/{other.pk}/", {"pin": "5555"}, format="json")
    tries = [cafe.cell.pk, other.pk, cafe.cell.pk]
    for cell_id in tries:
        cell_order(cafe, kiosk("10.0.0.7"), cellId=cell_id, cellPin="0000")
    assert (
        cell_order(cafe, kiosk("10.0.0.7"), cellId=other.pk, cellPin="5555").status_code
        == 429
    )
    # Another address may still pay with the right PIN (the cells are below the limit).
    assert (
        cell_order(cafe, kiosk("10.0.0.8"), cellId=other.pk, cellPin="5555").status_code
        == 201
    )


def test_a_paired_device_counts_as_itself_not_as_its_address(cafe, staff):
    set_pin(staff, cafe)
    other = Cell.objects.create(name="Hope Cell", balance=5000)
    staff_client(staff).patch(f"/api/cells/{other.pk}/", {"pin": "5555"}, format="json")
    first = device_services.device_create(name="Kiosk 1", role="kiosk").token
    second = device_services.device_create(name="Kiosk 2", role="kiosk").token
    for cell_id in [cafe.cell.pk, other.pk, cafe.cell.pk]:
        cell_order(cafe, kiosk("10.0.0.5", first), cellId=cell_id, cellPin="0000")
    assert (
        cell_order(
            cafe, kiosk("10.0.0.5", first), cellId=other.pk, cellPin="5555"
        ).status_code
        == 429
    )
    # The same address, another device: not locked.
    assert (
        cell_order(
            cafe, kiosk("10.0.0.5", second), cellId=other.pk, cellPin="5555"
        ).status_code
        == 201
    )


def test_the_kiosk_reads_a_balance_only_with_the_pin(cafe, staff):
    url = f"/api/cells/{cafe.cell.pk}/balance/"
    # No PIN set: the balance is there for anyone at the kiosk.
    open_cell = kiosk().post(url, {}, format="json")
    assert open_cell.status_code == 200
    assert open_cell.json() == {
        "id": cafe.cell.pk,
        "name": "Joy Cell",
        "balance": 10_000,
        "hasPin": False,
    }
    set_pin(staff, cafe)
    missing = kiosk().post(url, {}, format="json")
    assert missing.status_code == 403 and missing.json()["code"] == "CELL_PIN_REQUIRED"
    assert "balance" not in str(missing.json().get("details"))
    wrong = kiosk().post(url, {"pin": "1111"}, format="json")
    assert wrong.json()["code"] == "CELL_PIN_WRONG"
    assert (
        "10000" not in wrong.content.decode() and "10,000" not in wrong.content.decode()
    )
    right = kiosk().post(url, {"pin": PIN}, format="json")
    assert right.status_code == 200 and right.json()["balance"] == 10_000
    assert (
        kiosk()
        .post("/api/cells/424242/balance/", {"pin": PIN}, format="json")
        .status_code
        == 404
    )
    assert kiosk().post(url, {"pin": 427}, format="json").status_code == 400


def test_an_inactive_cell_shows_no_balance(cafe):
    Cell.objects.filter(pk=cafe.cell.pk).update(is_active=False)
    assert (
        kiosk()
        .post(f"/api/cells/{cafe.cell.pk}/balance/", {}, format="json")
        .status_code
        == 404
    )


@pytest.mark.parametrize(
    "amount, message",
    [
        (None, "Enter the points to add"),
        ("", "whole number"),
        (0, "at least 1"),
        (-500, "at least 1"),
        (10_000_001, "At most 10,000,000"),
        ("99999999999999999999999", "At most 10,000,000"),
        ("5000abc", "whole number"),
        (12.5, "whole number"),
        (True, "whole number"),
    ],
)
def test_charges_say_what_is_wrong_with_the_amount(cafe, staff, amount, message):
    body = {} if amount is None else {"amount": amount}
    response = staff_client(staff).post(
        f"/api/cells/{cafe.cell.pk}/charge/", body, format="json"
    )
    assert response.status_code == 400, response.json()
    assert message in response.json()["message"]
    assert response.json()["message"] != "Invalid input"
    cafe.cell.refresh_from_db()
    assert cafe.cell.balance == 10_000


def test_the_schema_documents_pin_and_expected_total(db):
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    bodies = schema["components"]["schemas"]
    assert "expectedTotal" in bodies["OrderCreateInput"]["properties"]
    assert "cellPin" in bodies["OrderCreateInput"]["properties"]
    assert "patch" in schema["paths"]["/api/cells/{cell_id}/"]
    assert "post" in schema["paths"]["/api/cells/{cell_id}/balance/"]


@pytest.mark.parametrize(
    "path", ["/api/cells/99999999999999999999999/", "/api/cells/9223372036854775808/"]
)
def test_ids_no_column_holds_are_clear_errors_not_crashes(cafe, staff, path):
    patched = staff_client(staff).patch(path, {"pin": PIN}, format="json")
    assert patched.status_code in (400, 404), patched.content
    assert patched.json()["code"] in ("VALIDATION_ERROR", "NOT_FOUND")
    read = kiosk().post(path + "balance/", {"pin": PIN}, format="json")
    assert read.status_code in (400, 404), read.content
    assert read.json()["code"] in ("VALIDATION_ERROR", "NOT_FOUND")


@pytest.mark.parametrize(
    "body", [[], "1234", {"pin": "\x001234"}, {"pin": "1" * 10_000}]
)
def test_odd_bodies_for_the_balance_are_400(cafe, staff, body):
    set_pin(staff, cafe)
    response = kiosk().post(f"/api/cells/{cafe.cell.pk}/balance/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["message"] != "Invalid input"


def test_a_pin_sent_as_a_number_on_an_order_is_refused_not_counted(cafe, staff):
    set_pin(staff, cafe)
    response = cell_order(cafe, cellPin=427)
    assert response.status_code == 400
    assert response.json()["message"].startswith("cellPin: A PIN is text")
    # A card order with a stray cellPin is placed as before.
    card = kiosk().post(
        "/api/orders/",
        {"items": [cafe.line()], "payType": "CARD", "cellPin": "0000"},
        format="json",
    )
    assert card.status_code == 201
