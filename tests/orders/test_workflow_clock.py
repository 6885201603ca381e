"""One clock: the business day a board shows, and open orders of earlier days on it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import Context, Template

from orders import events, selectors, services
from orders.models import Order, Status
from tests.orders.conftest import seoul

pytestmark = pytest.mark.django_db


def test_the_default_list_keeps_open_orders_of_earlier_business_days(cafe):
    today = selectors.business_day()
    open_old, done_old, fresh = (
        services.order_create(items=[cafe.line()], pay_type="CASH") for _ in range(3)
    )
    services.order_status_change(order_id=done_old.pk, status="READY")
    services.order_status_change(order_id=done_old.pk, status="COMPLETED")
    Order.objects.filter(pk__in=[open_old.pk, done_old.pk]).update(
        business_day=today - timedelta(days=1)
    )
    listed = [o.pk for o in selectors.order_list()]
    assert listed == [open_old.pk, fresh.pk]
    # A day asked for is that day only.
    assert [o.pk for o in selectors.order_list(day=today)] == [fresh.pk]
    yesterday = selectors.order_list(day=today - timedelta(days=1))
    assert {o.pk for o in yesterday} == {open_old.pk, done_old.pk}
    assert [o.pk for o in selectors.order_list(statuses=[Status.COMPLETED])] == []


def test_the_business_day_rolls_over_at_four_in_the_cafe_zone():
    assert selectors.business_day(seoul(2026, 3, 3, 3, 59)).isoformat() == "2026-03-02"
    assert selectors.business_day(seoul(2026, 3, 3, 4, 0)).isoformat() == "2026-03-03"


def test_pages_get_the_cafe_clock():
    rendered = Template(
        "{% load orders_pages %}{% cafe_clock as c %}{{ c.timeZone }} "
        "{{ c.dayStartsAtHour }} {{ c.businessDay }}"
    ).render(Context())
    zone, hour, day = rendered.split()
    assert (zone, hour) == ("Asia/Seoul", "4")
    assert day == selectors.business_day().isoformat()


def test_ready_at_and_cancelled_from_cost_no_query_per_order(
    cafe, django_assert_max_num_queries
):
    for i in range(6):
        order = services.order_create(items=[cafe.line()], pay_type="CASH")
        if i % 2:
            services.order_status_change(order_id=order.pk, status="READY")
        else:
            services.order_cancel(order_id=order.pk, reason="x")
    with django_assert_max_num_queries(3):
        listed = [events.order_data(o) for o in selectors.order_list()]
    assert {(o["status"], bool(o["readyAt"]), o["cancelledFrom"]) for o in listed} == {
        ("READY", True, None),
        ("CANCELLED", False, "PENDING"),
    }
