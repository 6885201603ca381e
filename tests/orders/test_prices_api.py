"""Prices that never surprise: `expectedTotal` on orders, price events to open kiosks."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from menus import services as menu_services
from menus.models import Option
from orders.models import Order
from tests.conftest import published, token_for

pytestmark = pytest.mark.django_db


def place(cafe, **body):
    payload = {"items": [cafe.line()], "payType": "CARD", **body}
    return APIClient().post("/api/orders/", payload, format="json")


def test_an_order_with_the_total_the_customer_saw_is_placed(cafe):
    response = place(
        cafe, items=[cafe.line(cafe.latte, 2, cafe.large)], expectedTotal=7000
    )
    assert response.status_code == 201, response.json()
    assert response.json()["totalAmount"] == 7000


def test_another_server_total_is_409_price_changed_with_the_new_lines(cafe):
    menu_services.menu_item_update(menu_id=cafe.latte.pk, price=3500)
    response = place(
        cafe,
        items=[cafe.line(cafe.latte, 2, cafe.large), cafe.line(cafe.cookie)],
        expectedTotal=2 * 3500 - 1000 + 2000,
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "PRICE_CHANGED"
    assert body["details"]["totalAmount"] == 2 * 4000 + 2000
    assert body["details"]["expectedTotal"] == 8000
    lines = body["details"]["items"]
    assert [
        (line["menuId"], line["unitPrice"], line["totalPrice"]) for line in lines
    ] == [
        (cafe.latte.pk, 4000, 8000),
        (cafe.cookie.pk, 2000, 2000),
    ]
    assert lines[0]["options"][0]["name"] == "Large"
    assert not Order.objects.exists()


def test_a_refused_cell_order_takes_no_points(cafe):
    response = place(cafe, payType="CELL", cellId=cafe.cell.pk, expectedTotal=1)
    assert response.json()["code"] == "PRICE_CHANGED"
    cafe.cell.refresh_from_db()
    assert cafe.cell.balance == 10_000


def test_without_expected_total_the_original_clients_order_as_before(cafe):
    # The original kiosk app sends totalAmount (ignored) and no expectedTotal.
    response = place(cafe, totalAmount=1)
    assert response.status_code == 201
    assert response.json()["totalAmount"] == 3000
    assert place(cafe, expectedTotal=None).status_code == 201


@pytest.mark.parametrize(
    "value",
    ["3000x", "", -1, 1.5, True, [3000], {"a": 1}, "9" * 40, 10**12],
)
def test_bad_expected_totals_are_400_naming_the_field(cafe, value):
    response = place(cafe, expectedTotal=value)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert body["message"].startswith("expectedTotal: ")
    assert "expectedTotal" in body["details"]


def test_a_number_beyond_64_bits_is_refused_by_the_parser(cafe):
    response = place(cafe, expectedTotal=10**30)
    assert response.status_code == 400
    assert "out of range" in response.json()["message"]


def test_digits_as_a_string_are_taken_like_the_other_numbers(cafe):
    assert place(cafe, expectedTotal="3000").status_code == 201


def test_a_price_change_is_published_to_kiosk_and_admin_once(cafe, staff):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(staff)}")
    response = client.patch(
        f"/api/menus/{cafe.latte.pk}/", {"price": 3300}, format="json"
    )
    assert response.status_code == 200
    for room in ("kiosk", "admin"):
        (frame,) = published(room, "menu:price_changed")
        assert frame["data"]["menuId"] == cafe.latte.pk
        assert frame["data"]["price"] == 3300
        assert frame["data"]["previousPrice"] == 3000
        assert frame["data"]["menuName"] == "Cafe Latte"
    # Not the kitchen's business; and the same price again is no change.
    assert published("kitchen", "menu:price_changed") == []
    client.patch(f"/api/menus/{cafe.latte.pk}/", {"price": 3300}, format="json")
    client.patch(f"/api/menus/{cafe.latte.pk}/", {"name": "Latte"}, format="json")
    assert len(published("kiosk", "menu:price_changed")) == 1


def test_admin_saves_publish_item_and_option_price_changes(cafe):
    cafe.cookie.price = 2200
    menu_services.menu_item_save(item=cafe.cookie)
    (frame,) = published("kiosk", "menu:price_changed")
    assert (frame["data"]["price"], frame["data"]["previousPrice"]) == (2200, 2000)

    option = Option.objects.get(pk=cafe.large.pk)
    option.price_delta = 700
    menu_services.option_save(option=option)
    (frame,) = published("kiosk", "option:price_changed")
    assert frame["data"]["optionId"] == cafe.large.pk
    assert (frame["data"]["priceDelta"], frame["data"]["previousPriceDelta"]) == (
        700,
        500,
    )
    assert frame["data"]["groupName"] == "Size"
    # Saving again with the same prices publishes nothing more.
    menu_services.option_save(option=option)
    menu_services.menu_item_save(item=cafe.cookie)
    assert len(published("kiosk", "option:price_changed")) == 1
    assert len(published("kiosk", "menu:price_changed")) == 1
