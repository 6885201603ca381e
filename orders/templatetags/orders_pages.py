"""Template tags of the cafe pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from orders import selectors, workflow
from realtime.permissions import is_barista

register = template.Library()


@register.simple_tag
def order_workflow() -> dict[str, Any]:
    """`{% order_workflow as workflow %}`: the statuses and moves of `orders.workflow`."""
    return workflow.describe()


@register.simple_tag
def cafe_clock() -> dict[str, Any]:
    """`{% cafe_clock as clock %}`: the cafe's zone and business day, for `common.js`.

    The business day rolls over at `dayStartsAtHour` in `timeZone`; pages
    show times in the viewer's own zone, from ISO timestamps.
    """
    return {
        "timeZone": settings.TIME_ZONE,
        "dayStartsAtHour": getattr(settings, "ORDERS_DAY_STARTS_AT_HOUR", 4),
        "businessDay": selectors.business_day().isoformat(),
    }


@register.filter
def may_barista(user: Any) -> bool:
    """`{% if user|may_barista %}`: the barista board and pickup are theirs."""
    return is_barista(user)
