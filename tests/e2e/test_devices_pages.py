"""Pairing a device in real Chromium: staff on a tablet, the device on a phone."""

from __future__ import annotations

from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}
XSS = "<img src=x onerror=alert(1)>"
ACCEPT_CONFIRM = """
window.__asked = [];
window.confirm = function (message) { window.__asked.push(message); return true; };
"""


def test_staff_pair_a_device_by_code_and_link_then_revoke_it(new_page):
    staff = new_page("admin", viewport=TABLET)
    staff.goto("/staff/devices/")
    staff.fill("#device-name", "Tablet " + XSS)
    staff.select_option("#device-role", "kitchen_display")
    expect(staff.locator("#role-grants")).to_contain_text("kitchen room")
    staff.click("#device-form button[type=submit]")
    expect(staff.locator("#issued")).to_be_visible()
    expect(staff.locator("#issued-name")).to_have_text(
        "Tablet " + XSS + " (Kitchen display)"
    )
    code = staff.locator("#issued-code").inner_text()
    link = staff.locator("#issued-link").input_value()
    assert len(code) == 9 and "/pair/#token=tdev_" in link
    expect(staff.locator("#devices-body tr")).to_have_count(1)

    phone = new_page(viewport=PHONE)
    phone.goto("/pair/")
    phone.fill("#pair-code", code.lower())
    phone.click("#pair-form button[type=submit]")
    expect(phone.locator("#paired-name")).to_have_text("Tablet " + XSS)
    token = phone.locator("#paired-token").input_value()
    assert token == link.split("#token=", 1)[1]
    assert phone.evaluate("localStorage.getItem('tidings.screenToken')") == token

    # The same code again: refused, said in text.
    again = new_page(viewport=PHONE)
    again.goto("/pair/")
    again.fill("#pair-code", code)
    again.click("#pair-form button[type=submit]")
    expect(again.locator("#pair-error")).to_have_text("Wrong or expired pairing code")

    # The link pairs by itself and leaves no token in the address bar.
    by_link = new_page(viewport=TABLET)
    by_link.goto(link)
    expect(by_link.locator("#paired-role")).to_have_text("Kitchen display")
    assert "#" not in by_link.url

    staff.add_init_script(ACCEPT_CONFIRM)
    staff.reload()
    staff.locator("#devices-body button", has_text="Revoke").click()
    expect(staff.locator("#devices-body tr")).to_contain_text("revoked")
    assert "disconnect" in staff.evaluate("window.__asked[0]")
    revoked = new_page(viewport=PHONE)
    revoked.goto(link)
    expect(revoked.locator("#pair-error")).to_contain_text("Invalid screen token")
