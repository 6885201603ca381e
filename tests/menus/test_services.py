"""Catalogue services: sold-out toggles, edits and the catalogue read."""

from __future__ import annotations

import pytest

from menus import selectors, services
from realtime.errors import DomainError
from tests.conftest import published

pytestmark = pytest.mark.django_db


def test_sold_out_toggle_publishes_only_on_a_change(cafe):
    services.menu_item_set_sold_out(menu_id=cafe.latte.pk, is_sold_out=True)
    services.menu_item_set_sold_out(menu_id=cafe.latte.pk, is_sold_out=True)
    for room in ("kiosk", "kitchen", "admin"):
        frames = published(room, "menu:sold_out_changed")
        assert len(frames) == 1
        assert frames[0]["data"]["menuId"] == cafe.latte.pk
        assert frames[0]["data"]["menuName"] == "Cafe Latte"
        assert frames[0]["data"]["isSoldOut"] is True


def test_option_sold_out_toggle_is_published_to_the_same_rooms(cafe):
    services.option_set_sold_out(option_id=cafe.iced.pk, is_sold_out=True)
    for room in ("kiosk", "kitchen", "admin"):
        (frame,) = published(room, "option:sold_out_changed")
        assert frame["data"]["optionName"] == "Iced"


def test_update_of_sold_out_through_an_edit_is_published(cafe):
    services.menu_item_update(menu_id=cafe.latte.pk, price=3200, is_sold_out=True)
    cafe.latte.refresh_from_db()
    assert cafe.latte.price == 3200 and cafe.latte.is_sold_out
    assert len(published("kiosk", "menu:sold_out_changed")) == 1


def test_admin_style_save_publishes_a_sold_out_change(cafe):
    cafe.latte.is_sold_out = True
    services.menu_item_save(item=cafe.latte)
    assert len(published("kitchen", "menu:sold_out_changed")) == 1
    cafe.latte.name = "Latte"
    services.menu_item_save(item=cafe.latte)
    assert len(published("kitchen", "menu:sold_out_changed")) == 1


def test_unknown_item_is_not_found(db):
    with pytest.raises(DomainError) as info:
        services.menu_item_set_sold_out(menu_id=999, is_sold_out=True)
    assert info.value.status == 404


def test_create_checks_fields(cafe):
    with pytest.raises(DomainError):
        services.menu_item_create(category_id=cafe.latte.category_id, name=" ", price=1)
    with pytest.raises(DomainError):
        services.menu_item_create(category_id=999, name="Tea", price=1)
    item = services.menu_item_create(
        category_id=cafe.latte.category_id, name="Tea", price=1
    )
    assert item.pk


def test_catalogue_groups_items_by_category_with_options(cafe):
    catalogue = selectors.menu_catalogue()
    assert [c["name"] for c in catalogue["categories"]] == ["Coffee", "Bakery"]
    latte = catalogue["categories"][0]["items"][0]
    assert latte["name"] == "Cafe Latte" and latte["price"] == 3000
    assert [g["name"] for g in latte["optionGroups"]] == [
        "Size",
        "Temperature",
        "Extra shot",
    ]
    assert latte["optionGroups"][0]["options"][1] == {
        "id": cafe.large.pk,
        "name": "Large",
        "priceDelta": 500,
        "isSoldOut": False,
    }


def test_demo_menu_loads_twice_without_duplicates(db):
    from menus import demo
    from menus.models import MenuItem

    demo.load()
    count = MenuItem.objects.count()
    demo.load()
    assert MenuItem.objects.count() == count >= 10
