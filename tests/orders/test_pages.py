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


@pytest.mark.parametrize("path", ["/barista/", "/pickup/"])
def test_barista_pages_need_a_barista(client, make_user, barista, path):
    assert client.get(path).status_code == 302
    client.force_login(make_user("walker"))
    assert client.get(path).status_code == 302
    client.force_login(barista)
    assert client.get(path).status_code == 200


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
