"""Each change publishes the PROTOCOL section 6 events to the rooms it names."""

from __future__ import annotations

import json

import pytest

from orders import services
from realtime.errors import DomainError
from tests.conftest import published

pytestmark = pytest.mark.django_db


def test_order_created_goes_to_kitchen_and_admin_with_the_protocol_payload(cafe):
    order = services.order_create(
        items=[cafe.line(cafe.latte, 2, cafe.large)],
        pay_type="CELL",
        cell_id=cafe.cell.pk,
    )
    for room in ("kitchen", "admin"):
        (frame,) = published(room, "order:created")
        data = frame["data"]
        assert set(data) == {
            "orderId",
            "dailyNum",
            "payType",
            "cellInfo",
            "items",
            "totalAmount",
            "status",
            "createdAt",
        }
        assert data["orderId"] == order.pk and data["dailyNum"] == 1
        assert data["cellInfo"] == {"id": cafe.cell.pk, "name": "Joy Cell"}
        assert data["status"] == "PENDING" and data["totalAmount"] == 7000
        (item,) = data["items"]
        assert set(item) == {
            "menuId",
            "menuName",
            "quantity",
            "options",
            "unitPrice",
            "totalPrice",
        }
        assert (item["unitPrice"], item["totalPrice"], item["quantity"]) == (
            3500,
            7000,
            2,
        )
    assert published(f"order:{order.pk}") == []
    assert published("kiosk") == []


def test_card_orders_carry_no_cell_info(cafe):
    services.order_create(items=[cafe.line()], pay_type="CARD")
    assert "cellInfo" not in published("kitchen", "order:created")[0]["data"]


def test_status_change_goes_to_kitchen_admin_and_the_order_room(cafe):
    order = services.order_create(items=[cafe.line()], pay_type="CASH")
    services.order_status_change(order_id=order.pk, status="MAKING")
    for room in ("kitchen", "admin", f"order:{order.pk}"):
        (frame,) = published(room, "order:status_changed")
        assert frame["data"] == {
            "orderId": order.pk,
            "dailyNum": 1,
            "status": "MAKING",
            "previousStatus": "PENDING",
            "updatedAt": frame["data"]["updatedAt"],
        }
    assert published(f"order:{order.pk}", "order:ready") == []


def test_ready_also_sends_order_ready_to_the_order_room_only(cafe):
    order = services.order_create(items=[cafe.line()], pay_type="CASH")
    services.order_status_change(order_id=order.pk, status="MAKING")
    services.order_status_change(order_id=order.pk, status="READY")
    room = f"order:{order.pk}"
    events = [f["event"] for f in published(room)]
    assert events == ["order:status_changed", "order:status_changed", "order:ready"]
    ready = published(room, "order:ready")[0]["data"]
    assert set(ready) == {"orderId", "dailyNum", "status", "updatedAt"}
    assert ready["status"] == "READY"
    assert published("kitchen", "order:ready") == []


def test_cancel_goes_to_kitchen_admin_and_order_room_and_refund_to_admin(cafe):
    order = services.order_create(
        items=[cafe.line()], pay_type="CELL", cell_id=cafe.cell.pk
    )
    services.order_cancel(order_id=order.pk, reason="Spilled")
    for room in ("kitchen", "admin", f"order:{order.pk}"):
        (frame,) = published(room, "order:cancelled")
        assert frame["data"]["reason"] == "Spilled"
        assert set(frame["data"]) == {"orderId", "dailyNum", "reason", "cancelledAt"}
    balance = [f["data"] for f in published("admin", "cell:balance_changed")]
    assert [
        (b["type"], b["changeAmount"], b["balanceBefore"], b["balanceAfter"])
        for b in balance
    ] == [
        ("PAYMENT", -3000, 10_000, 7000),
        ("REFUND", 3000, 7000, 10_000),
    ]
    assert balance[0]["cellName"] == "Joy Cell"


def test_pending_to_ready_in_one_step_calls_the_customer(cafe):
    order = services.order_create(items=[cafe.line()], pay_type="CASH")
    services.order_status_change(order_id=order.pk, status="READY")
    room = f"order:{order.pk}"
    assert [f["event"] for f in published(room)] == [
        "order:status_changed",
        "order:ready",
    ]
    changed = published("kitchen", "order:status_changed")[0]["data"]
    assert (changed["previousStatus"], changed["status"]) == ("PENDING", "READY")


