"""Concurrent orders on PostgreSQL: balances never go below zero, numbers never repeat."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from orders import services
from orders.models import Cell, CellLedger, LedgerType, Order
from realtime.errors import DomainError
from tests import tools
from tests.orders.conftest import make_cafe

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        tools.need("needs PostgreSQL")


def run_at_once(count: int, work):  # type: ignore[no-untyped-def]
    """Run `work(i)` in `count` threads, each with its own connection, started together."""
    barrier = threading.Barrier(count)

    def one(i: int):  # type: ignore[no-untyped-def]
        try:
            barrier.wait(10)
            return work(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_twenty_cell_orders_against_a_balance_for_ten(db):
    cafe = make_cafe(balance=30_000)  # a latte is 3,000: ten of them
    watcher_stop = threading.Event()
    lowest = {"balance": 30_000}

    def watch() -> None:
        try:
            while not watcher_stop.is_set():
                balance = Cell.objects.values_list("balance", flat=True).get(
                    pk=cafe.cell.pk
                )
                lowest["balance"] = min(lowest["balance"], balance)
        finally:
            connections.close_all()

    watcher = threading.Thread(target=watch)
    watcher.start()

    def order(i: int) -> str:
        try:
            services.order_create(
                items=[cafe.line()], pay_type="CELL", cell_id=cafe.cell.pk
            )
            return "ok"
        except DomainError as exc:
            return f"{exc.status} {exc.code}"

    try:
        results = run_at_once(20, order)
    finally:
        watcher_stop.set()
        watcher.join(10)
    assert results.count("ok") == 10
    assert results.count("409 INSUFFICIENT_BALANCE") == 10
    cafe.cell.refresh_from_db()
    assert cafe.cell.balance == 0
    assert lowest["balance"] >= 0
    assert Order.objects.count() == 10
    payments = CellLedger.objects.filter(type=LedgerType.PAYMENT)
    assert payments.count() == 10
    assert sorted(p.balance_after for p in payments) == list(range(0, 30_000, 3000))


def test_fifty_concurrent_orders_get_fifty_distinct_daily_numbers(db):
    cafe = make_cafe()

    def order(i: int) -> int:
        return services.order_create(items=[cafe.line()], pay_type="CARD").daily_num

    numbers = run_at_once(50, order)
    assert sorted(numbers) == list(range(1, 51))


def test_mixed_orders_moves_cancels_and_charges_at_once_do_not_deadlock(db):
    cafe = make_cafe(balance=1_000_000)
    placed = [
        services.order_create(
            items=[cafe.line()], pay_type="CELL", cell_id=cafe.cell.pk
        )
        for _ in range(10)
    ]

    def work(i: int) -> str:
        kind = i % 4
        if kind == 0:
            services.order_create(
                items=[cafe.line()], pay_type="CELL", cell_id=cafe.cell.pk
            )
        elif kind == 1:
            services.order_create(items=[cafe.line()], pay_type="CARD")
        elif kind == 2:
            services.order_cancel(order_id=placed[i // 4].pk, reason="x")
        else:
            services.order_status_change(
                order_id=placed[i // 4 + 5].pk, status="MAKING"
            )
            services.cell_charge(cell_id=cafe.cell.pk, amount=100)
        return "ok"

    assert run_at_once(20, work) == ["ok"] * 20
    cafe.cell.refresh_from_db()
    # 10 + 5 paid orders of 3,000, 5 refunded, 5 charges of 100.
    assert cafe.cell.balance == 1_000_000 - 15 * 3000 + 5 * 3000 + 5 * 100
    assert sorted(Order.objects.values_list("daily_num", flat=True)) == list(
        range(1, 21)
    )
