"""Every change of the catalogue: validates, writes, publishes, in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

import realtime
from menus import events
from menus.models import Category, MenuItem, Option
from realtime.errors import DomainError, NotFound


def _item(menu_id: int) -> MenuItem:
    item = MenuItem.objects.select_for_update().filter(pk=menu_id).first()
    if item is None:
        raise NotFound(f"Menu item {menu_id} not found")
    return item


def _publish_sold_out(event: str, data: Mapping[str, Any]) -> None:
    realtime.publish_to(events.SOLD_OUT_ROOMS, event, data)


def _publish_item_sold_out(item: MenuItem, when: datetime) -> None:
    _publish_sold_out(
        events.MENU_SOLD_OUT_CHANGED, events.menu_sold_out_changed_data(item, when)
    )


def _publish_option_sold_out(option: Option, when: datetime) -> None:
    _publish_sold_out(
        events.OPTION_SOLD_OUT_CHANGED,
        events.option_sold_out_changed_data(option, when),
    )


def _publish_item_price(item: MenuItem, previous: int, when: datetime) -> None:
    if item.price != previous:
        realtime.publish_to(
            events.PRICE_ROOMS,
            events.MENU_PRICE_CHANGED,
            events.menu_price_changed_data(item, previous, when),
        )


def _publish_option_price(option: Option, previous: int, when: datetime) -> None:
    if option.price_delta != previous:
        realtime.publish_to(
            events.PRICE_ROOMS,
            events.OPTION_PRICE_CHANGED,
            events.option_price_changed_data(option, previous, when),
        )


def _set_item_sold_out(item: MenuItem, is_sold_out: bool, now: datetime) -> None:
    if item.is_sold_out != is_sold_out:
        item.is_sold_out = is_sold_out
        item.updated_at = now
        item.save(update_fields=["is_sold_out", "updated_at"])
        _publish_item_sold_out(item, now)


@transaction.atomic
def menu_item_set_sold_out(
    *, menu_id: int, is_sold_out: bool, now: datetime | None = None
) -> MenuItem:
    """Mark an item sold out (or back); publishes `menu:sold_out_changed` on a change."""
    item = _item(menu_id)
    _set_item_sold_out(item, is_sold_out, now or timezone.now())
    return item


@transaction.atomic
def option_set_sold_out(
    *, option_id: int, is_sold_out: bool, now: datetime | None = None
) -> Option:
    """Mark one option sold out (or back); publishes `option:sold_out_changed`."""
    now = now or timezone.now()
    option = (
        Option.objects.select_for_update().select_related("group").filter(pk=option_id)
    ).first()
    if option is None:
        raise NotFound(f"Option {option_id} not found")
    if option.is_sold_out != is_sold_out:
        option.is_sold_out = is_sold_out
        option.updated_at = now
        option.save(update_fields=["is_sold_out", "updated_at"])
        _publish_option_sold_out(option, now)
    return option


# The editable fields of a menu item, the one list the API takes them from:
# API field -> model field.
FIELDS = {
    "categoryId": "category_id",
    "name": "name",
    "price": "price",
    "description": "description",
    "imageUrl": "image_url",
    "sortOrder": "sort_order",
    "isActive": "is_active",
    "isSoldOut": "is_sold_out",
}


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(FIELDS.values())
    if unknown:
        raise DomainError(f"Unknown fields: {', '.join(sorted(unknown))}")
    if "name" in fields and not str(fields["name"]).strip():
        raise DomainError("A menu item needs a name")
    if "price" in fields and (
        not isinstance(fields["price"], int) or fields["price"] < 0
    ):
        raise DomainError("price must be a non-negative integer")
    if (
        "category_id" in fields
        and not Category.objects.filter(pk=fields["category_id"]).exists()
    ):
        raise DomainError(f"Category {fields['category_id']} not found")


@transaction.atomic
def menu_item_create(
    *,
    category_id: int,
    name: str,
    price: int,
    now: datetime | None = None,
    **fields: Any,
) -> MenuItem:
    """Add an item to the catalogue."""
    fields = {"category_id": category_id, "name": name, "price": price, **fields}
    _check_fields(fields)
    return MenuItem.objects.create(updated_at=now or timezone.now(), **fields)


@transaction.atomic
def menu_item_update(
    *, menu_id: int, now: datetime | None = None, **fields: Any
) -> MenuItem:
    """Change an item; a change of `is_sold_out` or of `price` is published."""
    _check_fields(fields)
    now = now or timezone.now()
    sold_out = fields.pop("is_sold_out", None)
    item = _item(menu_id)
    previous_price = item.price
    if fields:
        for name, value in fields.items():
            setattr(item, name, value)
        item.updated_at = now
        item.save()
        _publish_item_price(item, previous_price, now)
    if sold_out is not None:
        _set_item_sold_out(item, sold_out, now)
    return item


@transaction.atomic
def menu_item_save(*, item: MenuItem, now: datetime | None = None) -> MenuItem:
    """Save an item edited as a whole (admin form), publishing sold-out and price changes."""
    now = now or timezone.now()
    if item.pk is None:
        item.updated_at = now
        item.save()
        return item
    before = MenuItem.objects.select_for_update().get(pk=item.pk)
    item.updated_at = now
    item.save()
    if before.is_sold_out != item.is_sold_out:
        _publish_item_sold_out(item, now)
    _publish_item_price(item, before.price, now)
    return item


@transaction.atomic
def option_save(*, option: Option, now: datetime | None = None) -> Option:
    """Save an option edited as a whole (admin form), publishing sold-out and price changes."""
    now = now or timezone.now()
    before = (
        Option.objects.select_for_update().filter(pk=option.pk).first()
        if option.pk
        else None
    )
    option.updated_at = now
    option.save()
    if before is not None and before.is_sold_out != option.is_sold_out:
        _publish_option_sold_out(option, now)
    if before is not None:
        _publish_option_price(option, before.price_delta, now)
    return option
