"""Reads of the orders app: business days, orders, cells, kiosk settings."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from orders.models import (
    Cell,
    CellLedger,
    KioskSetting,
    LogKind,
    Order,
    OrderStatusLog,
    Status,
)

# Kiosk settings with their defaults (the value stored is JSON).
SETTING_DEFAULTS: dict[str, Any] = {
    "is_kiosk_active": True,
    "kiosk_message": "The kiosk is taking a short break. Please order at the counter.",
    "ticket_warn_minutes": 5,
    "ticket_late_minutes": 8,
}

UNDO_WINDOW = timedelta(minutes=15)

# Orders not finished yet.
OPEN_STATUSES = [Status.PENDING, Status.MAKING, Status.READY]


def business_day(now: datetime | None = None) -> date:
    """The cafe's business day at `now`: it rolls over at ORDERS_DAY_STARTS_AT_HOUR local time."""
    now = now or timezone.now()
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE))
    hour = getattr(settings, "ORDERS_DAY_STARTS_AT_HOUR", 4)
    return (local - timedelta(hours=hour)).date()


def _last_log(**match: Any) -> QuerySet[OrderStatusLog]:
    return OrderStatusLog.objects.filter(order=OuterRef("pk"), **match).order_by(
        "-created_at", "-id"
    )


def orders_with_items() -> QuerySet[Order]:
    """Orders with their items, cell, and (from the status log, in the same
    query) when each last became READY and what its last cancel left."""
    return (
        Order.objects.select_related("cell")
        .prefetch_related("items")
        .annotate(
            last_ready_at=Subquery(
                _last_log(to_status=Status.READY).values("created_at")[:1]
            ),
            last_cancelled_from=Subquery(
                _last_log(kind=LogKind.CANCEL).values("from_status")[:1]
            ),
        )
    )


def order_get(*, order_id: str) -> Order | None:
    return orders_with_items().filter(pk=order_id).first()


def order_exists(*, order_id: str) -> bool:
    return Order.objects.filter(pk=order_id).exists()


def order_list(
    *,
    day: date | None = None,
    statuses: list[str] | None = None,
    limit: int = 500,
) -> list[Order]:
    """Orders of a business day, oldest first.

    Without a day: today's orders and the orders of earlier business days that
    are still open (a board must not lose them at the 04:00 rollover).
    """
    if day is None:
        today = business_day()
        query = orders_with_items().filter(
            Q(business_day=today) | Q(business_day__lt=today, status__in=OPEN_STATUSES)
        )
    else:
        query = orders_with_items().filter(business_day=day)
    if statuses:
        query = query.filter(status__in=statuses)
    return list(query.order_by("created_at", "daily_num")[:limit])


# What the pickup board shows: orders being made and orders waiting to be
# picked up (a READY order stays on the board until it is picked up).
PICKUP_STATUSES = [Status.PENDING, Status.MAKING, Status.READY]


def pickup_board(*, day: date | None = None, limit: int = 500) -> list[Order]:
    """The day's orders on the pickup board, oldest first (numbers and statuses only)."""
    query = Order.objects.filter(
        business_day=day or business_day(), status__in=PICKUP_STATUSES
    ).only("daily_num", "business_day", "status", "updated_at")
    return list(query.order_by("created_at", "daily_num")[:limit])


def _latest_log_value(order: Order, annotated: str, field: str, **match: Any) -> Any:
    """`annotated` when the order was read with it (`orders_with_items`), else
    `field` of the order's latest status log entry matching `match`."""
    if hasattr(order, annotated):
        return getattr(order, annotated)
    return (
        OrderStatusLog.objects.filter(order=order, **match)
        .order_by("-created_at", "-id")
        .values_list(field, flat=True)
        .first()
    )


def cancelled_from(order: Order) -> str | None:
    """The status a CANCELLED order was cancelled from (its last cancel), else None."""
    if order.status != Status.CANCELLED:
        return None
    value: str | None = _latest_log_value(
        order, "last_cancelled_from", "from_status", kind=LogKind.CANCEL
    )
    return value


def ready_since(order: Order) -> datetime | None:
    """When a READY order became READY (its last entry into READY), else None."""
    if order.status != Status.READY:
        return None
    value: datetime | None = _latest_log_value(
        order, "last_ready_at", "created_at", to_status=Status.READY
    )
    return value


def valid_statuses(raw: str) -> list[str]:
    wanted = [s.strip().upper() for s in raw.split(",") if s.strip()]
    return [s for s in wanted if s in Status.values]


def cell_list() -> QuerySet[Cell]:
    return Cell.objects.all()


def cell_ledger(*, cell_id: int, limit: int = 100) -> list[CellLedger]:
    ledger = CellLedger.objects.filter(cell_id=cell_id)
    return list(ledger.select_related("order", "actor")[:limit])


def setting_get(key: str) -> Any:
    row = KioskSetting.objects.filter(key=key).first()
    return row.value if row else SETTING_DEFAULTS[key]


def settings_all() -> dict[str, Any]:
    values = dict(SETTING_DEFAULTS)
    for row in KioskSetting.objects.filter(key__in=SETTING_DEFAULTS):
        values[row.key] = row.value
    return values
