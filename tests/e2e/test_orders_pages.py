"""Kiosk, barista, customer, pickup and staff pages in real Chromium, several at once."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import auth_headers, save_screenshot

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}
XSS = "<img src=x onerror=alert(1)>"
RECORD_SOUND_AND_VIBRATION = """
window.__vibrations = [];
window.__tones = 0;
navigator.vibrate = function (pattern) { window.__vibrations.push(pattern); return true; };
const create = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  window.__tones += 1;
  return create.call(this);
};
"""


def live(page, path):
    page.goto(path)
    expect(page.locator("#conn-indicator")).to_have_attribute("data-state", "live")
    return page


def menu_id(server, name):
    menu = httpx.get(f"{server.base}/api/menus/", timeout=10).json()
    return next(
        item["id"]
        for category in menu["categories"]
        for item in category["items"]
        if item["name"] == name
    )


def cash_order(server, name="Americano"):
    """Place a one-item CASH order over REST, as a kiosk app does; the response."""
    return httpx.post(
        f"{server.base}/api/orders/",
        json={"items": [{"menuId": menu_id(server, name)}], "payType": "CASH"},
        timeout=10,
    )


def order_on_kiosk(kiosk, name):
    kiosk.locator(".menu-item", has_text=name).first.click()
    kiosk.locator("#sheet-add").click()
    kiosk.locator("#place-order").click()
    number = kiosk.locator("#order-number")
    expect(number).to_have_text(re.compile(r"^\d+$"))
    return number.inner_text(), kiosk.locator("#confirm-link").get_attribute("href")


def open_panel(page, name):
    """Open a side panel of the barista board (All day, Recall, Sold out)."""
    button = page.locator(".kds-panels").get_by_role("button", name=name)
    if button.get_attribute("aria-expanded") != "true":
        button.click()
    expect(page.locator("#drawer")).to_be_visible()


def ticket_id(page, num):
    return ticket(page, num).get_attribute("data-order-id")


def num_of(page, num):
    """The `#<num>` label of order `num` itself (`#1` is in `#11` and `#110:06`)."""
    return page.locator(".num", has_text=re.compile(rf"^#{num}$"))


def ticket(page, num):
    return page.locator(".ticket").filter(has=num_of(page, num))


def staff_row(page, num):
    return page.locator("#orders-body tr").filter(has=num_of(page, num))


def toasts(page):
    return page.get_by_role("status").locator(".toast")


def number(page, list_id, num):
    return page.locator(f"#{list_id} li[data-num='{num}']")


def test_an_order_travels_from_kiosk_to_barista_customer_and_pickup(new_page):
    barista = live(new_page(user="barista", viewport=TABLET), "/barista/")
    pickup = live(new_page(), "/pickup/")
    kiosk = live(new_page(viewport=TABLET), "/kiosk/")

    num, link = order_on_kiosk(kiosk, "Americano")
    save_screenshot(kiosk, "kiosk-confirmation")

    card = ticket(barista, num)
    expect(card).to_be_visible()
    expect(
        barista.locator("[data-column=PENDING]").locator(
            ".ticket", has=num_of(barista, num)
        )
    ).to_have_count(1)
    expect(card).to_contain_text("Americano")
    expect(number(pickup, "making", num)).to_be_visible()

    customer = new_page(viewport=PHONE)
    customer.add_init_script(RECORD_SOUND_AND_VIBRATION)
    live(customer, link)
    expect(customer.locator("#order-status")).to_have_text("PENDING")
    customer.locator("#sound-prompt").click()
    expect(customer.locator("#sound-prompt")).to_have_text("Sound is on")

    card.locator("[data-action=MAKING]").click()
    expect(customer.locator("#order-status")).to_have_text("MAKING")
    card.locator("[data-action=READY]").click()
    banner = customer.locator("#ready-banner")
    expect(banner).to_be_visible()
    expect(banner).to_have_text(f"Order #{num} is ready")
    expect(customer.locator("#order-status")).to_have_text("READY")
    expect(kiosk.locator("#confirm-status")).to_have_text("READY")
    customer.wait_for_function("window.__vibrations.length >= 2")
    assert customer.evaluate("window.__tones") > 1

    expect(number(pickup, "ready", num)).to_be_visible()
    expect(number(pickup, "making", num)).to_have_count(0)
    save_screenshot(customer, "customer-ready")
    save_screenshot(pickup, "pickup")
    save_screenshot(barista, "barista")

    card.locator("[data-action=COMPLETED]").click()
    expect(number(pickup, "ready", num)).to_have_count(0)
    open_panel(barista, "Recall")
    recent = barista.locator("#recent li", has_text=f"#{num} completed")
    expect(recent).to_be_visible()
    recent.get_by_role("button", name="Recall").click()
    expect(
        barista.locator("[data-column=READY]").locator(num_of(barista, num))
    ).to_be_visible()
    expect(number(pickup, "ready", num)).to_be_visible()


def test_barista_cancels_with_a_reason_and_the_customer_sees_it(new_page):
    barista = live(new_page(user="barista"), "/barista/")
    kiosk = live(new_page(), "/kiosk/")
    num, link = order_on_kiosk(kiosk, "Cafe Latte")
    customer = live(new_page(viewport=PHONE), link)
    card = ticket(barista, num)
    card.locator("[data-action=cancel]").click()
    card.locator("input[aria-label=Reason]").fill("Out of milk")
    card.get_by_role("button", name="Confirm cancel").click()
    expect(customer.locator("#cancelled-banner")).to_contain_text("Out of milk")
    expect(card).to_have_count(0)
    # The original app's toast, on the barista board and on the kiosk that took it.
    for page in (barista, kiosk):
        expect(
            toasts(page).filter(has_text=f"Order #{num} was cancelled")
        ).to_have_count(1)


def test_sold_out_toggle_on_barista_greys_the_kiosk_item_live(new_page, e2e_server):
    latte = menu_id(e2e_server, "Cafe Latte")
    barista = live(new_page(user="barista"), "/barista/")
    kiosk = live(new_page(viewport=PHONE), "/kiosk/")
    item = kiosk.locator(f".menu-item[data-menu-id='{latte}']")
    expect(item).not_to_have_class(re.compile("sold-out"))
    expect(item.locator(".badge")).to_be_hidden()
    open_panel(barista, "Sold out")
    toggle = barista.locator(f"#soldout-items li[data-menu-id='{latte}'] button")
    toggle.click()
    expect(item).to_have_class(re.compile("sold-out"))
    expect(item.locator(".badge")).to_be_visible()
    save_screenshot(kiosk, "kiosk-sold-out-phone")
    expect(toggle).to_have_text("Sold out")
    toggle.click()
    expect(item).not_to_have_class(re.compile("sold-out"))


def test_the_barista_board_toasts_new_orders_three_at_most_then_they_go(
    new_page, e2e_server
):
    barista = live(new_page(user="barista", viewport=TABLET), "/barista/")
    placed = []
    for _ in range(4):
        response = cash_order(e2e_server)
        placed.append(response.json()["dailyNum"])
        expect(toasts(barista).last).to_have_text(f"New order: #{placed[-1]}")
    # Never more than three; the oldest went first.
    expect(toasts(barista)).to_have_count(3)
    expect(toasts(barista).first).to_have_text(f"New order: #{placed[1]}")
    size = toasts(barista).first.evaluate(
        "n => parseFloat(getComputedStyle(n).fontSize)"
    )
    assert size >= 20, size
    save_screenshot(barista, "barista-toasts")
    # Each leaves on its own after a few seconds (5 s each).
    expect(toasts(barista)).to_have_count(0, timeout=10_000)
    for num in placed:
        httpx.post(
            f"{e2e_server.base}/api/orders/{ticket_id(barista, num)}/cancel/",
            json={"reason": "test"},
            headers=auth_headers(e2e_server.base, "barista"),
            timeout=10,
        )


def test_the_kiosk_toasts_an_item_that_sells_out(new_page, e2e_server):
    latte = menu_id(e2e_server, "Cafe Latte")
    barista = live(new_page(user="barista"), "/barista/")
    kiosk = live(new_page(viewport=PHONE), "/kiosk/")
    open_panel(barista, "Sold out")
    toggle = barista.locator(f"#soldout-items li[data-menu-id='{latte}'] button")
    toggle.click()
    expect(toasts(kiosk)).to_have_text(["Cafe Latte is sold out"])
    save_screenshot(kiosk, "kiosk-sold-out-toast")
    expect(toggle).to_have_text("Sold out")
    toggle.click()
    expect(toggle).to_have_text("Available")
    # Available again is no news: the toast leaves and no other comes.
    expect(toasts(kiosk)).to_have_count(0, timeout=10_000)


def test_a_sold_out_option_is_disabled_in_the_kiosk_item_sheet_live(new_page):
    barista = live(new_page(user="barista"), "/barista/")
    kiosk = live(new_page(viewport=PHONE), "/kiosk/")
    kiosk.locator(".menu-item", has_text="Cafe Latte").first.click()
    iced = kiosk.locator("#sheet-form label", has_text="Iced").locator("input")
    expect(iced).to_be_enabled()
    open_panel(barista, "Sold out")
    toggle = barista.locator(
        "#soldout-options li", has_text="Temperature: Iced"
    ).locator("button")
    toggle.click()
    expect(iced).to_be_disabled()
    save_screenshot(kiosk, "kiosk-options-phone")
    kiosk.locator("#sheet-cancel").click()
    toggle.click()
    expect(toggle).to_have_text("Available")


def test_turning_the_kiosk_off_shows_the_maintenance_screen_live(new_page, e2e_server):
    staff = live(new_page(user="admin"), "/staff/settings/")
    kiosk = live(new_page(viewport=TABLET), "/kiosk/")
    kiosk.locator(".menu-item", has_text="Americano").first.click()
    kiosk.locator("#sheet-add").click()
    expect(kiosk.locator("#maintenance")).to_be_hidden()
    expect(kiosk.locator("#cell-picker")).to_be_hidden()
    save_screenshot(kiosk, "kiosk")
    expect(staff.locator("#kiosk-state")).to_have_text("open")
    staff.locator("#kiosk-toggle").click()
    expect(kiosk.locator("#maintenance")).to_be_visible()
    expect(kiosk.locator("#maintenance-message")).not_to_be_empty()
    save_screenshot(kiosk, "kiosk-maintenance")
    save_screenshot(staff, "staff-settings")
    # The server refuses orders while closed, whatever the page shows.
    response = cash_order(e2e_server)
    assert response.status_code == 503
    staff.locator("#kiosk-toggle").click()
    expect(kiosk.locator("#maintenance")).to_be_hidden()


def test_staff_pages_show_orders_and_cells_live(new_page):
    orders = live(new_page(user="admin"), "/staff/orders/")
    cells = live(new_page(user="admin"), "/staff/cells/")
    kiosk = live(new_page(), "/kiosk/")
    kiosk.locator("[data-pay=CELL]").click()
    num, _ = order_on_kiosk(kiosk, "Espresso")
    expect(staff_row(orders, num)).to_contain_text("CELL")
    expect(cells.locator("#ledger-body tr").first).to_contain_text("PAYMENT")
    row = cells.locator("#cells-body tr").first
    before = row.locator(".balance").inner_text()
    row.locator("input").fill("5000")
    row.get_by_role("button", name="Charge").click()
    expect(cells.locator("#staff-status")).to_contain_text("Charged")
    expect(row.locator(".balance")).not_to_have_text(before)
    save_screenshot(orders, "staff-orders")
    save_screenshot(cells, "staff-cells")


def test_a_menu_item_named_like_html_shows_as_text_everywhere(new_page, e2e_server):
    category = httpx.get(f"{e2e_server.base}/api/menus/", timeout=10).json()[
        "categories"
    ][0]
    created = httpx.post(
        f"{e2e_server.base}/api/menus/",
        json={"categoryId": category["id"], "name": XSS, "price": 1000},
        headers=auth_headers(e2e_server.base),
        timeout=10,
    )
    assert created.status_code == 201, created.text
    barista = live(new_page(user="barista"), "/barista/")
    staff = live(new_page(user="admin"), "/staff/orders/")
    kiosk = live(new_page(), "/kiosk/")
    expect(kiosk.locator(".menu-item .name", has_text=XSS)).to_have_text(XSS)
    num, link = order_on_kiosk(kiosk, XSS)
    customer = live(new_page(viewport=PHONE), link)
    expect(customer.locator("#order-items")).to_contain_text(XSS)
    expect(ticket(barista, num)).to_contain_text(XSS)
    expect(barista.locator("#all-day")).to_contain_text(XSS)
    expect(barista.locator("#soldout-items")).to_contain_text(XSS)
    expect(staff.locator("#orders-body")).to_contain_text(XSS)
    for page in (kiosk, customer, barista, staff):
        assert page.locator("img[src=x]").count() == 0
    httpx.patch(
        f"{e2e_server.base}/api/menus/{created.json()['id']}/",
        json={"isActive": False},
        headers=auth_headers(e2e_server.base),
        timeout=10,
    )


@pytest.mark.parametrize("viewport", [PHONE, TABLET])
def test_pages_fit_phones_and_tablets(new_page, viewport):
    for user, path in [
        (None, "/kiosk/"),
        ("barista", "/barista/"),
        (None, "/pickup/"),
    ]:
        page = live(new_page(user=user, viewport=viewport), path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"] + 1, (path, width)


def test_ticket_timers_turn_amber_then_red_and_ready_numbers_stay_while_ready(
    new_page,
):
    barista = new_page(user="barista")
    barista.clock.install()
    live(barista, "/barista/")
    pickup = new_page()
    pickup.clock.install()
    live(pickup, "/pickup/")
    kiosk = live(new_page(), "/kiosk/")
    num, _ = order_on_kiosk(kiosk, "Lemonade")
    card = ticket(barista, num)
    expect(card).to_be_visible()
    expect(card).not_to_have_class(re.compile(r"\b(warn|late)\b"))
    barista.clock.fast_forward("05:01")
    expect(card).to_have_class(re.compile(r"\bwarn\b"))
    barista.clock.fast_forward("03:00")
    expect(card).to_have_class(re.compile(r"\blate\b"))
    card.locator("[data-action=MAKING]").click()
    ticket(barista, num).locator("[data-action=READY]").click()
    expect(number(pickup, "ready", num)).to_be_visible()
    pickup.clock.fast_forward("10:10")
    expect(number(pickup, "ready", num)).to_be_visible()
    ticket(barista, num).locator("[data-action=COMPLETED]").click()
    expect(number(pickup, "ready", num)).to_have_count(0)


def test_a_kiosk_that_missed_the_closing_event_is_refused_and_shows_maintenance(
    new_page, e2e_server
):
    kiosk = live(new_page(), "/kiosk/")
    # Close the kiosk behind the page's back: no event is published.
    set_active = (
        "from orders.models import KioskSetting; "
        "KioskSetting.objects.update_or_create(key='is_kiosk_active', "
        "defaults={{'value': {}}})"
    )
    e2e_server.manage("shell", "-c", set_active.format("False"))
    try:
        kiosk.locator(".menu-item", has_text="Americano").first.click()
        kiosk.locator("#sheet-add").click()
        kiosk.locator("#place-order").click()
        expect(kiosk.locator("#maintenance")).to_be_visible()
        expect(kiosk.locator("#confirm-screen")).to_be_hidden()
    finally:
        e2e_server.manage("shell", "-c", set_active.format("True"))


STAFF_CHROME = ["Log in", "Log out", "Barista", "Monitoring", "Chat", "Staff", "admin"]


def test_public_screens_show_no_staff_chrome_even_to_a_logged_in_user(new_page):
    kiosk = live(new_page(viewport=TABLET), "/kiosk/")
    _, link = order_on_kiosk(kiosk, "Americano")
    # The admin is logged in on this tablet: the screens still show none of it.
    page = new_page(user="admin", viewport=PHONE)
    for path in ("/kiosk/", link, "/pickup/", "/status/"):
        page.goto(path)
        header = page.locator("header")
        expect(header).to_be_visible()
        for words in STAFF_CHROME:
            expect(header.get_by_text(words, exact=True), path).to_have_count(0)
        expect(page.locator("header nav")).to_have_count(0)
        expect(page.locator("header form[action*=logout]")).to_have_count(0)
    # Nor to a customer who is not logged in.
    customer = live(new_page(viewport=PHONE), link)
    expect(customer.locator("header").get_by_text("Log in")).to_have_count(0)


@pytest.mark.parametrize(
    ("user", "links", "absent"),
    [
        (
            "admin",
            ["Barista", "Pickup", "Kiosk", "Staff", "Monitoring", "Chat", "Admin"],
            [],
        ),
        ("barista", ["Barista", "Pickup", "Kiosk", "Chat"], ["Staff", "Admin"]),
    ],
)
def test_staff_get_a_navigation_to_every_page_they_may_use(
    new_page, user, links, absent
):
    page = live(new_page(user=user, viewport=TABLET), "/barista/")
    nav = page.get_by_role("navigation", name="Pages")
    for name in links:
        expect(nav.get_by_role("link", name=name, exact=True)).to_have_count(1)
    for name in absent:
        expect(nav.get_by_role("link", name=name, exact=True)).to_have_count(0)
    expect(nav.get_by_role("link", name="Barista")).to_have_attribute(
        "aria-current", "page"
    )
    if user == "admin":
        nav.get_by_role("link", name="Staff").click()
        staff = page.get_by_role("navigation", name="Staff pages")
        for name in ["Orders", "Cells", "Kiosk settings", "Devices", "Monitoring"]:
            expect(staff.get_by_role("link", name=name, exact=True)).to_have_count(1)
        staff.get_by_role("link", name="Devices").click()
        expect(page).to_have_url(re.compile(r"/staff/devices/$"))


def test_staff_cancel_asks_a_reason_and_a_cancelled_order_is_recalled(
    new_page, e2e_server
):
    staff = live(new_page(user="admin"), "/staff/orders/")
    kiosk = live(new_page(), "/kiosk/")
    num, link = order_on_kiosk(kiosk, "Espresso")
    row = staff_row(staff, num)
    expect(row).to_have_attribute("data-status", "PENDING")
    row.locator("[data-action=cancel]").click()
    reason = row.locator("input[aria-label=Reason]")
    expect(reason).to_be_focused()
    row.get_by_role("button", name="Confirm cancel").click()
    expect(row.locator(".form-hint")).to_have_text("Say why it is cancelled.")
    expect(row).to_have_attribute("data-status", "PENDING")
    reason.fill("Wrong order")
    # Another order arrives and the table is read again: the form stays.
    other = cash_order(e2e_server).json()["dailyNum"]
    expect(staff_row(staff, other)).to_have_count(1)
    expect(reason).to_have_value("Wrong order")
    expect(reason).to_be_focused()
    row.get_by_role("button", name="Confirm cancel").click()
    expect(row).to_have_attribute("data-status", "CANCELLED")
    expect(row).to_contain_text("Wrong order")
    customer = live(new_page(viewport=PHONE), link)
    expect(customer.locator("#cancelled-banner")).to_contain_text("Wrong order")
    row.locator("[data-action=recall]").click()
    expect(row).to_have_attribute("data-status", "PENDING")
    expect(customer.locator("#order-status")).to_have_text("PENDING")


def test_times_are_in_the_viewers_zone_named_when_not_the_cafes(browser, e2e_server):
    """A manager in Berlin reads Berlin times, named; the business day is the cafe's."""
    context = browser.new_context(
        base_url=e2e_server.base,
        timezone_id="Europe/Berlin",
        viewport={"width": 1366, "height": 768},
    )
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", "admin")
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        order = cash_order(e2e_server).json()
        live(page, "/staff/orders/")
        row = page.locator(f"#orders-body tr[data-order-id='{order['orderId']}']")
        shown = row.locator("time").inner_text()
        expected = page.evaluate(
            "iso => new Intl.DateTimeFormat('en-GB', {hour: '2-digit',"
            " minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/Berlin',"
            " timeZoneName: 'short'}).format(new Date(iso))",
            order["createdAt"],
        )
        assert shown == expected, (shown, expected)
        assert re.search(r"(CET|CEST|GMT\+\d)", shown), shown
        day = page.locator("#business-day")
        expect(day).to_contain_text("Business day")
        expect(day).to_contain_text("04:00 Asia/Seoul")
        assert day.get_attribute("data-day") == order_day(e2e_server, order)
    finally:
        context.close()


def order_day(server, order):
    return httpx.get(
        f"{server.base}/api/orders/{order['orderId']}/", timeout=10
    ).json()["businessDay"]
