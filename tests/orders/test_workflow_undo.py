"""Undo and recall: a cancel needs a reason, a cancel can be recalled, READY can go back."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from rest_framework.test import APIClient

from orders import events, services
from orders.models import Cell, LedgerType, LogKind, Order, Status
from realtime.errors import DomainError
from tests.conftest import published, token_for
from tests.orders.conftest import seoul

pytestmark = pytest.mark.django_db

NOON = seoul(2026, 3, 2, 12, 0)


def create(cafe, pay_type="CARD", cell_id=None):
    return services.order_create(
        items=[cafe.line()], pay_type=pay_type, cell_id=cell_id, now=NOON
    )


def refused(code, call, **kwargs):
    with pytest.raises(DomainError) as info:
        call(**kwargs)
    assert info.value.code == code, info.value.message
    return info.value


def as_user(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


# -- cancel needs a reason ----------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_cancel_without_a_reason_is_refused_and_changes_nothing(cafe, reason):
    order = create(cafe)
    error = refused(
        "REASON_REQUIRED", services.order_cancel, order_id=order.pk, reason=reason
    )
    assert error.code.status == 400
    order.refresh_from_db()
    assert order.status == Status.PENDING
    assert published("kitchen", events.ORDER_CANCELLED) == []


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "  "}])
def test_the_api_answers_400_reason_required(cafe, barista, body):
    order = create(cafe)
    response = as_user(barista).post(
        f"/api/orders/{order.pk}/cancel/", body, format="json"
    )
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "REASON_REQUIRED"
    order.refresh_from_db()
    assert order.status == Status.PENDING


def test_the_original_screens_status_cancel_still_works_without_a_reason(cafe):
    order = create(cafe)
    services.order_status_change(order_id=order.pk, status="CANCELLED")
    order.refresh_from_db()
    assert order.status == Status.CANCELLED
    assert order.cancel_reason == services.LEGACY_CANCEL_REASON


# -- recall of a cancelled order ------------------------------------------------------


@pytest.mark.parametrize("path", [[], [Status.MAKING]])
def test_a_cancelled_order_is_recalled_to_the_status_it_was_cancelled_from(
    cafe, barista, path
):
    order = create(cafe)
    for status in path:
        services.order_status_change(order_id=order.pk, status=status, now=NOON)
    before = order.status if not path else path[-1]
    services.order_cancel(order_id=order.pk, reason="Wrong table", now=NOON)
    services.order_restore(order_id=order.pk, actor=barista)
    order.refresh_from_db()
    assert order.status == before
    entry = order.log.order_by("-id").first()
    assert (entry.kind, entry.from_status, entry.to_status, entry.actor) == (
        LogKind.UNDO,
        Status.CANCELLED,
        before,
        barista,
    )
    for room in ("kitchen", "admin", f"order:{order.pk}"):
        (restored,) = published(room, events.ORDER_RESTORED)
        assert restored["data"]["previousStatus"] == "CANCELLED"
        assert restored["data"]["status"] == before
        changed = published(room, events.ORDER_STATUS_CHANGED)[-1]["data"]
        assert (changed["previousStatus"], changed["status"]) == ("CANCELLED", before)
    assert published("pickup")[-1]["data"]["status"] == before


def test_a_recall_goes_through_the_status_api_to_the_previous_status_only(
    cafe, barista
):
    client = as_user(barista)
    order = create(cafe)
    client.patch(f"/api/orders/{order.pk}/status/", {"status": "MAKING"}, format="json")
    client.post(f"/api/orders/{order.pk}/cancel/", {"reason": "No milk"}, format="json")
    body = client.get(f"/api/orders/{order.pk}/").json()
    assert (body["status"], body["cancelledFrom"]) == ("CANCELLED", "MAKING")
    wrong = client.patch(
        f"/api/orders/{order.pk}/status/", {"status": "PENDING"}, format="json"
    )
    assert wrong.status_code == 409
    right = client.patch(
        f"/api/orders/{order.pk}/status/", {"status": "MAKING"}, format="json"
    )
    assert right.status_code == 200, right.json()
    assert (right.json()["status"], right.json()["cancelledFrom"]) == ("MAKING", None)


def test_a_recalled_cell_order_pays_again_or_is_refused(cafe):
    order = create(cafe, pay_type="CELL", cell_id=cafe.cell.pk)
    services.order_cancel(order_id=order.pk, reason="Changed mind", now=NOON)
    services.order_restore(order_id=order.pk)
    cell = Cell.objects.get(pk=cafe.cell.pk)
    assert cell.balance == 10_000 - order.total_amount
    assert cell.ledger.first().type == LedgerType.PAYMENT
    assert published("admin", events.CELL_BALANCE_CHANGED)[-1]["data"]["type"] == (
        "PAYMENT"
    )
    # Cancelled again, the points go away meanwhile: the recall is refused.
    services.order_cancel(order_id=order.pk, reason="Again", now=NOON)
    Cell.objects.filter(pk=cafe.cell.pk).update(balance=0)
    refused("INSUFFICIENT_BALANCE", services.order_restore, order_id=order.pk)
    order.refresh_from_db()
    assert order.status == Status.CANCELLED


def test_only_a_cancelled_order_is_recalled(cafe):
    order = create(cafe)
    refused("INVALID_TRANSITION", services.order_restore, order_id=order.pk)


# -- READY back to MAKING -------------------------------------------------------------


def test_ready_goes_back_to_making_and_the_customer_hears_it(cafe):
    order = create(cafe)
    for status in ("MAKING", "READY"):
        services.order_status_change(order_id=order.pk, status=status)
    services.order_undo(order_id=order.pk)
    order.refresh_from_db()
    assert order.status == Status.MAKING
    (reopened,) = published(f"order:{order.pk}", events.ORDER_REOPENED)
    assert (reopened["data"]["previousStatus"], reopened["data"]["status"]) == (
        "READY",
        "MAKING",
    )
    assert published("pickup")[-1]["data"]["status"] == "MAKING"


def test_ready_long_ago_or_recalled_still_goes_back_to_making(cafe):
    order = create(cafe)
    services.order_status_change(order_id=order.pk, status="READY", now=NOON)
    later = NOON + timedelta(hours=1)
    services.order_undo(order_id=order.pk, now=later)
    order.refresh_from_db()
    assert order.status == Status.MAKING
    # Completed, recalled to READY (an undo), then back to MAKING.
    for status in ("READY", "COMPLETED"):
        services.order_status_change(order_id=order.pk, status=status, now=later)
    services.order_undo(order_id=order.pk, now=later)
    services.order_undo(order_id=order.pk, now=later)
    assert Order.objects.get(pk=order.pk).status == Status.MAKING


def test_ready_at_is_when_the_order_became_ready(cafe, barista):
    order = create(cafe)
    services.order_status_change(order_id=order.pk, status="MAKING", now=NOON)
    ready = NOON + timedelta(minutes=7)
    services.order_status_change(order_id=order.pk, status="READY", now=ready)
    body = as_user(barista).get(f"/api/orders/{order.pk}/").json()
    assert datetime.fromisoformat(body["readyAt"]) == ready
    assert body["createdAt"] != body["readyAt"]
