"""Every rule of the orders services, with a controlled clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orders import selectors, services
from orders.models import (
    Cell,
    CellLedger,
    LedgerType,
    LogKind,
    Order,
    OrderStatusLog,
    Status,
)
from realtime.errors import DomainError
from tests.orders.conftest import seoul

pytestmark = pytest.mark.django_db

NOON = seoul(2026, 3, 2, 12, 0)


def create(cafe, *lines, pay_type="CARD", cell_id=None, now=NOON, actor=None):
    return services.order_create(
        items=list(lines) or [cafe.line()],
        pay_type=pay_type,
        cell_id=cell_id,
        now=now,
        actor=actor,
    )


def refused(code, call, *args, **kwargs):
    with pytest.raises(DomainError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value.message
    return info.value


# -- totals and options ----------------------------------------------------------


def test_totals_are_computed_on_the_server_from_prices_and_option_deltas(cafe):
    order = create(
        cafe,
        cafe.line(cafe.latte, 2, cafe.large, cafe.iced, cafe.shot),
        cafe.line(cafe.cookie, 3),
    )
    latte, cookie = order.items.all()
    assert latte.unit_price == 3000 + 500 + 300 + 500
    assert latte.total_price == 2 * 4300
    assert cookie.unit_price == 2000 and cookie.total_price == 6000
    assert order.total_amount == 8600 + 6000


def test_item_lines_snapshot_names_options_and_prices(cafe):
    order = create(cafe, cafe.line(cafe.latte, 1, cafe.large, cafe.hot))
    cafe.latte.name, cafe.latte.price = "Renamed", 9999
    cafe.latte.save()
    item = order.items.get()
    assert item.menu_name == "Cafe Latte"
    assert item.unit_price == 3500
    assert [(o["group"], o["name"], o["priceDelta"]) for o in item.options] == [
        ("Size", "Large", 500),
        ("Temperature", "Hot", 0),
    ]


def test_required_option_groups_default_to_their_first_option(cafe):
    order = create(cafe, {"menuId": cafe.latte.pk, "quantity": 1})
    assert [o["name"] for o in order.items.get().options] == ["Regular", "Hot"]
    assert order.total_amount == 3000


def test_two_options_of_a_single_choice_group_are_refused(cafe):
    refused(
        "VALIDATION_ERROR",
        create,
        cafe,
        cafe.line(cafe.latte, 1, cafe.regular, cafe.large),
    )


def test_an_option_of_another_item_is_refused(cafe):
    refused("VALIDATION_ERROR", create, cafe, cafe.line(cafe.cookie, 1, cafe.shot))


@pytest.mark.parametrize(
    "items",
    [
        [],
        "x",
        [{"menuId": "a"}],
        [{"menuId": 1, "quantity": 0}],
        [{"menuId": 1, "quantity": 51}],
    ],
)
def test_malformed_items_are_refused(cafe, items):
    refused("VALIDATION_ERROR", services.order_create, items=items, pay_type="CARD")


def test_unknown_menu_item_is_not_found(cafe):
    refused("NOT_FOUND", create, cafe, {"menuId": 999999, "quantity": 1})


def test_unknown_pay_type_is_refused(cafe):
    refused("VALIDATION_ERROR", create, cafe, pay_type="BITCOIN")


# -- sold out and maintenance -------------------------------------------------------


def test_sold_out_item_is_refused_with_409_naming_it(cafe):
    cafe.latte.is_sold_out = True
    cafe.latte.save()
    error = refused(
        "SOLD_OUT", create, cafe, cafe.line(cafe.latte), cafe.line(cafe.cookie)
    )
    assert error.status == 409
    assert "Cafe Latte" in error.message
    assert error.details["items"] == [
        {"menuId": cafe.latte.pk, "menuName": "Cafe Latte"}
    ]
    assert not Order.objects.exists()


def test_sold_out_option_is_refused_with_409_naming_it(cafe):
    cafe.iced.is_sold_out = True
    cafe.iced.save()
    error = refused("SOLD_OUT", create, cafe, cafe.line(cafe.latte, 1, cafe.iced))
    assert error.status == 409 and "Iced" in error.message
    assert error.details["options"][0]["optionName"] == "Iced"
    # The same item with an available option still sells.
    assert create(cafe, cafe.line(cafe.latte, 1, cafe.hot)).status == Status.PENDING


def test_inactive_kiosk_refuses_orders_with_503(cafe, staff):
    services.setting_set(key="is_kiosk_active", value=False, actor=staff)
    error = refused("KIOSK_INACTIVE", create, cafe)
    assert error.status == 503
    services.setting_set(key="is_kiosk_active", value=True, actor=staff)
    assert create(cafe).daily_num == 1


# -- status flow ---------------------------------------------------------------------


def test_status_moves_forward_and_each_move_is_logged_with_actor_and_time(
    cafe, barista
):
    order = create(cafe)
    for n, status in enumerate([Status.MAKING, Status.READY, Status.COMPLETED], 1):
        services.order_status_change(
            order_id=order.pk,
            status=status,
            actor=barista,
            now=NOON + timedelta(minutes=n),
        )
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert order.updated_at == NOON + timedelta(minutes=3)
    log = list(OrderStatusLog.objects.filter(order=order))
    assert [(e.from_status, e.to_status) for e in log] == [
        ("", "PENDING"),
        ("PENDING", "MAKING"),
        ("MAKING", "READY"),
        ("READY", "COMPLETED"),
    ]
    assert all(e.actor == barista for e in log[1:])
    assert log[2].created_at == NOON + timedelta(minutes=2)


def test_pending_moves_straight_to_ready_as_the_original_kitchen_does(cafe, barista):
    order = create(cafe)
    services.order_status_change(
        order_id=order.pk, status=Status.READY, actor=barista, now=NOON
    )
    order.refresh_from_db()
    assert order.status == Status.READY
    entry = order.log.last()
    assert (entry.kind, entry.from_status, entry.to_status) == (
        LogKind.MOVE,
        "PENDING",
        "READY",
    )
    # The rest of the way is unchanged; the undo goes back to PENDING.
    services.order_undo(order_id=order.pk, now=NOON)
    order.refresh_from_db()
    assert order.status == Status.PENDING


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ([], Status.COMPLETED),
        ([], Status.PENDING),
        ([Status.MAKING], Status.PENDING),
        ([Status.MAKING], Status.COMPLETED),
        ([Status.MAKING, Status.READY], Status.MAKING),
        ([Status.MAKING, Status.READY, Status.COMPLETED], Status.READY),
    ],
)
def test_other_status_moves_are_refused(cafe, path, target):
    order = create(cafe)
    for status in path:
        services.order_status_change(order_id=order.pk, status=status, now=NOON)
    error = refused(
        "INVALID_TRANSITION",
        services.order_status_change,
        order_id=order.pk,
        status=target,
        now=NOON,
    )
    assert error.status == 409
    order.refresh_from_db()
    assert order.status == (path[-1] if path else Status.PENDING)


@pytest.mark.parametrize("path", [[], [Status.MAKING]])
def test_pending_and_making_orders_can_be_cancelled_with_a_reason(cafe, barista, path):
    order = create(cafe)
    for status in path:
        services.order_status_change(order_id=order.pk, status=status, now=NOON)
    services.order_cancel(
        order_id=order.pk, reason="Out of milk", actor=barista, now=NOON
    )
    order.refresh_from_db()
    assert order.status == Status.CANCELLED and order.cancel_reason == "Out of milk"
    entry = order.log.last()
    assert (entry.kind, entry.reason, entry.actor) == (
        LogKind.CANCEL,
        "Out of milk",
        barista,
    )


@pytest.mark.parametrize(
    "path",
    [[Status.MAKING, Status.READY], [Status.MAKING, Status.READY, Status.COMPLETED]],
)
def test_ready_or_completed_orders_cannot_be_cancelled(cafe, path):
    order = create(cafe)
    for status in path:
        services.order_status_change(order_id=order.pk, status=status, now=NOON)
    refused("INVALID_TRANSITION", services.order_cancel, order_id=order.pk, reason="x")


def test_cancelled_orders_cannot_move_or_be_cancelled_again(cafe):
    order = create(cafe)
    services.order_cancel(order_id=order.pk, reason="x")
    refused(
        "INVALID_TRANSITION",
        services.order_status_change,
        order_id=order.pk,
        status="MAKING",
    )
    refused("INVALID_TRANSITION", services.order_cancel, order_id=order.pk, reason="y")


def test_unknown_order_is_not_found(cafe):
    refused("NOT_FOUND", services.order_status_change, order_id="nope", status="MAKING")
    refused("NOT_FOUND", services.order_cancel, order_id="nope", reason="x")
    refused("NOT_FOUND", services.order_undo, order_id="nope")


# -- undo -------------------------------------------------------------------------------


def test_undo_takes_back_the_last_move_within_15_minutes(cafe, barista):
    order = create(cafe)
    services.order_status_change(order_id=order.pk, status="MAKING", now=NOON)
    services.order_status_change(order_id=order.pk, status="READY", now=NOON)
    services.order_status_change(order_id=order.pk, status="COMPLETED", now=NOON)
    services.order_undo(
        order_id=order.pk, actor=barista, now=NOON + timedelta(minutes=15)
    )
    order.refresh_from_db()
    assert order.status == Status.READY
    assert order.log.last().kind == LogKind.UNDO


def test_undo_is_refused_after_15_minutes(cafe):
    order = create(cafe)
    services.order_status_change(order_id=order.pk, status="MAKING", now=NOON)
    refused(
        "INVALID_TRANSITION",
        services.order_undo,
        order_id=order.pk,
        now=NOON + timedelta(minutes=15, seconds=1),
    )


def test_undo_needs_a_move_to_take_back(cafe):
    order = create(cafe)
    refused("INVALID_TRANSITION", services.order_undo, order_id=order.pk, now=NOON)
    services.order_status_change(order_id=order.pk, status="MAKING", now=NOON)
    services.order_undo(order_id=order.pk, now=NOON)
    refused("INVALID_TRANSITION", services.order_undo, order_id=order.pk, now=NOON)
    services.order_cancel(order_id=order.pk, reason="x", now=NOON)
    refused("INVALID_TRANSITION", services.order_undo, order_id=order.pk, now=NOON)


# -- daily numbers ------------------------------------------------------------------------


def test_ids_are_unguessable_and_daily_numbers_count_up(cafe):
    orders = [create(cafe) for _ in range(3)]
    assert [o.daily_num for o in orders] == [1, 2, 3]
    assert len({o.pk for o in orders}) == 3
    assert all(len(o.pk) == 16 for o in orders)


def test_daily_number_rolls_over_at_four_in_the_morning_seoul_time(cafe):
    late = create(cafe, now=seoul(2026, 3, 2, 23, 50))
    night = create(cafe, now=seoul(2026, 3, 3, 3, 59))
    morning = create(cafe, now=seoul(2026, 3, 3, 4, 0))
    later = create(cafe, now=seoul(2026, 3, 3, 9, 0))
    assert (late.daily_num, night.daily_num) == (1, 2)
    assert late.business_day == night.business_day == seoul(2026, 3, 2).date()
    assert (morning.daily_num, later.daily_num) == (1, 2)
    assert morning.business_day == seoul(2026, 3, 3).date()


def test_rollover_hour_is_configurable(cafe, settings):
    settings.ORDERS_DAY_STARTS_AT_HOUR = 6
    assert create(cafe, now=seoul(2026, 3, 3, 5, 0)).daily_num == 1
    assert create(cafe, now=seoul(2026, 3, 3, 5, 59)).daily_num == 2
    first = create(cafe, now=seoul(2026, 3, 3, 6, 0))
    assert first.daily_num == 1 and first.business_day == seoul(2026, 3, 3).date()


def test_business_day_uses_the_configured_time_zone(settings):
    settings.TIME_ZONE = "UTC"
    # 03:30 in Seoul is 18:30 UTC the day before: past 04:00 there.
    assert selectors.business_day(seoul(2026, 3, 3, 3, 30)) == seoul(2026, 3, 2).date()


# -- cells ---------------------------------------------------------------------------------


def test_cell_order_takes_the_balance_and_writes_a_payment_row(cafe):
    order = create(
        cafe, cafe.line(cafe.latte, 2), pay_type="CELL", cell_id=cafe.cell.pk
    )
    cafe.cell.refresh_from_db()
    assert cafe.cell.balance == 10_000 - 6000
    entry = CellLedger.objects.get(type=LedgerType.PAYMENT)
    assert (entry.amount, entry.balance_before, entry.balance_after, entry.order) == (
        -6000,
        10_000,
        4000,
        order,
    )


def test_cell_order_short_of_points_is_refused_and_changes_nothing(cafe):
    error = refused(
        "INSUFFICIENT_BALANCE",
        create,
        cafe,
        cafe.line(cafe.latte, 4),
        pay_type="CELL",
        cell_id=cafe.cell.pk,
    )
    assert error.status == 409
    cafe.cell.refresh_from_db()
    assert cafe.cell.balance == 10_000
    assert not Order.objects.exists()
    assert CellLedger.objects.filter(type=LedgerType.PAYMENT).count() == 0
    # The refused order used no daily number.
    assert create(cafe).daily_num == 1


def test_cell_order_needs_an_existing_active_cell(cafe):
    refused("VALIDATION_ERROR", create, cafe, pay_type="CELL")
    refused("NOT_FOUND", create, cafe, pay_type="CELL", cell_id=999)
    Cell.objects.filter(pk=cafe.cell.pk).update(is_active=False)
    refused("NOT_FOUND", create, cafe, pay_type="CELL", cell_id=cafe.cell.pk)


def test_cell_id_is_ignored_for_card_orders(cafe):
    order = create(cafe, pay_type="CARD", cell_id=cafe.cell.pk)
    assert order.cell_id is None
    cafe.cell.refresh_from_db()
    assert cafe.cell.balance == 10_000


def test_cancelling_a_cell_order_refunds_the_balance(cafe, barista):
    order = create(cafe, pay_type="CELL", cell_id=cafe.cell.pk)
    services.order_cancel(order_id=order.pk, reason="Wrong drink", actor=barista)
    cafe.cell.refresh_from_db()
    assert cafe.cell.balance == 10_000
    refund = CellLedger.objects.get(type=LedgerType.REFUND)
    assert (refund.amount, refund.balance_before, refund.balance_after) == (
        3000,
        7000,
        10_000,
    )
    assert refund.order == order and refund.actor == barista


def test_cell_charge_adds_points_with_a_ledger_row(cafe, staff):
    services.cell_charge(cell_id=cafe.cell.pk, amount=5000, actor=staff)
    cafe.cell.refresh_from_db()
    assert cafe.cell.balance == 15_000
    entry = CellLedger.objects.filter(type=LedgerType.CHARGE).first()
    assert (entry.balance_before, entry.balance_after, entry.actor) == (
        10_000,
        15_000,
        staff,
    )


@pytest.mark.parametrize("amount", [0, -5, 10_000_001, True, "100"])
def test_cell_charge_needs_a_positive_amount(cafe, amount):
    refused(
        "VALIDATION_ERROR", services.cell_charge, cell_id=cafe.cell.pk, amount=amount
    )


def test_cell_charge_of_unknown_cell_is_not_found(cafe):
    refused("NOT_FOUND", services.cell_charge, cell_id=999, amount=10)


# -- settings ------------------------------------------------------------------------------


def test_settings_are_validated_by_key(db, staff):
    refused("NOT_FOUND", services.setting_set, key="nope", value=1)
    refused("VALIDATION_ERROR", services.setting_set, key="is_kiosk_active", value="no")
    refused(
        "VALIDATION_ERROR", services.setting_set, key="ticket_warn_minutes", value=0
    )
    services.setting_set(key="kiosk_message", value="  Back at 2  ", actor=staff)
    assert selectors.settings_all()["kiosk_message"] == "Back at 2"
    assert selectors.settings_all()["is_kiosk_active"] is True


def test_a_sold_out_default_option_gives_way_to_the_next_one(cafe):
    cafe.regular.is_sold_out = True
    cafe.regular.save()
    order = create(cafe, {"menuId": cafe.latte.pk, "quantity": 1})
    assert [o["name"] for o in order.items.get().options] == ["Large", "Hot"]
