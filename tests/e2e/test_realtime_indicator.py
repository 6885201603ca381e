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


RECORD_STATES = """
window.__states = [];
new MutationObserver(function () {
  var node = document.getElementById("conn-indicator");
  var state = node && node.getAttribute("data-state");
  if (state && window.__states[window.__states.length - 1] !== state) window.__states.push(state);
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-state"] });
"""


def test_a_browser_offline_blip_while_the_socket_survives_returns_to_live(
    new_page, e2e_server
):
    """A phone's Wi-Fi handover: `offline` fires, the socket lives on, so does the page."""
    page = new_page(viewport={"width": 390, "height": 844})
    page.add_init_script(RECORD_STATES)
    page.goto("/")
    indicator = page.locator("#conn-indicator")
    expect(indicator).to_have_attribute("data-state", "live")
    connection = page.evaluate("window.tidingsSocket.connectionId")

    page.context.set_offline(True)
    page.wait_for_function("window.__states.includes('offline')", timeout=5_000)
    expect(indicator).to_have_attribute("data-state", "offline")
    page.context.set_offline(False)
    expect(indicator).to_have_attribute("data-state", "live")
    expect(indicator).to_have_text("Live")

    # The same socket, still receiving.
    assert page.evaluate("window.tidingsSocket.connectionId") == connection
    e2e_server.manage("announce", "After the blip")
    expect(page.locator("#feed li", has_text="After the blip")).to_have_count(1)
    states = page.evaluate("window.__states")
    assert states[-1] == "live" and "offline" in states, states


def test_online_after_offline_shows_live_at_once_on_an_open_socket(new_page):
    page = new_page(viewport={"width": 1024, "height": 768})
    page.goto("/")
    indicator = page.locator("#conn-indicator")
    expect(indicator).to_have_attribute("data-state", "live")
    # The events alone, as a browser fires them (no network change at all).
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    expect(indicator).to_have_attribute("data-state", "offline")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(indicator).to_have_attribute("data-state", "live", timeout=1_000)


def test_a_frame_on_the_open_socket_shows_live_without_an_online_event(new_page):
    page = new_page(viewport={"width": 768, "height": 1024})
    page.goto("/")
    indicator = page.locator("#conn-indicator")
    expect(indicator).to_have_attribute("data-state", "live")
    connection = page.evaluate("window.tidingsSocket.connectionId")
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    expect(indicator).to_have_attribute("data-state", "offline")
    # No `online` comes; the next heartbeat (every 2 s here) is proof enough.
    expect(indicator).to_have_attribute("data-state", "live", timeout=6_000)
    assert page.evaluate("window.tidingsSocket.connectionId") == connection
