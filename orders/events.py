"""Events of the orders socket (PROTOCOL section 6): names, payloads, builders.

REST responses use the same builders, so the socket and the API never disagree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NotRequired, TypedDict

from orders import rooms, selectors
from orders.models import Cell, CellLedger, KioskSetting, Order, OrderItem
from realtime import frames, socketio_dialect
from realtime.auth import user_summary

ORDER_CREATED = "order:created"
ORDER_STATUS_CHANGED = "order:status_changed"
ORDER_READY = "order:ready"
ORDER_CANCELLED = "order:cancelled"
# A cancelled order recalled to the status it was cancelled from (payload of
# order:status_changed, previousStatus CANCELLED); order:status_changed too.
ORDER_RESTORED = "order:restored"
# A READY order taken back (to MAKING, or PENDING by an undo): not ready after
# all (payload of order:status_changed); order:status_changed too.
ORDER_REOPENED = "order:reopened"
CELL_BALANCE_CHANGED = "cell:balance_changed"
# Staff set or removed a cell's PIN (the PIN itself is never sent).
CELL_PIN_CHANGED = "cell:pin_changed"
SETTINGS_CHANGED = "settings:changed"
# The public pickup board's one event: a number's status, nothing else.
PICKUP_STATUS_CHANGED = "pickup:status_changed"

# Room names (str) for services to publish to; the room types are in rooms.py.
KITCHEN = rooms.KITCHEN.room_name()
ADMIN = rooms.ADMIN.room_name()
KIOSK = rooms.KIOSK.room_name()
PICKUP = rooms.PICKUP.room_name()


def order_room(order_id: str) -> str:
    return rooms.ORDER.room_name(order_id)


# The Socket.IO dialect of the original kitchen and customer screens
# (PROTOCOL section 10): `orderNo` is `dailyNum`, `totalPrice` is `totalAmount`.
socketio_dialect.serve("orders")
socketio_dialect.rename(
    rooms.KITCHEN,
    ORDER_CREATED,
    "new_order",
    {
        "orderId": "orderId",
        "orderNo": "dailyNum",
        "items": "items",
        "totalPrice": "totalAmount",
        "createdAt": "createdAt",
    },
)
socketio_dialect.rename(
    rooms.ORDER,
    ORDER_READY,
    "order_ready",
    {
        "orderId": "orderId",
        "orderNo": "dailyNum",
        "status": "status",
        "updatedAt": "updatedAt",
    },
)
# The spelling the original kitchen screens listen for.
socketio_dialect.alias_join_reply(rooms.KITCHEN, "Join_room_success")
# The original kitchen and customer screens join with `join_kitchen`.
frames.alias_client_event("join_kitchen", "join_room")


class CellInfo(TypedDict):
    id: int
    name: str


class OrderItemData(TypedDict):
    menuId: int | None
    menuName: str
    quantity: int
    options: list[dict[str, Any]]
    unitPrice: int
    totalPrice: int


class OrderCreatedData(TypedDict):
    orderId: str
    dailyNum: int
    payType: str
    cellInfo: NotRequired[CellInfo]
    items: list[OrderItemData]
    totalAmount: int
    status: str
    createdAt: str


class OrderData(OrderCreatedData):
    """`GET /api/orders/<id>/`: the created payload with the current state."""

    updatedAt: str
    businessDay: str
    cancelReason: str
    # A CANCELLED order: the status it was cancelled from (a recall restores it).
    cancelledFrom: str | None
    # A READY order: when it became READY (the Ready timer counts from it).
    readyAt: str | None


class OrderStatusChangedData(TypedDict):
    orderId: str
    dailyNum: int
    status: str
    previousStatus: str
    updatedAt: str


class OrderReadyData(TypedDict):
    orderId: str
    dailyNum: int
    status: str
    updatedAt: str


class OrderCancelledData(TypedDict):
    orderId: str
    dailyNum: int
    reason: str
    cancelledAt: str


class CellBalanceChangedData(TypedDict):
    cellId: int
    cellName: str
    balanceBefore: int
    balanceAfter: int
    changeAmount: int
    type: str
    updatedAt: str


class CellPinChangedData(TypedDict):
    cellId: int
    cellName: str
    hasPin: bool


class PickupStatusChangedData(TypedDict):
    """What a screen by the counter may show: no orderId, items, prices or cell."""

    dailyNum: int
    businessDay: str
    status: str
    updatedAt: str


class SettingsChangedData(TypedDict):
    key: str
    # The string form the original kiosk app reads: "true"/"false", "5", text.
    value: str
    updatedBy: dict[str, Any] | None
    updatedAt: str


def order_item_data(item: OrderItem) -> OrderItemData:
    return {
        "menuId": item.menu_item_id,
        "menuName": item.menu_name,
        "quantity": item.quantity,
        "options": list(item.options),
        "unitPrice": item.unit_price,
        "totalPrice": item.total_price,
    }


def order_created_data(order: Order, items: list[OrderItem]) -> OrderCreatedData:
    data: OrderCreatedData = {
        "orderId": order.pk,
        "dailyNum": order.daily_num,
        "payType": order.pay_type,
        "items": [order_item_data(i) for i in items],
        "totalAmount": order.total_amount,
        "status": order.status,
        "createdAt": order.created_at.isoformat(),
    }
    if order.cell_id is not None:
        data["cellInfo"] = {"id": order.cell_id, "name": order.cell.name}  # type: ignore[union-attr]
    return data


def order_data(order: Order) -> OrderData:
    base = order_created_data(order, list(order.items.all()))
    return {
        **base,  # type: ignore[typeddict-item]
        "updatedAt": order.updated_at.isoformat(),
        "businessDay": order.business_day.isoformat(),
        "cancelReason": order.cancel_reason,
        "cancelledFrom": selectors.cancelled_from(order),
        "readyAt": _iso(selectors.ready_since(order)),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def order_status_changed_data(order: Order, previous: str) -> OrderStatusChangedData:
    return {
        "orderId": order.pk,
        "dailyNum": order.daily_num,
        "status": order.status,
        "previousStatus": previous,
        "updatedAt": order.updated_at.isoformat(),
    }


def order_ready_data(order: Order) -> OrderReadyData:
    return {
        "orderId": order.pk,
        "dailyNum": order.daily_num,
        "status": order.status,
        "updatedAt": order.updated_at.isoformat(),
    }


def order_cancelled_data(order: Order) -> OrderCancelledData:
    return {
        "orderId": order.pk,
        "dailyNum": order.daily_num,
        "reason": order.cancel_reason,
        "cancelledAt": order.updated_at.isoformat(),
    }


def pickup_status_changed_data(order: Order) -> PickupStatusChangedData:
    return {
        "dailyNum": order.daily_num,
        "businessDay": order.business_day.isoformat(),
        "status": order.status,
        "updatedAt": order.updated_at.isoformat(),
    }


def pickup_board_data(orders: list[Order], day: date) -> dict[str, Any]:
    """`GET /api/pickup/`: the board's numbers, in the event's shape."""
    return {
        "businessDay": day.isoformat(),
        "orders": [pickup_status_changed_data(o) for o in orders],
    }


def cell_balance_changed_data(entry: CellLedger) -> CellBalanceChangedData:
    return {
        "cellId": entry.cell_id,
        "cellName": entry.cell.name,
        "balanceBefore": entry.balance_before,
        "balanceAfter": entry.balance_after,
        "changeAmount": entry.amount,
        "type": entry.type,
        "updatedAt": entry.created_at.isoformat(),
    }


def setting_text(value: Any) -> str:
    """A setting's value as the original app sends it: `"false"`, `"5"`, the text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def settings_changed_data(setting: KioskSetting) -> SettingsChangedData:
    return {
        "key": setting.key,
        "value": setting_text(setting.value),
        "updatedBy": user_summary(setting.updated_by) if setting.updated_by else None,
        "updatedAt": setting.updated_at.isoformat(),
    }


def cell_data(cell: Cell) -> dict[str, Any]:
    return {
        "id": cell.pk,
        "name": cell.name,
        "balance": cell.balance,
        "isActive": cell.is_active,
        "hasPin": cell.has_pin,
    }


def cell_pin_changed_data(cell: Cell) -> CellPinChangedData:
    return {"cellId": cell.pk, "cellName": cell.name, "hasPin": cell.has_pin}


def ledger_data(entry: CellLedger) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "cellId": entry.cell_id,
        "type": entry.type,
        "amount": entry.amount,
        "balanceBefore": entry.balance_before,
        "balanceAfter": entry.balance_after,
        "orderId": entry.order_id,
        "dailyNum": entry.order.daily_num if entry.order_id else None,  # type: ignore[union-attr]
        "actor": user_summary(entry.actor) if entry.actor_id else None,
        "note": entry.note,
        "createdAt": entry.created_at.isoformat(),
    }
