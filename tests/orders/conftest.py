"""Factories of the cafe: a small menu with options, and a cell with points."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from menus.models import Category, MenuItem, Option, OptionGroup
from orders.models import Cell, CellLedger, LedgerType

SEOUL = ZoneInfo("Asia/Seoul")


def seoul(*args: int) -> datetime:
    return datetime(*args, tzinfo=SEOUL)  # type: ignore[misc]


@dataclass
class Cafe:
    latte: MenuItem
    cookie: MenuItem
    regular: Option
    large: Option
    hot: Option
    iced: Option
    shot: Option
    cell: Cell

    def line(
        self, item: MenuItem | None = None, quantity: int = 1, *options: Option
    ) -> dict:
        return {
            "menuId": (item or self.latte).pk,
            "quantity": quantity,
            "options": [o.pk for o in options],
        }


def make_cafe(balance: int = 10_000) -> Cafe:
    drinks = Category.objects.create(name="Coffee", sort_order=0)
    bakery = Category.objects.create(name="Bakery", sort_order=1)
    size = OptionGroup.objects.create(name="Size", required=True)
    temp = OptionGroup.objects.create(name="Temperature", required=True)
    extra = OptionGroup.objects.create(name="Extra shot", multiple=True)
    regular = Option.objects.create(
        group=size, name="Regular", price_delta=0, sort_order=0
    )
    large = Option.objects.create(
        group=size, name="Large", price_delta=500, sort_order=1
    )
    hot = Option.objects.create(group=temp, name="Hot", price_delta=0, sort_order=0)
    iced = Option.objects.create(group=temp, name="Iced", price_delta=300, sort_order=1)
    shot = Option.objects.create(group=extra, name="Extra shot", price_delta=500)
    latte = MenuItem.objects.create(category=drinks, name="Cafe Latte", price=3000)
    latte.option_groups.set([size, temp, extra])
    cookie = MenuItem.objects.create(category=bakery, name="Cookie", price=2000)
    cell = Cell.objects.create(name="Joy Cell", balance=balance)
    CellLedger.objects.create(
        cell=cell,
        type=LedgerType.CHARGE,
        amount=balance,
        balance_before=0,
        balance_after=balance,
    )
    return Cafe(latte, cookie, regular, large, hot, iced, shot, cell)


@pytest.fixture
def cafe(db: Any) -> Cafe:
    return make_cafe()
