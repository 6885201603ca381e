"""Kiosk, customer and staff cells/settings pages in real Chromium, on their devices.

A phone keeps its order (the order's own page), only a kiosk goes back to the
menu; prices change under an open cart; cell PINs; errors where people look;
the item sheet is a real dialog; contrast of the pages' own styles.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests import tools
from tests.e2e.conftest import auth_headers, save_screenshot

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}
LAPTOP = {"width": 1280, "height": 800}
ORDER_PAGE = re.compile(r"/orders/[^/]+/$")

# WCAG 2.1 AA contrast of the text inside <main>: 4.5:1, 3:1 for large text.
# Text of disabled controls (and of anything dimmed as inactive) is exempt.
CONTRAST_FAILURES = """
(root) => {
  function rgba(text) {
    const m = text.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function over(top, bottom) {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  }
  function background(node) {
    const layers = [];
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] === 1) break;
    }
    let color = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) color = over(layers[i], color);
    return color;
  }
  function lum(c) {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function inactive(node) {
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      if (n.disabled || n.getAttribute("aria-disabled") === "true") return true;
      if (n.matches("label") && n.querySelector("input:disabled")) return true;
      if (Number(getComputedStyle(n).opacity) < 1) return true;
    }
    return false;
  }
  const failures = [];
  for (const node of root.querySelectorAll("*")) {
    const own = Array.from(node.childNodes).some(
      (c) => c.nodeType === 3 && c.textContent.trim()
    );
    if (!own) continue;
    const box = node.getBoundingClientRect();
    const style = getComputedStyle(node);
    if (!box.width || !box.height || style.visibility === "hidden") continue;
    if (inactive(node)) continue;
    const bg = background(node);
    const fg = over(rgba(style.color), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      failures.push(
        `${node.tagName.toLowerCase()}#${node.id}.${node.className} "${node.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`
      );
    }
  }
  return failures;
}
"""

# axe-core (from npm, as tests/e2e/test_accessibility.py installs it): its
# serious and critical findings inside <main>, in the states these tests open.
AXE_VERSION = "4.10.2"


def live(page, path):
    page.goto(path)
    expect(page.locator("#conn-indicator")).to_have_attribute("data-state", "live")
    return page


def menu_item(server, name):
    menu = httpx.get(f"{server.base}/api/menus/", timeout=10).json()
    return next(
        item
        for category in menu["categories"]
        for item in category["items"]
        if item["name"] == name
    )


def quietly(server, code):
    """Change the database behind the pages' back (no event): a page that missed one."""
    server.manage("shell", "-c", code)


def set_price(server, name, price):
    response = httpx.patch(
        f"{server.base}/api/menus/{menu_item(server, name)['id']}/",
        json={"price": price},
        headers=auth_headers(server.base),
        timeout=10,
    )
    assert response.status_code == 200, response.text


def cell_id(server, name):
    cells = httpx.get(
        f"{server.base}/api/cells/", headers=auth_headers(server.base), timeout=10
    ).json()
    return next(c["id"] for c in cells if c["name"] == name)


