"""Every change of the orders app: validates, writes, publishes, in one transaction.

Lock order, the same in every service so concurrent changes never deadlock:
order row, cell balance row, the day's counter row, then the rooms' sequence
rows, taken by `realtime.publish_to` in the one order it keeps for every
caller (kiosk, kitchen, admin, order:<id>, pickup). So an order's pickup
event is published after its other events, and a balance event (admin) after
the order's events.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone

import realtime
from menus.models import MenuItem, Option, OptionGroup
from orders import events
from orders.errors import (
    CellPinLocked,
    CellPinRequired,
    CellPinWrong,
    InsufficientBalance,
    InvalidTransition,
    KioskInactive,
    PriceChanged,
    SoldOut,
)
from orders.models import (
    Cell,
    CellLedger,
    DailyCounter,
    KioskSetting,
    LedgerType,
    LogKind,
    Order,
    OrderItem,
    OrderStatusLog,
    PayType,
    Status,
)
from orders.selectors import (
    SETTING_DEFAULTS,
    UNDO_WINDOW,
    business_day,
    cancelled_from,
    setting_get,
)
from realtime import login_limits
from realtime.counters import next_value
from realtime.errors import Code, DomainError, NotFound

MAX_LINES = 50
MAX_QUANTITY = 50
MAX_CHARGE = 10_000_000

# Forward moves; CANCELLED is reached only through order_cancel.
TRANSITIONS: dict[str, set[str]] = {
    # PENDING -> READY in one step, as the original kitchen screens do.
    Status.PENDING: {Status.MAKING, Status.READY, Status.CANCELLED},
    Status.MAKING: {Status.READY, Status.CANCELLED},
    Status.READY: {Status.COMPLETED},
    Status.COMPLETED: set(),
    Status.CANCELLED: set(),
}


# What a cancel is logged with when an original kitchen screen cancels through
# `PATCH .../status/ {"status": "CANCELLED"}`, which never sends a reason.
LEGACY_CANCEL_REASON = "Cancelled"


class TransitionCode(Code):
    # `POST /api/orders/<id>/cancel/` with an empty or missing `reason`.
    REASON_REQUIRED = "REASON_REQUIRED"


class ReasonRequired(DomainError):
    code = TransitionCode.REASON_REQUIRED


def _invalid(message: str) -> DomainError:
    return DomainError(message)


def _publish(rooms: Iterable[str], event: str, data: Any) -> None:
    realtime.publish_to(rooms, event, data)


def _publish_pickup(order: Order) -> None:
    """The pickup board's copy of a status: the number only, never the orderId."""
    _publish(
        [events.PICKUP],
        events.PICKUP_STATUS_CHANGED,
        events.pickup_status_changed_data(order),
    )


