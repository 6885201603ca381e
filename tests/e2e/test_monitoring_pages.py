"""Monitoring pages in real Chromium against a real server (embedded setup).

A local HTTP target in this process is switched between answers; `check-now`
over REST makes the server check it at once, and the pages must follow
without a reload, over the socket or, with WebSockets blocked, by polling.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import auth_headers, save_screenshot
from tests.monitoring.target import Target

BLOCK_WEBSOCKETS = """
(() => {
  function Refused(url) {
    this.url = url;
    this.readyState = 3;
    var self = this;
    setTimeout(function () {
      if (self.onerror) self.onerror({ type: "error" });
      if (self.onclose) self.onclose({ code: 1006, reason: "blocked" });
    }, 20);
  }
  Refused.CONNECTING = 0; Refused.OPEN = 1; Refused.CLOSING = 2; Refused.CLOSED = 3;
  Refused.prototype.send = function () { throw new Error("closed"); };
  Refused.prototype.close = function () {};
  window.WebSocket = Refused;
})();
"""


# Watches the frames the page sends: counts them by event in `__sent`, and
# tampers with `join_room`: RULE "refuse" asks for an endpoint that does not
# exist (the server refuses the join), "drop:N" drops the first N joins (their
# replies never come), "drop" drops them all.
WATCH_JOINS = """
(() => {
  const RULE = "%s";
  const send = WebSocket.prototype.send;
  window.__sent = {};
  let joins = 0;
  WebSocket.prototype.send = function (text) {
    let frame = null;
    try { frame = JSON.parse(text); } catch (e) {}
    if (frame && frame.event) {
      window.__sent[frame.event] = (window.__sent[frame.event] || 0) + 1;
      if (frame.event === "join_room") {
        joins += 1;
        if (RULE === "refuse") {
          frame.data = { roomType: "endpoint", endpointId: 999999 };
          text = JSON.stringify(frame);
        } else if (RULE === "drop" || (RULE.startsWith("drop:") && joins <= Number(RULE.slice(5)))) {
          return;
        }
      }
    }
    return send.call(this, text);
  };
})();
"""

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    server = Target().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api(e2e_server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=e2e_server.base, headers=auth_headers(e2e_server.base), timeout=15
    ) as client:
        yield client


@pytest.fixture
def endpoint(api: httpx.Client, target: Target) -> Iterator[dict]:
    target.set("ok")
    reply = api.post(
        "/api/endpoints/",
        json={"name": "Checkout API", "url": target.url, "intervalSeconds": 600},
    )
    assert reply.status_code == 201, reply.text
    data = reply.json()
    assert (
        api.post(f"/api/endpoints/{data['id']}/check-now/").json()["check"]["status"]
        == "UP"
    )
    yield data
    api.delete(f"/api/endpoints/{data['id']}/")


def card(page: Any, endpoint_id: int, status: str) -> str:
    return f'.mon-card[data-endpoint-id="{endpoint_id}"][data-status="{status}"]'


def own_toast(kind: str, text: str) -> str:
    """A toast about the test's endpoint.

    The server's demo endpoints are checked too (they watch a port nobody
    serves here), so their DOWN and incident toasts may come at any time.
    """
    return f'.toast-{kind}:has-text("{text}")'


def test_dashboard_card_turns_red_and_toasts_without_reload(
    new_page, api, target, endpoint
):
    page = new_page(user="admin")
    page.goto("/monitoring/")
    page.wait_for_selector('#conn-indicator[data-state="live"]')
    page.wait_for_selector(card(page, endpoint["id"], "UP"))
    page.evaluate("window.__noReload = true")
    target.set("error")
    api.post(f"/api/endpoints/{endpoint['id']}/check-now/")
    page.wait_for_selector(card(page, endpoint["id"], "DOWN"))
    toast = page.wait_for_selector(own_toast("down", "Checkout API is DOWN"))
    assert "Unexpected status 500" in toast.text_content()
    assert page.evaluate("window.__noReload") is True
    bar = page.locator(f'.mon-card[data-endpoint-id="{endpoint["id"]}"] .mon-bar i')
    assert bar.count() >= 2
    save_screenshot(page, "monitoring-dashboard")
    target.set("ok")
    api.post(f"/api/endpoints/{endpoint['id']}/check-now/")
    page.wait_for_selector(card(page, endpoint["id"], "UP"))
    page.wait_for_selector(own_toast("up", "Checkout API is UP"))


def test_detail_chart_draws_points_and_grows_live(new_page, api, target, endpoint):
    for mode in ("slow", "ok", "slow", "ok"):
        target.set(mode)
        api.post(f"/api/endpoints/{endpoint['id']}/check-now/")
    page = new_page(user="admin")
    page.goto(f"/monitoring/endpoints/{endpoint['id']}/")
    # Five checks here, plus the one the server's own checker may have made.
    page.wait_for_function(
        "Number(document.querySelector('#rt-chart').dataset.points) >= 5"
    )
    points = int(page.get_attribute("#rt-chart", "data-points"))
    assert page.locator("#rt-chart canvas").count() == 1
    assert page.locator("#check-rows tr").count() == points
    page.wait_for_selector('#conn-indicator[data-state="live"]')
    target.set("ok")
    api.post(f"/api/endpoints/{endpoint['id']}/check-now/")
    page.wait_for_selector(f'#rt-chart[data-points="{points + 1}"]')
    # The chart has drawn something: the canvas is not blank.
    drawn = page.evaluate(
        """() => {
          const c = document.querySelector('#rt-chart canvas');
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
          return n;
        }"""
    )
    assert drawn > 500
    save_screenshot(page, "monitoring-detail")


def test_dashboard_updates_by_polling_when_websockets_fail(
    new_page, api, target, endpoint
):
    page = new_page(user="admin")
    page.context.add_init_script(BLOCK_WEBSOCKETS)
    page.goto("/monitoring/")
    page.wait_for_selector(card(page, endpoint["id"], "UP"))
    page.wait_for_selector('#conn-indicator[data-state="polling"]', timeout=20_000)
    target.set("error")
    api.post(f"/api/endpoints/{endpoint['id']}/check-now/")
    page.wait_for_selector(card(page, endpoint["id"], "DOWN"), timeout=15_000)
    page.wait_for_selector(own_toast("down", "Checkout API is DOWN"))


def test_public_status_page_loads_without_login(new_page, api, target, endpoint):
    target.set("error")
    for _ in range(3):  # the third failure opens an incident
        api.post(f"/api/endpoints/{endpoint['id']}/check-now/")
    page = new_page()
    page.goto("/status/")
    assert page.url.endswith("/status/")
    page.wait_for_selector("#status-overall")
    assert "Checkout API" in page.locator(".status-services").first.text_content()
    assert "Checkout API is down" in page.locator("#status-incidents").text_content()
    assert target.url not in page.content()
    save_screenshot(page, "status")


def test_status_page_bar_detail_on_tap_and_times_in_the_viewers_zone(
    browser, e2e_server, api, target, endpoint
):
    target.set("error")
    for _ in range(3):  # the third failure opens an incident
        api.post(f"/api/endpoints/{endpoint['id']}/check-now/")
    context = browser.new_context(
        base_url=e2e_server.base,
        timezone_id="America/New_York",
        viewport=PHONE,
        has_touch=True,
    )
    try:
        page = context.new_page()
        page.goto("/status/")
        row = page.locator(f'.status-service[data-endpoint-id="{endpoint["id"]}"]')
        segments = row.locator(".status-bar i")
        expect(segments).to_have_count(90)
        expect(segments.last).to_have_attribute("data-level", "down")
        segments.last.tap()
        detail = row.locator(".status-day-detail")
        expect(detail).to_be_visible()
        expect(detail).to_contain_text("(UTC day)")
        expect(detail).to_contain_text("incident")
        expect(page.locator("#viewer-zone")).to_have_text("America/New_York")
        since = page.locator("#status-incidents time").first
        expect(since).to_have_text(re.compile(r"\b(EST|EDT)$"))
        history = page.locator("#status-history")
        expect(history).to_contain_text("Checkout API")
        expect(history).to_contain_text("ongoing")
    finally:
        context.close()


def sent(page: Any, event: str) -> int:
    return page.evaluate(f"(window.__sent || {{}})[{event!r}] || 0")


@pytest.mark.parametrize("where", ["dashboard", "detail"])
def test_a_refused_subscription_toasts(new_page, endpoint, where):
    page = new_page(user="admin")
    page.context.add_init_script(WATCH_JOINS % "refuse")
    page.goto(
        "/monitoring/"
        if where == "dashboard"
        else f"/monitoring/endpoints/{endpoint['id']}/"
    )
    toast = page.locator(".toast-error")
    expect(toast).to_have_count(1)
    expect(toast).to_contain_text("Subscription failed: Endpoint 999999 not found")
    # Refused is final: asked once, not retried.
    assert sent(page, "join_room") == 1
    # Dismissable before it closes by itself.
    toast.locator(".toast-close").click()
    expect(toast).to_have_count(0)


def fast_forward_until(page: Any, condition: str, step_ms: int, limit: int) -> None:
    """Jump the page's clock `step_ms` at a time until `condition` holds.

    Between jumps the page gets a server heartbeat in real time, so the
    socket's silence watchdog (heartbeat window + 5 s) never trips.
    """
    for _ in range(limit):
        if page.evaluate(condition):
            return
        acks = sent(page, "heartbeat_ack")
        page.clock.fast_forward(step_ms)
        page.wait_for_function(
            f"(window.__sent.heartbeat_ack || 0) > {acks} || ({condition})",
            timeout=10_000,
        )
    assert page.evaluate(condition), condition


def test_a_timed_out_subscription_is_retried_then_toasts(new_page, endpoint):
    page = new_page(user="admin")
    page.context.add_init_script(WATCH_JOINS % "drop")
    page.clock.install()
    page.goto("/monitoring/")
    page.wait_for_selector(card(page, endpoint["id"], "UP"))
    page.wait_for_function("(window.__sent.join_room || 0) >= 1")
    # 5 s without a reply, then again after 1 s, 2 s and 4 s: four tries.
    fast_forward_until(
        page, "document.querySelectorAll('.toast-error').length > 0", 2500, 20
    )
    assert sent(page, "join_room") == 4
    expect(page.locator(".toast-error")).to_contain_text(
        "Subscription failed: No reply within 5 s (4 attempts)"
    )


def test_a_subscription_that_answers_on_a_retry_shows_no_toast(
    new_page, api, target, endpoint
):
    page = new_page(user="admin")
    page.context.add_init_script(WATCH_JOINS % "drop:2")
    page.clock.install()
    page.goto("/monitoring/")
    page.wait_for_selector(card(page, endpoint["id"], "UP"))
    page.wait_for_function("(window.__sent.join_room || 0) >= 1")
    fast_forward_until(page, "(window.__sent.join_room || 0) >= 3", 2500, 12)
    target.set("error")
    api.post(f"/api/endpoints/{endpoint['id']}/check-now/")
    page.wait_for_selector(card(page, endpoint["id"], "DOWN"))
    expect(page.locator(own_toast("down", "Checkout API"))).to_have_count(1)
    assert page.locator(".toast-error").count() == 0
    assert sent(page, "join_room") == 3


@pytest.mark.parametrize(
    "viewport", [None, TABLET, PHONE], ids=["desktop", "tablet", "phone"]
)
def test_toasts_sit_top_right_and_close_after_about_3_s(
    new_page, api, target, endpoint, viewport
):
    page = new_page(user="admin", viewport=viewport)
    page.goto(f"/monitoring/endpoints/{endpoint['id']}/")
    page.wait_for_selector('#conn-indicator[data-state="live"]')
    page.wait_for_function(
        "Number(document.querySelector('#rt-chart').dataset.points) >= 1"
    )
    width = page.viewport_size["width"]
    height = page.viewport_size["height"]

    target.set("error")
    page.click("#check-now")
    info = page.locator(".toast-info", has_text="Checked: DOWN")
    down = page.locator(".toast-down", has_text="Checkout API is DOWN")
    expect(info).to_have_count(1)
    shown = time.monotonic()
    expect(down).to_have_count(1)

    box = info.bounding_box()
    bar = page.locator(".topbar").bounding_box()
    assert box is not None and bar is not None
    assert width - (box["x"] + box["width"]) <= 24, box  # at the right edge
    assert bar["y"] + bar["height"] <= box["y"] < height / 3, (bar, box)  # at the top
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if viewport == PHONE:
        save_screenshot(page, "monitoring-toasts-phone")

    # Ordinary toasts close after about 3 s; a DOWN outlives them (10 s).
    expect(info).to_have_count(0, timeout=6_000)
    lasted = time.monotonic() - shown
    assert 2.0 <= lasted <= 5.0, lasted
    assert down.count() == 1
    if viewport is None:
        expect(down).to_have_count(0, timeout=12_000)
        assert time.monotonic() - shown >= 8.0
    target.set("ok")


def test_indicator_shows_the_wait_before_the_next_reconnect(new_page, e2e_server):
    page = new_page(user="admin", viewport=PHONE)
    page.goto("/monitoring/")
    indicator = page.locator("#conn-indicator")
    expect(indicator).to_have_attribute("data-state", "live")
    expect(indicator).not_to_have_attribute("data-retry-in", re.compile(".*"))
    e2e_server.stop()
    try:
        expect(indicator).to_have_attribute("data-retry-in", re.compile(r"^\d+$"))
        # The waits grow (about 1 s, 2 s, 4 s, 5 s): one of 2 s or more shows.
        page.wait_for_function(
            "Number(document.querySelector('#conn-indicator')"
            ".getAttribute('data-retry-in')) >= 2",
            timeout=15_000,
        )
        text = re.sub(r"\s+", " ", indicator.inner_text()).strip()
        shown = re.fullmatch(
            r"(?:Reconnecting in (\d+) s…|Offline · retrying in (\d+) s)", text
        )
        assert shown, text
        assert 1 <= int(shown.group(1) or shown.group(2)) <= 6, text
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        save_screenshot(page, "monitoring-reconnecting")
    finally:
        e2e_server.start()
    expect(indicator).to_have_attribute("data-state", "live", timeout=15_000)
    expect(indicator).not_to_have_attribute("data-retry-in", re.compile(".*"))
    assert indicator.inner_text().strip() == "Live"


def test_webhook_channel_from_the_staff_page_gets_the_incident(new_page, api, target):
    from tests.monitoring.receiver import Receiver

    receiver = Receiver().start()
    page = new_page(user="admin")
    channel_id = None
    endpoint_id = None
    try:
        page.goto("/monitoring/notifications/")
        page.fill("#channel-name", "Ops webhook")
        page.select_option("#channel-kind", "webhook")
        page.fill("#channel-url", receiver.url)
        page.check("#channel-default")
        page.click("#channel-add")
        row = page.locator("#channel-list li", has_text="Ops webhook")
        expect(row).to_be_visible()
        channel_id = int(row.get_attribute("data-channel-id"))
        target.set("error")
        reply = api.post(
            "/api/endpoints/",
            json={"name": "Billing API", "url": target.url, "intervalSeconds": 600},
        )
        assert reply.status_code == 201, reply.text
        endpoint_id = reply.json()["id"]
        assert reply.json()["notificationChannelIds"] == [channel_id]
        for _ in range(3):  # the third failure in a row opens the incident
            api.post(f"/api/endpoints/{endpoint_id}/check-now/")
        delivery = page.locator(
            '#delivery-rows tr[data-event="incident.opened"]', has_text="Billing API"
        )
        expect(delivery).to_have_attribute("data-status", "sent", timeout=15_000)
        expect(delivery).to_contain_text("Ops webhook")
        assert receiver.bodies[0]["endpointName"] == "Billing API"
        assert receiver.bodies[0]["event"] == "incident.opened"
        # Times show in the viewer's zone, named.
        assert page.locator("#viewer-zone").text_content() != "your time zone"
        save_screenshot(page, "monitoring-notifications")
    finally:
        if endpoint_id is not None:
            api.delete(f"/api/endpoints/{endpoint_id}/")
        if channel_id is not None:
            api.delete(f"/api/notification-channels/{channel_id}/")
        receiver.stop()


def test_deleting_an_endpoint_asks_first_and_says_it_is_done(new_page, api, target):
    reply = api.post(
        "/api/endpoints/",
        json={"name": "Legacy API", "url": target.url, "intervalSeconds": 600},
    )
    assert reply.status_code == 201, reply.text
    endpoint_id = reply.json()["id"]
    page = new_page(user="admin")
    page.goto(f"/monitoring/endpoints/{endpoint_id}/edit/")
    page.click("#delete-endpoint")
    expect(page.locator("h1")).to_have_text("Delete Legacy API?")
    page.click("#cancel-delete")
    expect(page.locator("#endpoint-name")).to_have_text("Legacy API")
    assert api.get(f"/api/endpoints/{endpoint_id}/").status_code == 200
    page.goto(f"/monitoring/endpoints/{endpoint_id}/delete/")
    page.click("#confirm-delete")
    expect(page).to_have_url(re.compile(r"/monitoring/$"))
    expect(page.locator("#messages")).to_contain_text(
        "Endpoint \u201cLegacy API\u201d deleted"
    )
    assert api.get(f"/api/endpoints/{endpoint_id}/").status_code == 404
    expect(page.locator(f'.mon-card[data-endpoint-id="{endpoint_id}"]')).to_have_count(
        0
    )
