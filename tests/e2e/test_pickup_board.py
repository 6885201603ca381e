"""The public pickup board on a 1080p TV: no login, live numbers, never an orderId."""

from __future__ import annotations

import json

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import auth_headers, save_screenshot

TV = {"width": 1920, "height": 1080}


def americano(base):
    menu = httpx.get(f"{base}/api/menus/", timeout=10).json()
    return next(
        item["id"]
        for category in menu["categories"]
        for item in category["items"]
        if item["name"] == "Americano"
    )


def place(base, menu_id):
    response = httpx.post(
        f"{base}/api/orders/",
        json={"items": [{"menuId": menu_id}], "payType": "CASH"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def move(base, order, status, headers):
    response = httpx.patch(
        f"{base}/api/orders/{order['orderId']}/status/",
        json={"status": status},
        headers=headers,
        timeout=10,
    )
    assert response.status_code == 200, response.text


def number(page, list_id, num):
    return page.locator(f"#{list_id} li[data-num='{num}']")


def tv_page(new_page, *, clock=False):
    """An anonymous page on the board that keeps every WebSocket frame it receives."""
    page = new_page(viewport=TV)
    if clock:
        page.clock.install()
    frames: list[str] = []

    def watch(socket):
        socket.on(
            "framereceived",
            lambda payload: frames.append(
                payload if isinstance(payload, str) else payload.decode()
            ),
        )

    page.on("websocket", watch)
    page.goto("/pickup/")
    assert page.url.endswith("/pickup/"), page.url
    expect(page.locator("#conn-indicator")).to_have_attribute("data-state", "live")
    return page, frames


def test_a_number_moves_from_making_to_ready_live_and_no_frame_has_an_order_id(
    new_page, e2e_server
):
    base = e2e_server.base
    barista = auth_headers(base, "barista")
    pickup, frames = tv_page(new_page)
    # A public TV: no staff links, no user, no log-out.
    assert pickup.locator("a, form, button").count() == 0
    expect(pickup.get_by_text("Log out")).to_have_count(0)

    order = place(base, americano(base))
    num = order["dailyNum"]
    expect(number(pickup, "making", num)).to_be_visible()
    move(base, order, "MAKING", barista)
    move(base, order, "READY", barista)
    expect(number(pickup, "ready", num)).to_be_visible()
    expect(number(pickup, "making", num)).to_have_count(0)
    save_screenshot(pickup, "pickup")

    move(base, order, "COMPLETED", barista)
    expect(number(pickup, "ready", num)).to_have_count(0)

    events = [json.loads(f).get("event") for f in frames]
    assert events.count("pickup:status_changed") == 4, events
    assert all("orderId" not in f and order["orderId"] not in f for f in frames)


def test_ready_numbers_stay_while_ready_and_a_busy_board_fits_the_screen(
    new_page, e2e_server
):
    base = e2e_server.base
    barista = auth_headers(base, "barista")
    menu_id = americano(base)
    pickup, frames = tv_page(new_page, clock=True)
    orders = [place(base, menu_id) for _ in range(60)]
    for order in orders[:25]:
        move(base, order, "READY", barista)
    expect(pickup.locator("#ready li[data-num]")).to_have_count(25)
    expect(pickup.locator("#making li[data-num]")).to_have_count(35)

    # 1080 px, no scrolling: every number is on the screen, none cut off.
    assert pickup.evaluate("document.documentElement.scrollHeight") <= TV["height"]
    bottoms = pickup.evaluate(
        "[...document.querySelectorAll('.numbers li')]"
        ".map(li => li.getBoundingClientRect().bottom)"
    )
    assert len(bottoms) == 60 and max(bottoms) <= TV["height"], max(bottoms)
    assert pickup.locator(".numbers li.more").count() == 0
    save_screenshot(pickup, "pickup-busy")

    # Still on the board long after it was called (it used to leave after 10 min).
    pickup.clock.fast_forward("15:00")
    expect(number(pickup, "ready", orders[0]["dailyNum"])).to_be_visible()
    for order in orders:
        status = "COMPLETED" if order in orders[:25] else "READY"
        move(base, order, status, barista)
        if status == "READY":
            move(base, order, "COMPLETED", barista)
    expect(pickup.locator(".numbers li")).to_have_count(0)
    expect(pickup.locator("#ready-empty")).to_be_visible()
    assert not any("orderId" in f for f in frames)