def set_pin(server, name, pin):
    response = httpx.patch(
        f"{server.base}/api/cells/{cell_id(server, name)}/",
        json={"pin": pin},
        headers=auth_headers(server.base),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert pin is None or pin not in response.text


def add(page, name):
    page.locator(".menu-item", has_text=name).first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.locator("#sheet-add").click()
    expect(page.get_by_role("dialog")).to_be_hidden()


def mode(page):
    expect(page.locator("body")).to_have_attribute("data-mode", re.compile("."))
    return page.locator("body").get_attribute("data-mode")


def contrast_failures(page):
    return page.locator("main").evaluate(CONTRAST_FAILURES)


def axe_findings(page):
    try:
        folder = tools.npm_package("axe-core", AXE_VERSION)
    except pytest.skip.Exception:
        return []  # no npm here (CI fails instead): the contrast check above stands
    script = Path(folder) / "node_modules" / "axe-core" / "axe.min.js"
    page.add_script_tag(path=str(script))
    result = page.evaluate(
        "async () => (await axe.run(document.querySelector('main'),"
        " {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
    )
    return result


# -- 2: a phone keeps its order; only a kiosk goes back to the menu -------------------


def test_a_phone_goes_to_its_order_page_and_a_kiosk_resets_after_90_s(new_page):
    phone = live(new_page(viewport=PHONE), "/kiosk/")
    phone.clock.install()
    kiosk = new_page(viewport=TABLET)
    kiosk.clock.install()
    live(kiosk, "/kiosk/")
    assert mode(phone) == "phone"
    assert mode(kiosk) == "kiosk"

    add(phone, "Honey Bread")
    phone.locator("#place-order").click()
    phone.wait_for_url(ORDER_PAGE)
    expect(phone.locator("#order-number")).to_have_text(re.compile(r"^#\d+$"))
    expect(phone.locator("#order-total")).to_have_text("₩4,500")
    expect(phone.locator("#order-paid")).to_have_text("Paying by card")
    url = phone.url
    phone.clock.run_for(120_000)
    expect(phone.locator("#order-number")).to_be_visible()
    assert phone.url == url
    save_screenshot(phone, "customer-phone-order")

    add(kiosk, "Americano")
    kiosk.locator("#place-order").click()
    expect(kiosk.locator("#confirm-screen")).to_be_visible()
    expect(kiosk.locator("#order-number")).to_have_text(re.compile(r"^\d+$"))
    expect(kiosk.locator("#confirm-total")).to_have_text("₩2,500")
    expect(kiosk.locator("#confirm-pay")).to_have_text("by card")
    expect(kiosk.locator("#confirm-items")).to_contain_text("1 \u00d7 Americano")
    assert kiosk.url.endswith("/kiosk/")
    kiosk.clock.run_for(60_000)
    expect(kiosk.locator("#confirm-screen")).to_be_visible()
    kiosk.clock.run_for(31_000)
    expect(kiosk.locator("#order-screen")).to_be_visible()
    expect(kiosk.locator("#confirm-screen")).to_be_hidden()


def test_the_address_or_a_paired_kiosk_device_decides_over_the_screen(
    new_page, e2e_server
):
    forced = new_page(viewport=PHONE)
    forced.goto("/kiosk/?mode=kiosk")
    assert mode(forced) == "kiosk"
    counter = new_page(viewport=TABLET)
    counter.goto("/kiosk/?mode=phone")
    assert mode(counter) == "phone"

    issued = httpx.post(
        f"{e2e_server.base}/api/devices/",
        json={"name": "Small kiosk", "role": "kiosk"},
        headers=auth_headers(e2e_server.base),
        timeout=10,
    )
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    paired = new_page(viewport=PHONE)
    paired.add_init_script(
        f"window.localStorage.setItem('tidings.screenToken', {json.dumps(token)})"
    )
    paired.goto("/kiosk/")
    assert mode(paired) == "kiosk"
    # Another role's token is no kiosk: the screen decides.
    other = httpx.post(
        f"{e2e_server.base}/api/devices/",
        json={"name": "Board", "role": "pickup_board"},
        headers=auth_headers(e2e_server.base),
        timeout=10,
    ).json()["token"]
    board = new_page(viewport=PHONE)
    board.add_init_script(
        f"window.localStorage.setItem('tidings.screenToken', {json.dumps(other)})"
    )
    board.goto("/kiosk/")
    assert mode(board) == "phone"


# -- 4: prices never surprise ----------------------------------------------------------


def test_a_price_change_reaches_the_open_cart_and_a_missed_one_is_refused_first(
    new_page, e2e_server
):
    kiosk = live(new_page(viewport=TABLET), "/kiosk/")
    phone = live(new_page(viewport=PHONE), "/kiosk/")
    price = menu_item(e2e_server, "Blueberry Muffin")["price"]
    try:
        for page in (kiosk, phone):
            add(page, "Blueberry Muffin")
            expect(page.locator("#cart-total")).to_have_text(f"₩{price:,}")

        set_price(e2e_server, "Blueberry Muffin", price + 700)
        for page in (kiosk, phone):
            expect(page.locator("#cart-total")).to_have_text(f"₩{price + 700:,}")
            notice = page.locator("#cart-notice")
            expect(notice).to_be_visible()
            expect(notice).to_contain_text(f"now ₩{price + 700:,}")
            expect(notice).to_contain_text(f"was ₩{price:,}")
            expect(
                page.locator(".menu-item", has_text="Blueberry Muffin").locator(
                    ".price"
                )
            ).to_have_text(f"₩{price + 700:,}")
        expect(kiosk.locator("#place-order")).to_have_text(
            f"Place order · ₩{price + 700:,}"
        )

        # A change the kiosk never heard of: the order is refused and the new
        # total shown before the customer is asked again.
        quietly(
            e2e_server,
            "from menus.models import MenuItem; "
            f"MenuItem.objects.filter(name='Blueberry Muffin').update(price={price + 900})",
        )
        kiosk.locator("#place-order").click()
        error = kiosk.locator("#order-error")
        expect(error).to_be_visible()
        expect(error).to_have_attribute("role", "alert")
        expect(error).to_contain_text(f"now ₩{price + 900:,}")
        expect(error).to_contain_text(f"was ₩{price + 700:,}")
        expect(kiosk.locator("#cart-total")).to_have_text(f"₩{price + 900:,}")
        expect(kiosk.locator("#confirm-screen")).to_be_hidden()
        kiosk.locator("#place-order").click()
        expect(kiosk.locator("#confirm-screen")).to_be_visible()
        expect(kiosk.locator("#confirm-total")).to_have_text(f"₩{price + 900:,}")
        save_screenshot(kiosk, "kiosk-confirmation-charged")
    finally:
        set_price(e2e_server, "Blueberry Muffin", price)


# -- 5: cell PINs ------------------------------------------------------------------------


def test_a_cell_with_a_pin_shows_its_balance_and_pays_only_after_the_pin(
    new_page, e2e_server
):
    set_pin(e2e_server, "Hope Cell", "2468")
    try:
        kiosk = live(new_page(viewport=TABLET), "/kiosk/")
        add(kiosk, "Espresso")
        kiosk.locator("[data-pay=CELL]").click()
        # A cell without a PIN shows its balance at once.
        kiosk.locator("#cell-select").select_option(label="Joy Cell")
        expect(kiosk.locator("#cell-balance")).to_contain_text("Joy Cell has ₩")
        expect(kiosk.locator("#cell-pin-form")).to_be_hidden()

        kiosk.locator("#cell-select").select_option(label="Hope Cell")
        expect(kiosk.locator("#cell-pin-form")).to_be_visible()
        expect(kiosk.locator("#cell-balance")).to_have_text(
            "Enter the PIN of this cell."
        )
        expect(kiosk.locator("#cell-picker")).not_to_contain_text("₩")
        kiosk.locator("#place-order").click()
        expect(kiosk.locator("#order-error")).to_contain_text(
            "Enter the PIN of Hope Cell"
        )

        kiosk.locator("#cell-pin").fill("1111")
        kiosk.get_by_role("button", name="Check PIN").click()
        expect(kiosk.locator("#cell-balance")).to_have_text("Wrong PIN. Try again.")
        expect(kiosk.locator("#cell-picker")).not_to_contain_text("₩")

        kiosk.locator("#cell-pin").fill("2468")
        kiosk.get_by_role("button", name="Check PIN").click()
        expect(kiosk.locator("#cell-balance")).to_contain_text("Hope Cell has ₩")
        kiosk.locator("#place-order").click()
        expect(kiosk.locator("#confirm-screen")).to_be_visible()
        expect(kiosk.locator("#confirm-pay")).to_have_text("from Hope Cell's points")
        # The next customer sees neither the balance nor the PIN.
        kiosk.locator("#new-order").click()
        expect(kiosk.locator("#cell-pin")).to_have_value("")
        expect(kiosk.locator("#cell-picker")).to_be_hidden()
        assert "2468" not in kiosk.content()
    finally:
        set_pin(e2e_server, "Hope Cell", None)


def test_a_kiosk_left_alone_forgets_the_pin_and_hides_the_balance(new_page, e2e_server):
    set_pin(e2e_server, "Hope Cell", "1357")
    try:
        kiosk = new_page(viewport=TABLET)
        kiosk.clock.install()
        live(kiosk, "/kiosk/")
        assert mode(kiosk) == "kiosk"
        add(kiosk, "Espresso")
        kiosk.locator("[data-pay=CELL]").click()
        kiosk.locator("#cell-select").select_option(label="Hope Cell")
        kiosk.locator("#cell-pin").fill("1357")
        kiosk.get_by_role("button", name="Check PIN").click()
        expect(kiosk.locator("#cell-balance")).to_contain_text("Hope Cell has ₩")
        kiosk.clock.run_for(30_000)
        expect(kiosk.locator("#cell-balance")).to_contain_text("Hope Cell has ₩")
        kiosk.clock.run_for(31_000)
        expect(kiosk.locator("#cell-balance")).to_have_text(
            "Enter the PIN of this cell."
        )
        expect(kiosk.locator("#cell-picker")).not_to_contain_text("₩")
        kiosk.locator("#place-order").click()
        expect(kiosk.locator("#order-error")).to_contain_text(
            "Enter the PIN of Hope Cell"
        )
        expect(kiosk.locator("#confirm-screen")).to_be_hidden()
    finally:
        set_pin(e2e_server, "Hope Cell", None)


def test_staff_set_and_remove_a_pin_and_charges_say_what_is_wrong(new_page):
    cells = live(new_page(user="admin", viewport=LAPTOP), "/staff/cells/")
    row = cells.locator("#cells-body tr", has_text="Joy Cell")
    expect(row.locator(".pin")).to_have_text("None")
    amount = row.locator("input")
    charge = row.get_by_role("button", name="Charge")
    error = row.locator(".field-error")
    for typed, message in [
        ("", "Enter the points to add."),
        ("-500", "at least 1"),
        ("0", "at least 1"),
        ("99999999999", "At most 10,000,000"),
    ]:
        amount.fill(typed)
        charge.click()
        expect(error).to_be_visible()
        expect(error).to_contain_text(message)
        expect(error).not_to_contain_text("Invalid input")
        expect(amount).to_have_attribute("aria-invalid", "true")

    cells.locator("#pin-cell").select_option(label="Joy Cell")
    cells.locator("#pin-value").fill("12a")
    cells.locator("#pin-set").click()
    expect(cells.locator("#pin-error")).to_have_text("A PIN is 4 to 8 digits (0-9).")
    cells.locator("#pin-value").fill("4321")
    cells.locator("#pin-set").click()
    expect(row.locator(".pin")).to_have_text("Set")
    expect(cells.locator("#staff-status")).to_have_text("PIN set for Joy Cell")
    expect(cells.locator("#pin-value")).to_have_value("")
    save_screenshot(cells, "staff-cells-pin")
    cells.locator("#pin-remove").click()
    expect(row.locator(".pin")).to_have_text("None")


# -- 8: errors where people look, settings that never quietly revert -------------------


def test_a_sold_out_error_shows_by_place_order_on_a_phone(new_page, e2e_server):
    phone = live(new_page(viewport=PHONE), "/kiosk/?mode=phone")
    add(phone, "Honey Bread")
    quietly(
        e2e_server,
        "from menus.models import MenuItem; "
        "MenuItem.objects.filter(name='Honey Bread').update(is_sold_out=True)",
    )
    try:
        phone.locator("#place-order").scroll_into_view_if_needed()
        phone.locator("#place-order").click()
        error = phone.get_by_role("alert").filter(has_text="Sold out: Honey Bread")
        expect(error).to_be_visible()
        expect(error).to_be_in_viewport()
        expect(phone.locator(".cart-line", has_text="Honey Bread")).to_contain_text(
            "Sold out"
        )
        assert "/kiosk/" in phone.url
    finally:
        quietly(
            e2e_server,
            "from menus.models import MenuItem; "
            "MenuItem.objects.filter(name='Honey Bread').update(is_sold_out=False)",
        )


def test_an_item_taken_off_the_menu_is_named_by_place_order(new_page, e2e_server):
    phone = live(new_page(viewport=PHONE), "/kiosk/")
    add(phone, "Lemonade")
    quietly(
        e2e_server,
        "from menus.models import MenuItem; "
        "MenuItem.objects.filter(name='Lemonade').update(is_active=False)",
    )
    try:
        phone.locator("#place-order").click()
        error = phone.locator("#order-error")
        expect(error).to_have_text(re.compile(r"^No longer on the menu: Lemonade\."))
        expect(error).to_be_in_viewport()
        expect(phone.locator(".menu-item", has_text="Lemonade")).to_have_count(0)
    finally:
        quietly(
            e2e_server,
            "from menus.models import MenuItem; "
            "MenuItem.objects.filter(name='Lemonade').update(is_active=True)",
        )


def test_settings_show_the_value_in_force_and_the_reason_never_a_false_saved(new_page):
    page = live(new_page(user="admin", viewport=LAPTOP), "/staff/settings/")
    warn = page.locator("#warn-minutes")
    late = page.locator("#late-minutes")
    expect(warn).to_have_value(re.compile(r"^\d+$"))
    in_force = warn.input_value()

    warn.fill("300")
    page.get_by_role("button", name="Save timers").click()
    expect(page.locator("#warn-minutes-error")).to_have_text(
        "Minutes go from 1 to 240."
    )
    expect(page.locator("#warn-minutes-saved")).to_have_text(f"In force: {in_force}")
    expect(warn).to_have_value("300")
    expect(page.locator("#staff-status")).not_to_contain_text("Saved")

    warn.fill("9")
    late.fill("7")
    page.get_by_role("button", name="Save timers").click()
    expect(page.locator("#late-minutes-error")).to_contain_text(
        "Red must come after amber"
    )
    expect(page.locator("#staff-status")).not_to_contain_text("Saved")

    late.fill("12")
    page.get_by_role("button", name="Save timers").click()
    expect(page.locator("#staff-status")).to_have_text(
        "Saved: amber after 9 min, red after 12 min"
    )
    expect(page.locator("#warn-minutes-error")).to_be_hidden()
    expect(page.locator("#late-minutes-error")).to_be_hidden()
    settings = httpx.get(
        f"{page.url.split('/staff')[0]}/api/settings/", timeout=10
    ).json()
    assert (settings["ticket_warn_minutes"], settings["ticket_late_minutes"]) == (9, 12)

    # The server trims the message: the field shows what it stored.
    page.locator("#kiosk-message").fill("   Back at two   ")
    page.get_by_role("button", name="Save message").click()
    expect(page.locator("#staff-status")).to_have_text("Saved: “Back at two”")
    expect(page.locator("#kiosk-message")).to_have_value("Back at two")

    # A value the server refuses (sent around the page's own check) keeps its reason.
    page.evaluate(
        "document.getElementById('kiosk-message').removeAttribute('maxlength')"
    )
    page.locator("#kiosk-message").fill("x" * 301)
    page.get_by_role("button", name="Save message").click()
    expect(page.locator("#kiosk-message-error")).to_have_text("At most 300 characters.")
    expect(page.locator("#kiosk-message-saved")).to_have_text("In force: Back at two")
    late.fill("8")
    warn.fill("5")
    page.get_by_role("button", name="Save timers").click()
    expect(page.locator("#staff-status")).to_contain_text("Saved: amber after 5 min")


# -- 10: the sheet is a dialog, the cart names its items, Add says so ----------------


def test_the_item_sheet_is_a_dialog_and_the_cart_names_its_buttons(new_page):
    kiosk = live(new_page(viewport=TABLET), "/kiosk/")
    opener = kiosk.locator(".menu-item", has_text="Cafe Latte").first
    opener.focus()
    kiosk.keyboard.press("Enter")
    dialog = kiosk.get_by_role("dialog", name="Cafe Latte")
    expect(dialog).to_be_visible()
    expect(kiosk.locator("#sheet-add")).to_be_focused()
    for _ in range(25):
        kiosk.keyboard.press("Tab")
        assert kiosk.evaluate(
            "document.getElementById('item-sheet').contains(document.activeElement)"
        )
    for _ in range(5):
        kiosk.keyboard.press("Shift+Tab")
        assert kiosk.evaluate(
            "document.getElementById('item-sheet').contains(document.activeElement)"
        )
    kiosk.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    kiosk.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    kiosk.locator("#sheet-form label", has_text="Large").click()
    kiosk.locator("#sheet-add").click()
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    more = kiosk.get_by_role("button", name=re.compile(r"^One more Cafe Latte \(Large"))
    less = kiosk.get_by_role("button", name=re.compile(r"^One less Cafe Latte \(Large"))
    expect(more).to_have_count(1)
    expect(less).to_have_count(1)
    more.click()
    expect(kiosk.locator(".cart-line strong")).to_have_text("2")
    expect(more).to_be_focused()
    less.click()
    less.click()
    expect(kiosk.locator(".cart-line")).to_have_count(0)


def test_add_says_so_on_a_phone(new_page):
    phone = live(new_page(viewport=PHONE), "/kiosk/")
    expect(phone.locator("#cart-bar")).to_be_hidden()
    add(phone, "Citron Tea")
    bar = phone.locator("#cart-bar")
    expect(bar).to_be_visible()
    expect(bar).to_be_in_viewport()
    text = phone.locator("#cart-bar-text")
    expect(text).to_have_text(re.compile(r"^Added 1 \u00d7 Citron Tea\. 1 item · ₩"))
    expect(text).to_have_attribute("aria-live", "polite")
    phone.get_by_role("button", name="View order").click()
    expect(phone.locator("#cart")).to_be_in_viewport()
    expect(phone.locator("#cart")).to_be_focused()


# -- 10: contrast of these pages' own styles ------------------------------------------


@pytest.mark.parametrize(
    "user, path, viewport",
    [
        (None, "/kiosk/", TABLET),
        (None, "/kiosk/", PHONE),
        ("admin", "/staff/cells/", LAPTOP),
        ("admin", "/staff/settings/", LAPTOP),
    ],
)
def test_text_contrast_meets_wcag_aa(new_page, user, path, viewport):
    page = live(new_page(user=user, viewport=viewport), path)
    if path == "/kiosk/":
        expect(page.locator(".menu-item").first).to_be_visible()
        add(page, "Americano")
        page.locator("[data-pay=CELL]").click()
        expect(page.locator("#cell-balance")).not_to_be_empty()
        page.locator("#place-order").focus()
    else:
        expect(page.locator("table.data tbody tr, #kiosk-state").first).to_be_visible()
    assert contrast_failures(page) == []
    assert axe_findings(page) == []


def test_the_order_page_contrast_and_its_charged_total(new_page, e2e_server):
    kiosk = live(new_page(viewport=TABLET), "/kiosk/")
    add(kiosk, "Espresso")
    kiosk.locator("#place-order").click()
    expect(kiosk.locator("#confirm-link")).to_have_attribute("href", ORDER_PAGE)
    link = kiosk.locator("#confirm-link").get_attribute("href")
    customer = live(new_page(viewport=PHONE), link)
    expect(customer.locator("#order-total")).to_have_text("₩2,000")
    expect(customer.locator("#steps li.current")).to_be_visible()
    assert contrast_failures(customer) == []
    assert axe_findings(customer) == []
