"""The connection indicator and replay after a server restart, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import save_screenshot


def test_indicator_follows_the_server_and_missed_events_appear(new_page, e2e_server):
    page = new_page()
    page.goto("/")
    indicator = page.locator("#conn-indicator")
    expect(indicator).to_have_attribute("data-state", "live")
    e2e_server.manage("announce", "Before the restart")
    expect(page.locator("#feed li")).to_have_count(1, timeout=10_000)

    e2e_server.stop()
    expect(indicator).to_have_attribute(
        "data-state", re.compile("reconnecting|offline")
    )
    e2e_server.manage("announce", "While the server was down")
    e2e_server.manage("announce", "<img src=x onerror=alert(1)>")
    e2e_server.start()

    expect(indicator).to_have_attribute("data-state", "live", timeout=15_000)
    expect(page.locator("#feed li")).to_have_count(3, timeout=10_000)
    expect(page.locator("#feed li").first).to_contain_text(
        "<img src=x onerror=alert(1)>"
    )
    assert page.locator("#feed img").count() == 0
    save_screenshot(page, "home")


def test_indicator_on_a_phone_sized_screen(new_page):
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto("/")
    expect(page.locator("#conn-indicator")).to_have_attribute("data-state", "live")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