def test_an_undo_back_to_ready_does_not_call_the_customer_again(cafe):
    order = services.order_create(items=[cafe.line()], pay_type="CASH")
    for status in ("READY", "COMPLETED"):
        services.order_status_change(order_id=order.pk, status=status)
    services.order_undo(order_id=order.pk)
    assert len(published(f"order:{order.pk}", "order:ready")) == 1
    last = published("kitchen", "order:status_changed")[-1]["data"]
    assert (last["previousStatus"], last["status"]) == ("COMPLETED", "READY")


def test_undo_publishes_a_status_change_back(cafe):
    order = services.order_create(items=[cafe.line()], pay_type="CASH")
    services.order_status_change(order_id=order.pk, status="MAKING")
    services.order_undo(order_id=order.pk)
    last = published(f"order:{order.pk}", "order:status_changed")[-1]["data"]
    assert (last["status"], last["previousStatus"]) == ("PENDING", "MAKING")


def test_charge_goes_to_admin(cafe, staff):
    services.cell_charge(cell_id=cafe.cell.pk, amount=100, actor=staff)
    (frame,) = published("admin", "cell:balance_changed")
    assert frame["data"]["type"] == "CHARGE" and frame["data"]["balanceAfter"] == 10_100


def test_settings_change_goes_to_kiosk_and_admin_with_the_author(db, staff):
    services.setting_set(key="is_kiosk_active", value=False, actor=staff)
    for room in ("kiosk", "admin"):
        (frame,) = published(room, "settings:changed")
        assert frame["data"]["key"] == "is_kiosk_active"
        # The string the original kiosk app tests for (`value === 'false'`).
        assert frame["data"]["value"] == "false"
        assert frame["data"]["updatedBy"] == {"id": staff.pk, "name": "staffer"}


@pytest.mark.parametrize(
    ("key", "value", "sent"),
    [
        ("is_kiosk_active", True, "true"),
        ("ticket_late_minutes", 9, "9"),
        ("kiosk_message", "Closed for lunch", "Closed for lunch"),
    ],
)
def test_settings_values_are_sent_as_strings(db, staff, key, value, sent):
    services.setting_set(key=key, value=value, actor=staff)
    (frame,) = published("kiosk", "settings:changed")
    assert frame["data"]["value"] == sent


# -- the pickup board -------------------------------------------------------------

PICKUP_FIELDS = {"dailyNum", "businessDay", "status", "updatedAt"}


def assert_nothing_private(frame: dict, order, cafe) -> None:
    """A pickup frame names no orderId, item, price or cell, under any key."""
    text = json.dumps(frame)
    assert set(frame["data"]) == PICKUP_FIELDS
    assert frame["event"] == "pickup:status_changed"
    for secret in (order.pk, "orderId", "Cafe Latte", "Joy Cell", "items", "Price"):
        assert secret not in text, secret
    assert "total" not in text and "cell" not in text


def test_the_pickup_board_hears_every_status_of_a_number_and_nothing_else(cafe):
    order = services.order_create(
        items=[cafe.line()], pay_type="CELL", cell_id=cafe.cell.pk
    )
    for status in ("MAKING", "READY", "COMPLETED"):
        services.order_status_change(order_id=order.pk, status=status)
    services.order_undo(order_id=order.pk)
    frames = published("pickup")
    assert [(f["data"]["dailyNum"], f["data"]["status"]) for f in frames] == [
        (1, "PENDING"),
        (1, "MAKING"),
        (1, "READY"),
        (1, "COMPLETED"),
        (1, "READY"),
    ]
    assert [f["seq"] for f in frames] == [1, 2, 3, 4, 5]
    order.refresh_from_db()
    assert frames[-1]["data"] == {
        "dailyNum": 1,
        "businessDay": order.business_day.isoformat(),
        "status": "READY",
        "updatedAt": order.updated_at.isoformat(),
    }
    for frame in frames:
        assert_nothing_private(frame, order, cafe)


def test_a_cancelled_number_leaves_the_board_without_its_reason(cafe):
    order = services.order_create(
        items=[cafe.line()], pay_type="CELL", cell_id=cafe.cell.pk
    )
    services.order_cancel(order_id=order.pk, reason="Spilled the Cafe Latte")
    (created, cancelled) = published("pickup")
    assert cancelled["data"]["status"] == "CANCELLED"
    assert "Spilled" not in json.dumps(cancelled)
    for frame in (created, cancelled):
        assert_nothing_private(frame, order, cafe)


def test_refused_changes_publish_nothing(cafe):
    cafe.latte.is_sold_out = True
    cafe.latte.save()
    with pytest.raises(DomainError):
        services.order_create(items=[cafe.line()], pay_type="CARD")
    assert published("kitchen") == [] and published("admin") == []
    assert published("pickup") == []
