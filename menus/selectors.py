"""Reads of the catalogue."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from menus.events import menu_item_data
from menus.models import Category, MenuItem


def menu_items() -> QuerySet[MenuItem]:
    return MenuItem.objects.prefetch_related("option_groups__options")


def menu_get(*, menu_id: int) -> MenuItem | None:
    return menu_items().filter(pk=menu_id).first()


def menu_catalogue() -> dict[str, Any]:
    """`GET /api/menus/`: active items grouped by category, in display order."""
    items = list(menu_items().filter(is_active=True))
    categories = []
    for category in Category.objects.all():
        mine = [menu_item_data(i) for i in items if i.category_id == category.pk]
        if mine:
            categories.append(
                {
                    "id": category.pk,
                    "name": category.name,
                    "sortOrder": category.sort_order,
                    "items": mine,
                }
            )
    return {"categories": categories}