def _actor(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


# -- order lines ------------------------------------------------------------------


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(f"{what} must be an integer")
    return value


def _option_ids(raw: Any, line: int) -> list[int]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _invalid(f"items[{line}].options must be a list of option ids")
    ids = [_int(value, f"items[{line}].options") for value in raw]
    if len(set(ids)) != len(ids):
        raise _invalid(f"items[{line}].options lists an option twice")
    return ids


def _parse_lines(items: Any) -> list[tuple[int, int, list[int]]]:
    if not isinstance(items, list) or not items:
        raise _invalid("An order needs at least one item")
    if len(items) > MAX_LINES:
        raise _invalid(f"An order holds at most {MAX_LINES} lines")
    lines = []
    for n, raw in enumerate(items):
        if not isinstance(raw, dict):
            raise _invalid(f"items[{n}] must be an object")
        menu_id = _int(raw.get("menuId"), f"items[{n}].menuId")
        quantity = _int(raw.get("quantity", 1), f"items[{n}].quantity")
        if not 1 <= quantity <= MAX_QUANTITY:
            raise _invalid(f"items[{n}].quantity must be 1 to {MAX_QUANTITY}")
        lines.append((menu_id, quantity, _option_ids(raw.get("options"), n)))
    return lines


def _menu_items(menu_ids: set[int]) -> dict[int, MenuItem]:
    """The active items of these ids with their options; NOT_FOUND names the others."""
    menu = {
        item.pk: item
        for item in MenuItem.objects.filter(
            pk__in=menu_ids, is_active=True
        ).prefetch_related("option_groups__options")
    }
    missing = sorted(menu_ids - set(menu))
    if missing:
        raise NotFound(
            f"Unknown menu items: {', '.join(map(str, missing))}",
            details={"menuIds": missing},
        )
    return menu


def _default_option(group: OptionGroup) -> list[Option]:
    """A required group left empty gets its first available option (else its first)."""
    offered = list(group.options.all())
    default = next((o for o in offered if not o.is_sold_out), None)
    default = default or (offered[0] if offered else None)
    return [default] if default else []


def _chosen_options(
    item: MenuItem, groups: list[OptionGroup], option_ids: list[int], n: int
) -> list[Option]:
    """The options of line `n`: offered for the item, one per single-choice group."""
    allowed: dict[int, Option] = {o.pk: o for g in groups for o in g.options.all()}
    unknown = [i for i in option_ids if i not in allowed]
    if unknown:
        raise _invalid(
            f"items[{n}]: option {unknown[0]} is not offered for {item.name}"
        )
    chosen: list[Option] = []
    for group in groups:
        picked = [allowed[i] for i in option_ids if allowed[i].group_id == group.pk]
        if len(picked) > 1 and not group.multiple:
            raise _invalid(f"items[{n}]: pick one {group.name} for {item.name}")
        if not picked and group.required:
            picked = _default_option(group)
        chosen.extend(picked)
    return chosen


def _line_snapshot(
    item: MenuItem, quantity: int, groups: list[OptionGroup], chosen: list[Option]
) -> dict[str, Any]:
    """The order line as stored: names and server prices as they are now."""
    unit = item.price + sum(o.price_delta for o in chosen)
    return {
        "menu_item": item,
        "menu_name": item.name,
        "quantity": quantity,
        "options": [
            {
                "id": o.pk,
                "group": next(g.name for g in groups if g.pk == o.group_id),
                "name": o.name,
                "priceDelta": o.price_delta,
            }
            for o in chosen
        ],
        "unit_price": unit,
        "total_price": unit * quantity,
    }


class _SoldOutFound:
    """The sold-out items and options of an order, to refuse it naming them all."""

    def __init__(self) -> None:
        self.items: dict[int, str] = {}
        self.options: dict[int, dict[str, Any]] = {}

    def note(self, item: MenuItem, chosen: list[Option]) -> None:
        if item.is_sold_out:
            self.items[item.pk] = item.name
        for option in chosen:
            if option.is_sold_out:
                self.options[option.pk] = {
                    "optionId": option.pk,
                    "optionName": option.name,
                    "menuId": item.pk,
                    "menuName": item.name,
                }

    def refuse(self) -> None:
        if not self.items and not self.options:
            return
        names = list(self.items.values()) + [
            f"{o['optionName']} ({o['menuName']})" for o in self.options.values()
        ]
        raise SoldOut(
            f"Sold out: {', '.join(names)}",
            details={
                "items": [{"menuId": k, "menuName": v} for k, v in self.items.items()],
                "options": list(self.options.values()),
            },
        )


def _price_lines(
    lines: list[tuple[int, int, list[int]]],
) -> tuple[list[dict[str, Any]], int]:
    """Snapshot each line with server prices; refuse unknown or sold-out things."""
    menu = _menu_items({menu_id for menu_id, _, _ in lines})
    sold_out = _SoldOutFound()
    snapshots = []
    for n, (menu_id, quantity, option_ids) in enumerate(lines):
        item = menu[menu_id]
        groups = list(item.option_groups.all())
        chosen = _chosen_options(item, groups, option_ids, n)
        sold_out.note(item, chosen)
        snapshots.append(_line_snapshot(item, quantity, groups, chosen))
    sold_out.refuse()
    return snapshots, sum(snapshot["total_price"] for snapshot in snapshots)


# -- cells ---------------------------------------------------------------------------


def _cell_move(
    *,
    cell_id: int,
    amount: int,
    kind: str,
    now: datetime,
    order: Order | None = None,
    actor: Any = None,
    note: str = "",
) -> CellLedger:
    """Add `amount` (negative to take) to a balance in one conditional UPDATE."""
    query = Cell.objects.filter(pk=cell_id)
    if amount < 0:
        # The balance is checked and taken in one statement: concurrent payments
        # wait on the row lock and re-check, so it never goes below zero.
        query = query.filter(balance__gte=-amount)
    if not query.update(balance=F("balance") + amount):
        cell = Cell.objects.filter(pk=cell_id).first()
        if cell is None:
            raise NotFound(f"Cell {cell_id} not found")
        raise InsufficientBalance(
            f"{cell.name} has {cell.balance} points, the order costs {-amount}",
            details={"cellId": cell.pk, "balance": cell.balance, "required": -amount},
        )
    cell = Cell.objects.get(pk=cell_id)
    entry = CellLedger.objects.create(
        cell=cell,
        type=kind,
        amount=amount,
        balance_before=cell.balance - amount,
        balance_after=cell.balance,
        order=order,
        actor=_actor(actor),
        note=note,
        created_at=now,
    )
    return entry


def _publish_balance(entry: CellLedger) -> None:
    _publish(
        [events.ADMIN],
        events.CELL_BALANCE_CHANGED,
        events.cell_balance_changed_data(entry),
    )


@transaction.atomic
def cell_charge(
    *,
    cell_id: int,
    amount: int,
    actor: Any = None,
    note: str = "",
    now: datetime | None = None,
) -> CellLedger:
    """Add prepaid points to a cell; publishes `cell:balance_changed`."""
    if (
        isinstance(amount, bool)
        or not isinstance(amount, int)
        or not 0 < amount <= MAX_CHARGE
    ):
        raise _invalid(f"amount must be an integer from 1 to {MAX_CHARGE}")
    entry = _cell_move(
        cell_id=cell_id,
        amount=amount,
        kind=LedgerType.CHARGE,
        now=now or timezone.now(),
        actor=actor,
        note=note,
    )
    _publish_balance(entry)
    return entry


@transaction.atomic
def cell_create(*, name: str, balance: int = 0, actor: Any = None) -> Cell:
    """A new cell; an opening balance is recorded as a charge."""
    name = name.strip()
    if not name:
        raise _invalid("A cell needs a name")
    cell = Cell.objects.create(name=name)
    if balance:
        cell_charge(
            cell_id=cell.pk, amount=balance, actor=actor, note="Opening balance"
        )
        cell.refresh_from_db()
    return cell


# -- cell PINs -----------------------------------------------------------------------

# A PIN is 4 to 8 ASCII digits, sent as a JSON string (leading zeros count).
PIN_PATTERN = re.compile(r"[0-9]{4,8}")
# Wrong PINs are counted by realtime.login_limits (with the login limits'
# numbers) per cell and per device or client address, under keys of their own.
_PIN_KEY = "cell-pin"


def _pin_keys(cell_id: int, client: str | None) -> tuple[str, str]:
    return f"{_PIN_KEY}:{cell_id}", f"{_PIN_KEY}:{client or 'unknown'}"


@transaction.atomic
def cell_pin_set(*, cell_id: int, pin: str | None, actor: Any = None) -> Cell:
    """Set a cell's PIN (stored hashed), or remove it with None or ""."""
    if pin is not None and not isinstance(pin, str):
        raise _invalid("pin must be text of 4 to 8 digits")
    if pin and not PIN_PATTERN.fullmatch(pin):
        raise _invalid("pin must be 4 to 8 digits (0-9)")
    cell = Cell.objects.select_for_update().filter(pk=cell_id).first()
    if cell is None:
        raise NotFound(f"Cell {cell_id} not found")
    cell.pin_hash = make_password(pin) if pin else ""
    cell.save(update_fields=["pin_hash"])
    _publish(
        [events.ADMIN], events.CELL_PIN_CHANGED, events.cell_pin_changed_data(cell)
    )
    return cell


def cell_pin_check(*, cell: Cell, pin: Any, client: str | None) -> None:
    """Refuse a missing or wrong PIN of a cell that has one; count the wrong ones.

    While the cell or the client is over the limit every PIN is refused, the
    right one included (429 `RATE_LIMITED` with `retryAfter`). The PIN itself
    is never logged nor kept.
    """
    if not cell.pin_hash:
        return
    cell_key, client_key = _pin_keys(cell.pk, client)
    wait = login_limits.retry_after(cell_key, client_key)
    if wait:
        raise CellPinLocked(
            f"Too many wrong PINs; try again in {wait} s",
            details={"cellId": cell.pk, "retryAfter": wait},
        )
    if pin is None or pin == "":
        raise CellPinRequired(
            f"{cell.name} has a PIN: enter it to pay with its points",
            details={"cellId": cell.pk},
        )
    if not isinstance(pin, str) or not check_password(pin, cell.pin_hash):
        login_limits.record_failure(cell_key, client_key)
        raise CellPinWrong(f"Wrong PIN for {cell.name}", details={"cellId": cell.pk})


def cell_with_pin(*, cell_id: int, pin: Any, client: str | None) -> Cell:
    """The active cell once its PIN (if it has one) is right: what a kiosk may show."""
    cell = Cell.objects.filter(pk=cell_id, is_active=True).first()
    if cell is None:
        raise NotFound(f"Cell {cell_id} not found")
    cell_pin_check(cell=cell, pin=pin, client=client)
    return cell


# -- daily numbers -----------------------------------------------------------------


def _next_daily_num(day: Any) -> int:
    """The day's next number; the counter row stays locked until commit."""
    return next_value(DailyCounter, "last_num", day=day)


# -- orders ----------------------------------------------------------------------


def _check_kiosk_open() -> None:
    if setting_get("is_kiosk_active") is not True:
        raise KioskInactive(
            str(setting_get("kiosk_message")) or "The kiosk is not taking orders"
        )


def _paying_cell(
    pay_type: str, cell_id: int | None, cell_pin: Any, client: str | None
) -> int | None:
    """The active cell a CELL order is paid from, its PIN checked; None otherwise."""
    if pay_type not in PayType.values:
        raise _invalid("payType must be CARD, CASH or CELL")
    if pay_type != PayType.CELL:
        return None
    if cell_id is None:
        raise _invalid("A CELL order needs a cellId")
    cell_id = _int(cell_id, "cellId")
    cell_with_pin(cell_id=cell_id, pin=cell_pin, client=client)
    return cell_id


def _check_expected_total(
    expected_total: int | None, total: int, snapshots: list[dict[str, Any]]
) -> None:
    """Refuse the order when the client showed another total (a price changed)."""
    if expected_total is None or expected_total == total:
        return
    raise PriceChanged(
        f"Prices changed: the total is now {total}, not {expected_total}",
        details={
            "expectedTotal": expected_total,
            "totalAmount": total,
            "items": [
                {
                    "menuId": line["menu_item"].pk,
                    "menuName": line["menu_name"],
                    "quantity": line["quantity"],
                    "options": line["options"],
                    "unitPrice": line["unit_price"],
                    "totalPrice": line["total_price"],
                }
                for line in snapshots
            ],
        },
    )


def _insert_order(
    order: Order, snapshots: list[dict[str, Any]], payment: CellLedger | None
) -> list[OrderItem]:
    """Number and save a new order, its payment's link, its lines, its first log entry."""
    order.daily_num = _next_daily_num(order.business_day)
    order.save(force_insert=True)
    if payment is not None:
        payment.order = order
        payment.save(update_fields=["order"])
        order.cell = payment.cell
    lines = OrderItem.objects.bulk_create(
        [OrderItem(order=order, **snapshot) for snapshot in snapshots]
    )
    OrderStatusLog.objects.create(
        order=order,
        kind=LogKind.CREATE,
        to_status=Status.PENDING,
        actor=order.created_by,
        created_at=order.created_at,
    )
    return lines


@transaction.atomic
def order_create(
    *,
    items: Any,
    pay_type: str,
    cell_id: int | None = None,
    actor: Any = None,
    now: datetime | None = None,
    expected_total: int | None = None,
    cell_pin: str | None = None,
    client: str | None = None,
) -> Order:
    """Place an order: server prices, sold-out and kiosk checks, CELL payment, daily number.

    `expected_total` (optional) is the total the customer was shown: another
    server total refuses the order with `PRICE_CHANGED`. A cell with a PIN
    needs `cell_pin`; `client` (a device or address) is whom wrong PINs count
    against.
    """
    now = now or timezone.now()
    _check_kiosk_open()
    if pay_type not in PayType.values:
        raise _invalid("payType must be CARD, CASH or CELL")
    snapshots, total = _price_lines(_parse_lines(items))
    _check_expected_total(expected_total, total, snapshots)
    cell_id = _paying_cell(pay_type, cell_id, cell_pin, client)
    order = Order(
        business_day=business_day(now),
        pay_type=pay_type,
        cell_id=cell_id,
        status=Status.PENDING,
        total_amount=total,
        created_by=_actor(actor),
        created_at=now,
        updated_at=now,
    )
    payment = None
    if cell_id is not None:
        # Take the balance first (lock order: cell, counter, rooms).
        payment = _cell_move(
            cell_id=cell_id,
            amount=-total,
            kind=LedgerType.PAYMENT,
            now=now,
            actor=actor,
        )
    lines = _insert_order(order, snapshots, payment)
    _publish(
        [events.KITCHEN, events.ADMIN],
        events.ORDER_CREATED,
        events.order_created_data(order, lines),
    )
    _publish_pickup(order)
    if payment is not None:
        _publish_balance(payment)
    return order


def _locked_order(order_id: str) -> Order:
    order = (
        Order.objects.select_for_update().filter(pk=order_id).first()
        if isinstance(order_id, str)
        else None
    )
    if order is None:
        raise NotFound("Order not found")
    return order


def _set_status(
    order: Order,
    status: str,
    *,
    kind: str,
    actor: Any,
    now: datetime,
    reason: str = "",
) -> str:
    """Save `order` at `status` and log the change; return the status it left."""
    previous = order.status
    order.status = status
    order.updated_at = now
    fields = ["status", "updated_at"]
    if kind == LogKind.CANCEL:
        order.cancel_reason = reason
        fields.append("cancel_reason")
    order.save(update_fields=fields)
    OrderStatusLog.objects.create(
        order=order,
        kind=kind,
        from_status=previous,
        to_status=status,
        actor=_actor(actor),
        reason=reason,
        created_at=now,
    )
    return previous


def _publish_status(order: Order, previous: str, *, undo: bool = False) -> None:
    _publish(
        [events.KITCHEN, events.ADMIN, events.order_room(order.pk)],
        events.ORDER_STATUS_CHANGED,
        events.order_status_changed_data(order, previous),
    )
    # A move into READY (from PENDING or MAKING) calls the customer; an undo
    # back to READY does not call them again.
    if order.status == Status.READY and not undo:
        _publish(
            [events.order_room(order.pk)],
            events.ORDER_READY,
            events.order_ready_data(order),
        )
    _publish_pickup(order)


@transaction.atomic
def order_status_change(
    *, order_id: str, status: str, actor: Any = None, now: datetime | None = None
) -> Order:
    """Move an order along PENDING -> MAKING -> READY -> COMPLETED (or PENDING -> READY)."""
    if status == Status.CANCELLED:
        return order_cancel(
            order_id=order_id, reason=LEGACY_CANCEL_REASON, actor=actor, now=now
        )
    now = now or timezone.now()
    order = _locked_order(order_id)
    if status not in Status.values:
        raise _invalid(f"Unknown status '{status}'")
    if order.status == Status.CANCELLED and status == cancelled_from(order):
        return _restore(order, actor=actor, now=now)
    if status not in TRANSITIONS[order.status]:
        raise InvalidTransition(
            f"Order #{order.daily_num} is {order.status}; it cannot move to {status}",
            details={"from": order.status, "to": status},
        )
    previous = _set_status(order, status, kind=LogKind.MOVE, actor=actor, now=now)
    _publish_status(order, previous)
    return order


@transaction.atomic
def order_cancel(
    *, order_id: str, reason: str, actor: Any = None, now: datetime | None = None
) -> Order:
    """Cancel a PENDING or MAKING order with a reason; a CELL order is refunded."""
    now = now or timezone.now()
    reason = (reason or "").strip()[:200]
    if not reason:
        raise ReasonRequired(
            "Say why the order is cancelled", details={"field": "reason"}
        )
    order = _locked_order(order_id)
    if Status.CANCELLED not in TRANSITIONS[order.status]:
        raise InvalidTransition(
            f"Order #{order.daily_num} is {order.status}; it cannot be cancelled",
            details={"from": order.status, "to": Status.CANCELLED},
        )
    _set_status(
        order,
        Status.CANCELLED,
        kind=LogKind.CANCEL,
        actor=actor,
        now=now,
        reason=reason,
    )
    refund = None
    if order.cell_id is not None and order.total_amount:
        refund = _cell_move(
            cell_id=order.cell_id,
            amount=order.total_amount,
            kind=LedgerType.REFUND,
            now=now,
            order=order,
            actor=actor,
            note=reason,
        )
    _publish(
        [events.KITCHEN, events.ADMIN, events.order_room(order.pk)],
        events.ORDER_CANCELLED,
        events.order_cancelled_data(order),
    )
    _publish_pickup(order)
    if refund is not None:
        _publish_balance(refund)
    return order


@transaction.atomic
def order_undo(
    *, order_id: str, actor: Any = None, now: datetime | None = None
) -> Order:
    """Take back the last status move of an order, within 15 minutes of it.

    A READY order with no move to take back (made ready more than 15 minutes
    ago, or recalled from COMPLETED) goes back to MAKING.
    """
    now = now or timezone.now()
    order = _locked_order(order_id)
    last = order.log.order_by("-created_at", "-id").first()
    undoable = (
        last is not None
        and last.kind == LogKind.MOVE
        and last.to_status == order.status
        and now - last.created_at <= UNDO_WINDOW
    )
    if undoable:
        target = last.from_status  # type: ignore[union-attr]
    elif order.status == Status.READY:
        target = Status.MAKING
    elif last is None or last.kind != LogKind.MOVE or last.to_status != order.status:
        raise InvalidTransition(f"Order #{order.daily_num} has no status move to undo")
    else:
        raise InvalidTransition(
            f"The last move of order #{order.daily_num} is older than 15 minutes"
        )
    previous = _set_status(order, target, kind=LogKind.UNDO, actor=actor, now=now)
    _publish_status(order, previous, undo=True)
    if previous == Status.READY:
        # Not ready after all: the customer's page and the screens hear it by name.
        _publish(
            [events.KITCHEN, events.ADMIN, events.order_room(order.pk)],
            events.ORDER_REOPENED,
            events.order_status_changed_data(order, previous),
        )
    return order


def _restore(order: Order, *, actor: Any, now: datetime) -> Order:
    """Recall a cancelled order to the status it was cancelled from.

    A CELL order pays again (its cancel refunded it): refused with
    INSUFFICIENT_BALANCE when the cell no longer has the points.
    """
    target = cancelled_from(order)
    if target is None:
        raise InvalidTransition(f"Order #{order.daily_num} has no cancel to take back")
    payment = None
    if order.cell_id is not None and order.total_amount:
        payment = _cell_move(
            cell_id=order.cell_id,
            amount=-order.total_amount,
            kind=LedgerType.PAYMENT,
            now=now,
            order=order,
            actor=actor,
            note=f"Order #{order.daily_num} recalled",
        )
    previous = _set_status(order, target, kind=LogKind.UNDO, actor=actor, now=now)
    _publish_status(order, previous, undo=True)
    _publish(
        [events.KITCHEN, events.ADMIN, events.order_room(order.pk)],
        events.ORDER_RESTORED,
        events.order_status_changed_data(order, previous),
    )
    if payment is not None:
        _publish_balance(payment)
    return order


@transaction.atomic
def order_restore(
    *, order_id: str, actor: Any = None, now: datetime | None = None
) -> Order:
    """Recall a CANCELLED order to the status it was cancelled from."""
    now = now or timezone.now()
    order = _locked_order(order_id)
    if order.status != Status.CANCELLED:
        raise InvalidTransition(
            f"Order #{order.daily_num} is {order.status}; only a cancelled order is recalled",
            details={"from": order.status},
        )
    return _restore(order, actor=actor, now=now)


# -- kiosk settings ---------------------------------------------------------------


# The original app writes settings as strings: "true"/"false", "5".
_FLAGS = {"true": True, "false": False}
_MINUTES = re.compile(r"[0-9]{1,3}")


def _check_setting(key: str, value: Any) -> Any:
    """The value to store (JSON true/false, an int, text) from a JSON value or its string."""
    if key not in SETTING_DEFAULTS:
        raise NotFound(f"Unknown setting '{key}'")
    default = SETTING_DEFAULTS[key]
    if isinstance(default, bool):
        if isinstance(value, str) and value in _FLAGS:
            value = _FLAGS[value]
        if not isinstance(value, bool):
            raise _invalid(f"{key} must be true or false")
    elif isinstance(default, int):
        if isinstance(value, str) and _MINUTES.fullmatch(value):
            value = int(value)
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value <= 240
        ):
            raise _invalid(f"{key} must be a whole number of minutes from 1 to 240")
    elif isinstance(default, str):
        if not isinstance(value, str) or len(value) > 300:
            raise _invalid(f"{key} must be text of at most 300 characters")
        value = value.strip()
    return value


@transaction.atomic
def setting_set(
    *, key: str, value: Any, actor: Any = None, now: datetime | None = None
) -> KioskSetting:
    """Change a kiosk setting; publishes `settings:changed` to the kiosk and admin."""
    value = _check_setting(key, value)
    setting, _ = KioskSetting.objects.select_for_update().get_or_create(
        key=key, defaults={"value": value}
    )
    setting.value = value
    setting.updated_by = _actor(actor)
    setting.updated_at = now or timezone.now()
    setting.save()
    _publish(
        [events.KIOSK, events.ADMIN],
        events.SETTINGS_CHANGED,
        events.settings_changed_data(setting),
    )
    return setting
