"""The barista board as a kitchen display on a tablet: one screen, columns that scroll."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import auth_headers, computed, save_screenshot

LANDSCAPE = {"width": 1024, "height": 768}
PORTRAIT = {"width": 768, "height": 1024}
# Columns: New, Making, Ready, with 30 open orders between them.
SPREAD = {"PENDING": 12, "MAKING": 10, "READY": 8}


class Cafe:
    def __init__(self, server) -> None:
        self.base = server.base
        self.server = server
        self.headers = auth_headers(server.base, "barista")
        menu = httpx.get(f"{self.base}/api/menus/", timeout=10).json()
        self.americano = next(
            item["id"]
            for category in menu["categories"]
            for item in category["items"]
            if item["name"] == "Americano"
        )

    def order(self, status: str = "PENDING") -> dict:
        created = httpx.post(
            f"{self.base}/api/orders/",
            json={
                "items": [{"menuId": self.americano, "quantity": 2}],
                "payType": "CASH",
            },
            timeout=10,
        )
        assert created.status_code == 201, created.text
        order = created.json()
        path = {"PENDING": [], "MAKING": ["MAKING"], "READY": ["MAKING", "READY"]}
        for step in path[status]:
            self.move(order["orderId"], step)
        return order

    def move(self, order_id: str, status: str) -> None:
        response = httpx.patch(
            f"{self.base}/api/orders/{order_id}/status/",
            json={"status": status},
            headers=self.headers,
            timeout=10,
        )
        assert response.status_code == 200, response.text

    def close_all_open(self) -> None:
        for order in httpx.get(
            f"{self.base}/api/orders/?status=PENDING,MAKING,READY",
            headers=self.headers,
            timeout=10,
        ).json():
            if order["status"] == "READY":
                self.move(order["orderId"], "COMPLETED")
            else:
                httpx.post(
                    f"{self.base}/api/orders/{order['orderId']}/cancel/",
                    json={"reason": "end of test"},
                    headers=self.headers,
                    timeout=10,
                )


@pytest.fixture
def cafe(e2e_server):
    cafe = Cafe(e2e_server)
    cafe.close_all_open()
    yield cafe
    cafe.close_all_open()


def live(page, path="/barista/"):
    page.goto(path)
    expect(page.locator("#conn-indicator")).to_have_attribute("data-state", "live")
    return page


def ticket(page, num):
    return page.locator(".ticket").filter(
        has=page.locator(".num", has_text=re.compile(rf"^#{num}$"))
    )


def column(page, status):
    return page.locator(f".column[data-column={status}] .tickets")


def assert_one_screen(page) -> None:
    sizes = page.evaluate(
        "({scroll: document.scrollingElement.scrollHeight, height: innerHeight,"
        " width: document.scrollingElement.scrollWidth, inner: innerWidth})"
    )
    assert sizes["scroll"] <= sizes["height"] + 2, sizes
    assert sizes["width"] <= sizes["inner"] + 1, sizes


@pytest.mark.parametrize(
    "viewport", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"]
)
def test_thirty_open_orders_fit_one_screen_with_columns_that_scroll(
    new_page, cafe, viewport
):
    for status, count in SPREAD.items():
        for _ in range(count):
            cafe.order(status)
    page = live(new_page(user="barista", viewport=viewport))
    for status, count in SPREAD.items():
        expect(column(page, status).locator(".ticket")).to_have_count(count)
    assert_one_screen(page)
    # Each column scrolls on its own, the page does not.
    for status in SPREAD:
        box = column(page, status)
        assert box.evaluate("n => n.scrollHeight > n.clientHeight + 50"), status
        moved = box.evaluate("n => { n.scrollTop = 120; return n.scrollTop; }")
        assert moved > 0, status
        assert page.evaluate("scrollY") == 0
        box.evaluate("n => { n.scrollTop = 0; }")
    # The one-tap moves of the first tickets are on screen: Start, Ready, Complete.
    for status, action in [
        ("PENDING", "MAKING"),
        ("MAKING", "READY"),
        ("READY", "COMPLETED"),
    ]:
        button = column(page, status).locator(f".ticket [data-action={action}]").first
        expect(button).to_be_in_viewport(ratio=1)
    # The side panels are a tap away and cover nothing until asked for.
    expect(page.locator("#drawer")).to_be_hidden()
    save_screenshot(page, f"barista-kds-{viewport['width']}x{viewport['height']}")

    # A new order lands where the eye is, at the top of New, even scrolled down.
    column(page, "PENDING").evaluate("n => { n.scrollTop = n.scrollHeight; }")
    new = cafe.order()
    card = ticket(page, new["dailyNum"])
    expect(card).to_be_in_viewport(ratio=1)
    expect(card).to_have_class(re.compile(r"\bfresh\b"))
    first = column(page, "PENDING").locator(".ticket").first
    expect(first.locator(".num")).to_have_text(f"#{new['dailyNum']}")
    assert_one_screen(page)


def test_item_lines_are_readable_at_a_distance(new_page, cafe):
    cafe.order()
    page = live(new_page(user="barista", viewport=LANDSCAPE))
    line = page.locator(".ticket ul.items li").first
    expect(line).to_be_visible()
    assert float(computed(page, ".ticket ul.items li", "fontSize")[:-2]) >= 20


def test_side_panels_open_in_a_drawer_and_close_with_escape(new_page, cafe):
    page = live(new_page(user="barista", viewport=PORTRAIT))
    opener = page.locator(".kds-panels").get_by_role("button", name="Sold out")
    opener.click()
    drawer = page.locator("#drawer")
    expect(drawer).to_be_visible()
    expect(opener).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#soldout-items li").first).to_be_in_viewport()
    expect(page.locator("#recent-panel")).to_be_hidden()
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    expect(opener).to_be_focused()
    page.locator(".kds-panels").get_by_role("button", name="All day").click()
    expect(page.locator("#all-day-panel")).to_be_visible()
    page.locator("#drawer-close").click()
    expect(drawer).to_be_hidden()
    assert_one_screen(page)


def test_cancel_needs_a_reason_ready_goes_back_and_a_cancel_is_recalled(new_page, cafe):
    page = live(new_page(user="barista", viewport=LANDSCAPE))
    making = cafe.order("MAKING")
    ready = cafe.order("READY")

    # Ready by mistake: back to Making.
    card = ticket(page, ready["dailyNum"])
    expect(card).to_have_count(1)
    card.locator("[data-action=undo]").click()
    expect(
        column(page, "MAKING").locator(
            ".num", has_text=re.compile(rf"^#{ready['dailyNum']}$")
        )
    ).to_have_count(1)
    expect(column(page, "READY").locator(".ticket")).to_have_count(0)

    # Cancel asks for a reason first; the reason field has the focus.
    card = ticket(page, making["dailyNum"])
    card.locator("[data-action=cancel]").click()
    reason = card.locator("input[aria-label=Reason]")
    expect(reason).to_be_focused()
    card.get_by_role("button", name="Confirm cancel").click()
    expect(card.locator(".form-hint")).to_contain_text("Say why")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(card).to_have_count(1)
    reason.fill("Customer left")
    # A new order rebuilds the board: what was typed stays, and so does the focus.
    other = cafe.order()
    expect(ticket(page, other["dailyNum"])).to_have_count(1)
    expect(reason).to_have_value("Customer left")
    expect(reason).to_be_focused()
    card.get_by_role("button", name="Confirm cancel").click()
    expect(card).to_have_count(0)

    # Recall the cancelled order: back to Making, where it was.
    page.locator(".kds-panels").get_by_role("button", name="Recall").click()
    row = page.locator("#recent li", has_text=f"#{making['dailyNum']} cancelled")
    row.get_by_role("button", name=f"Recall order #{making['dailyNum']}").click()
    expect(
        column(page, "MAKING").locator(
            ".num", has_text=re.compile(rf"^#{making['dailyNum']}$")
        )
    ).to_have_count(1)
    body = httpx.get(f"{cafe.base}/api/orders/{making['orderId']}/", timeout=10).json()
    assert body["status"] == "MAKING"


def test_the_api_refuses_a_cancel_without_a_reason(cafe):
    order = cafe.order()
    response = httpx.post(
        f"{cafe.base}/api/orders/{order['orderId']}/cancel/",
        json={"reason": " "},
        headers=cafe.headers,
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "REASON_REQUIRED"


def test_the_ready_timer_counts_from_ready_and_old_orders_are_marked(new_page, cafe):
    old = cafe.order("MAKING")
    earlier = cafe.order("PENDING")
    # Placed 20 minutes ago; the other one belongs to yesterday's business day.
    cafe.server.manage(
        "shell",
        "-c",
        "from datetime import timedelta; from django.db.models import F; "
        "from orders.models import Order; "
        f"Order.objects.filter(pk='{old['orderId']}').update("
        "created_at=F('created_at') - timedelta(minutes=20)); "
        f"Order.objects.filter(pk='{earlier['orderId']}').update("
        "business_day=F('business_day') - timedelta(days=1))",
    )
    page = live(new_page(user="barista", viewport=LANDSCAPE))
    expect(page.locator("#business-day")).to_contain_text("Business day")
    expect(page.locator("#business-day")).to_contain_text("04:00")
    card = ticket(page, old["dailyNum"])
    expect(card.locator(".timer")).to_have_text(re.compile(r"^2\d:\d\d$"))
    expect(card).to_have_class(re.compile(r"\blate\b"))
    late = computed(
        page, f".ticket[data-order-id='{old['orderId']}'] .timer", "content", "::before"
    )
    assert "Late" in late, late
    card.locator("[data-action=READY]").click()
    card = (
        column(page, "READY")
        .locator(".ticket")
        .filter(has=page.locator(".num", has_text=re.compile(rf"^#{old['dailyNum']}$")))
    )
    expect(card.locator(".timer")).to_have_text(re.compile(r"^0:[0-2]\d$"))
    # Waiting on the counter is not late: the Ready timer has no colour alarm.
    expect(card).not_to_have_class(re.compile(r"\blate\b"))
    # After a reload the timer still counts from ready (readyAt), not from the order.
    page.reload()
    expect(ticket(page, old["dailyNum"]).locator(".timer")).to_have_text(
        re.compile(r"^0:\d\d$")
    )
    marked = ticket(page, earlier["dailyNum"])
    expect(marked).to_have_class(re.compile(r"\bearlier\b"))
    expect(marked.locator(".earlier-tag")).to_contain_text("From ")


def test_a_failed_request_says_so_in_words_and_clears_after_recovery(new_page, cafe):
    order = cafe.order()
    page = live(new_page(user="barista", viewport=LANDSCAPE))
    status = page.locator("#barista-status")
    page.context.set_offline(True)
    ticket(page, order["dailyNum"]).locator("[data-action=MAKING]").click()
    expect(status).to_be_visible()
    expect(status).to_contain_text("Can't reach the server")
    expect(status).not_to_contain_text("Failed to fetch")
    page.context.set_offline(False)
    expect(page.locator("#conn-indicator")).to_have_attribute("data-state", "live")
    expect(status).to_be_hidden()
    ticket(page, order["dailyNum"]).locator("[data-action=MAKING]").click()
    expect(
        column(page, "MAKING").locator(
            ".num", has_text=re.compile(rf"^#{order['dailyNum']}$")
        )
    ).to_have_count(1)
