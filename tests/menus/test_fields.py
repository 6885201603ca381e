"""A menu item's editable fields are listed once (services.FIELDS); the API follows it."""

from __future__ import annotations

from menus import services
from menus.models import MenuItem
from menus.serializers import MenuItemCreateInput, MenuItemUpdateInput


def test_an_update_may_name_every_editable_field():
    assert list(MenuItemUpdateInput().fields) == list(services.FIELDS)


def test_a_new_item_takes_the_editable_fields_but_is_active():
    assert set(MenuItemCreateInput().fields) == set(services.FIELDS) - {"isActive"}


def test_every_editable_field_is_a_model_field():
    columns = {f.attname for f in MenuItem._meta.concrete_fields}
    assert set(services.FIELDS.values()) <= columns
