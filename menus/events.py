"""Events of the catalogue (PROTOCOL section 6) and their payload builders."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from menus.models import MenuItem, Option
from orders import rooms

MENU_SOLD_OUT_CHANGED = "menu:sold_out_changed"
# Options can be sold out on their own (e.g. oat milk); same rooms as items.
OPTION_SOLD_OUT_CHANGED = "option:sold_out_changed"

# A price (of an item, or an option's extra) changed: open kiosks re-price
# their carts and tell the customer.
MENU_PRICE_CHANGED = "menu:price_changed"
OPTION_PRICE_CHANGED = "option:price_changed"

# Sold-out changes reach every screen that shows the catalogue: the orders
# app's kiosk, kitchen and admin rooms (in lock order).
SOLD_OUT_ROOMS = tuple(
    room_type.room_name() for room_type in (rooms.KIOSK, rooms.KITCHEN, rooms.ADMIN)
)
# Price changes reach the screens that show prices: kiosk and admin.
PRICE_ROOMS = tuple(room_type.room_name() for room_type in (rooms.KIOSK, rooms.ADMIN))


class MenuSoldOutChangedData(TypedDict):
    menuId: int
    menuName: str
    isSoldOut: bool
    updatedAt: str


class OptionSoldOutChangedData(TypedDict):
    optionId: int
    optionName: str
    groupName: str
    isSoldOut: bool
    updatedAt: str


def menu_sold_out_changed_data(
    item: MenuItem, when: datetime
) -> MenuSoldOutChangedData:
    return {
        "menuId": item.pk,
        "menuName": item.name,
        "isSoldOut": item.is_sold_out,
        "updatedAt": when.isoformat(),
    }


def option_sold_out_changed_data(
    option: Option, when: datetime
) -> OptionSoldOutChangedData:
    return {
        "optionId": option.pk,
        "optionName": option.name,
        "groupName": option.group.name,
        "isSoldOut": option.is_sold_out,
        "updatedAt": when.isoformat(),
    }


class MenuPriceChangedData(TypedDict):
    menuId: int
    menuName: str
    price: int
    previousPrice: int
    updatedAt: str


class OptionPriceChangedData(TypedDict):
    optionId: int
    optionName: str
    groupName: str
    priceDelta: int
    previousPriceDelta: int
    updatedAt: str


def menu_price_changed_data(
    item: MenuItem, previous: int, when: datetime
) -> MenuPriceChangedData:
    return {
        "menuId": item.pk,
        "menuName": item.name,
        "price": item.price,
        "previousPrice": previous,
        "updatedAt": when.isoformat(),
    }


def option_price_changed_data(
    option: Option, previous: int, when: datetime
) -> OptionPriceChangedData:
    return {
        "optionId": option.pk,
        "optionName": option.name,
        "groupName": option.group.name,
        "priceDelta": option.price_delta,
        "previousPriceDelta": previous,
        "updatedAt": when.isoformat(),
    }


class OptionData(TypedDict):
    id: int
    name: str
    priceDelta: int
    isSoldOut: bool


class OptionGroupData(TypedDict):
    id: int
    name: str
    required: bool
    multiple: bool
    options: list[OptionData]


class MenuItemData(TypedDict):
    id: int
    categoryId: int
    name: str
    description: str
    price: int
    imageUrl: str
    sortOrder: int
    isSoldOut: bool
    optionGroups: list[OptionGroupData]


def option_data(option: Option) -> OptionData:
    return {
        "id": option.pk,
        "name": option.name,
        "priceDelta": option.price_delta,
        "isSoldOut": option.is_sold_out,
    }


def menu_item_data(item: MenuItem) -> MenuItemData:
    return {
        "id": item.pk,
        "categoryId": item.category_id,
        "name": item.name,
        "description": item.description,
        "price": item.price,
        "imageUrl": item.image_url,
        "sortOrder": item.sort_order,
        "isSoldOut": item.is_sold_out,
        "optionGroups": [
            {
                "id": group.pk,
                "name": group.name,
                "required": group.required,
                "multiple": group.multiple,
                "options": [option_data(o) for o in group.options.all()],
            }
            for group in item.option_groups.all()
        ],
    }
