"""The admin site: every model is there, and its edits are published like any other."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from menus.models import Category, MenuItem, Option, OptionGroup
from orders import services
from orders.models import (
    Cell,
    CellLedger,
    DailyCounter,
    KioskSetting,
    Order,
    OrderItem,
    OrderStatusLog,
)
from tests.conftest import published

pytestmark = pytest.mark.django_db


def test_every_model_is_registered():
    for model in [
        Category,
        MenuItem,
        Option,
        OptionGroup,
        Cell,
        CellLedger,
        DailyCounter,
        KioskSetting,
        Order,
        OrderItem,
        OrderStatusLog,
    ]:
        assert admin.site.is_registered(model), model


def test_admin_sold_out_action_is_published(admin_client, cafe):
    response = admin_client.post(
        "/admin/menus/menuitem/",
        {"action": "mark_sold_out", ACTION_CHECKBOX_NAME: [cafe.latte.pk]},
    )
    assert response.status_code == 302
    (frame,) = published("kiosk", "menu:sold_out_changed")
    assert frame["data"]["isSoldOut"] is True


def test_admin_item_form_publishes_a_sold_out_change(admin_client, cafe):
    response = admin_client.post(
        f"/admin/menus/menuitem/{cafe.latte.pk}/change/",
        {
            "category": cafe.latte.category_id,
            "name": "Cafe Latte",
            "description": "",
            "price": 3000,
            "image_url": "",
            "sort_order": 0,
            "is_sold_out": "on",
            "is_active": "on",
            "option_groups": [g.pk for g in cafe.latte.option_groups.all()],
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert len(published("kitchen", "menu:sold_out_changed")) == 1


def test_admin_order_actions_move_and_cancel_through_services(admin_client, cafe):
    order = services.order_create(
        items=[cafe.line()], pay_type="CELL", cell_id=cafe.cell.pk
    )
    admin_client.post(
        "/admin/orders/order/", {"action": "make", ACTION_CHECKBOX_NAME: [order.pk]}
    )
    order.refresh_from_db()
    assert order.status == "MAKING"
    assert published(f"order:{order.pk}", "order:status_changed")
    admin_client.post(
        "/admin/orders/order/", {"action": "cancel", ACTION_CHECKBOX_NAME: [order.pk]}
    )
    order.refresh_from_db()
    cafe.cell.refresh_from_db()
    assert order.status == "CANCELLED" and cafe.cell.balance == 10_000
    assert published("admin", "order:cancelled")


def test_admin_cell_charge_field_writes_the_ledger_and_publishes(admin_client, cafe):
    response = admin_client.post(
        f"/admin/orders/cell/{cafe.cell.pk}/change/",
        {"name": "Joy Cell", "is_active": "on", "charge": 700},
    )
    assert response.status_code == 302
    cafe.cell.refresh_from_db()
    assert cafe.cell.balance == 10_700
    assert published("admin", "cell:balance_changed")[0]["data"]["type"] == "CHARGE"


@pytest.mark.parametrize("typed", ["false", '"false"'])
def test_admin_setting_edit_is_published_in_the_original_string_form(
    admin_client, db, typed
):
    # JSON false, or the string "false" the original app writes: both close it.
    response = admin_client.post(
        "/admin/orders/kiosksetting/add/", {"key": "is_kiosk_active", "value": typed}
    )
    assert response.status_code == 302
    assert published("kiosk", "settings:changed")[0]["data"]["value"] == "false"
    assert KioskSetting.objects.get(key="is_kiosk_active").value is False


def test_admin_pages_render(admin_client, cafe):
    order = services.order_create(items=[cafe.line()], pay_type="CARD")
    for url in [
        "/admin/orders/order/",
        f"/admin/orders/order/{order.pk}/change/",
        "/admin/orders/cell/",
        "/admin/orders/cellledger/",
        "/admin/menus/menuitem/",
        "/admin/menus/optiongroup/",
        f"/admin/menus/optiongroup/{cafe.large.group_id}/change/",
    ]:
        assert admin_client.get(url).status_code == 200, url
