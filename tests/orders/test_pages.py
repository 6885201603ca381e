"""The cafe pages render, and the staff ones need the right user."""

from __future__ import annotations

import pytest

from orders import services

pytestmark = pytest.mark.django_db


def test_kiosk_is_open_to_everyone_and_lists_cells_as_data(client, cafe):
    response = client.get("/kiosk/")
    assert response.status_code == 200
    assert b'id="cells-data"' in response.content
    assert b"Joy Cell" in response.content
    assert "csrftoken" in response.cookies


def test_customer_page_needs_an_existing_order(client, cafe):
    order = services.order_create(items=[cafe.line()], pay_type="CARD")
    assert client.get(f"/orders/{order.pk}/").status_code == 200
    assert client.get("/orders/nope/").status_code == 404


def test_barista_page_needs_a_barista(client, make_user, barista):
    assert client.get("/barista/").status_code == 302
    client.force_login(make_user("walker"))
    assert client.get("/barista/").status_code == 302
    client.force_login(barista)
    assert client.get("/barista/").status_code == 200


def test_pickup_board_is_public_and_shows_no_staff_links_or_names(client, staff):
    response = client.get("/pickup/")
    assert response.status_code == 200
    # A TV by the counter: whoever is logged in on it, no links, names or log-out.
    client.force_login(staff)
    for body in (response.content.decode(), client.get("/pickup/").content.decode()):
        assert 'id="making"' in body and 'id="ready"' in body
        for private in ("/barista/", "/staff/", "/monitoring/", "/chat/", "/admin/"):
            assert private not in body, private
        for words in ("Log out", "Log in", "staffer", "<form"):
            assert words not in body, words


def test_pickup_api_lists_numbers_and_statuses_only(client, cafe):
    first = services.order_create(items=[cafe.line()], pay_type="CARD")
    second = services.order_create(items=[cafe.line()], pay_type="CARD")
    third = services.order_create(
        items=[cafe.line()], pay_type="CELL", cell_id=cafe.cell.pk
    )
    services.order_status_change(order_id=second.pk, status="READY")
    services.order_status_change(order_id=third.pk, status="READY")
    services.order_status_change(order_id=third.pk, status="COMPLETED")
    response = client.get("/api/pickup/")
    assert response.status_code == 200
    data = response.json()
    assert data["businessDay"] == first.business_day.isoformat()
    assert [(o["dailyNum"], o["status"]) for o in data["orders"]] == [
        (1, "PENDING"),
        (2, "READY"),
    ]
    text = response.content.decode()
    for secret in (first.pk, second.pk, "orderId", "Cafe Latte", "Joy Cell"):
        assert secret not in text


@pytest.mark.parametrize(
    "path", ["/staff/orders/", "/staff/cells/", "/staff/settings/"]
)
def test_staff_pages_need_staff(client, barista, staff, path):
    client.force_login(barista)
    assert client.get(path).status_code == 302
    client.force_login(staff)
    assert client.get(path).status_code == 200


def test_cell_names_are_escaped_in_the_kiosk_page(client, cafe):
    cafe.cell.name = "</script><script>alert(1)</script>"
    cafe.cell.save()
    body = client.get("/kiosk/").content
    assert b"</script><script>alert(1)" not in body
