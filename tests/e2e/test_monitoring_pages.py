"""Monitoring pages in real Chromium against a real server (embedded setup).

A local HTTP target in this process is switched between answers; `check-now`
over REST makes the server check it at once, and the pages must follow
without a reload, over the socket or, with WebSockets blocked, by polling.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

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
    toast = page.wait_for_selector(".toast-down")
    assert "Checkout API is DOWN" in toast.text_content()
    assert page.evaluate("window.__noReload") is True
    bar = page.locator(f'.mon-card[data-endpoint-id="{endpoint["id"]}"] .mon-bar i')
    assert bar.count() >= 2
    save_screenshot(page, "monitoring-dashboard")
    target.set("ok")
    api.post(f"/api/endpoints/{endpoint['id']}/check-now/")
    page.wait_for_selector(card(page, endpoint["id"], "UP"))
    page.wait_for_selector(".toast-up")


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
    page.wait_for_selector(".toast-down")


def test_public_status_page_loads_without_login(new_page, api, target, endpoint):
    target.set("error")
    for _ in range(3):  # the third failure opens an incident
        api.post(f"/api/endpoints/{endpoint['id']}/check-now/")
    page = new_page()
    page.goto("/status/")
    assert page.url.endswith("/status/")
    page.wait_for_selector("#status-overall")
    assert "Checkout API" in page.locator("#status-services").text_content()
    assert "Checkout API is down" in page.locator("#status-incidents").text_content()
    assert target.url not in page.content()
    save_screenshot(page, "status")
