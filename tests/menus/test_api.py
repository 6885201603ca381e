"""REST API of the catalogue."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.conftest import published, token_for

pytestmark = pytest.mark.django_db


def as_user(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def test_anyone_reads_the_menu(cafe):
    body = APIClient().get("/api/menus/").json()
    assert [c["name"] for c in body["categories"]] == ["Coffee", "Bakery"]
    assert body["categories"][0]["items"][0]["isSoldOut"] is False


def test_barista_toggles_sold_out_and_it_is_published(cafe, barista):
    response = as_user(barista).patch(
        f"/api/menus/{cafe.latte.pk}/", {"isSoldOut": True}, format="json"
    )
    assert response.status_code == 200 and response.json()["isSoldOut"] is True
    assert published("kiosk", "menu:sold_out_changed")[0]["data"]["isSoldOut"] is True


def test_barista_toggles_an_option(cafe, barista):
    response = as_user(barista).patch(
        f"/api/menus/options/{cafe.iced.pk}/", {"isSoldOut": True}, format="json"
    )
    assert response.status_code == 200 and response.json()["isSoldOut"] is True


def test_only_staff_edit_other_fields_and_create(cafe, barista, staff):
    url = f"/api/menus/{cafe.latte.pk}/"
    assert as_user(barista).patch(url, {"price": 1}, format="json").status_code == 403
    assert (
        as_user(staff).patch(url, {"price": 3300}, format="json").json()["price"]
        == 3300
    )
    assert APIClient().patch(url, {"isSoldOut": True}, format="json").status_code == 401
    body = {"categoryId": cafe.latte.category_id, "name": "Mocha", "price": 4000}
    assert as_user(barista).post("/api/menus/", body, format="json").status_code == 403
    response = as_user(staff).post("/api/menus/", body, format="json")
    assert response.status_code == 201 and response.json()["name"] == "Mocha"
    assert (
        as_user(staff)
        .patch("/api/menus/9999/", {"isSoldOut": True}, format="json")
        .status_code
        == 404
    )
