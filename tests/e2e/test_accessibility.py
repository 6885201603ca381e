"""axe-core in real Chromium on every page: no serious or critical WCAG 2.1 A/AA violation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests import tools
from tests.e2e.conftest import auth_headers, computed

AXE_VERSION = "4.10.2"
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}
LAPTOP = {"width": 1366, "height": 768}
TV = {"width": 1920, "height": 1080}
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def axe_script() -> str:
    folder = tools.npm_package("axe-core", AXE_VERSION)
    return str(Path(folder) / "node_modules" / "axe-core" / "axe.min.js")


@pytest.fixture(scope="module")
def shop(e2e_server: Any) -> Iterator[dict[str, Any]]:
    """An order for the customer page and an endpoint for the monitoring detail page."""
    base = e2e_server.base
    menu = httpx.get(f"{base}/api/menus/", timeout=10).json()
    americano = next(
        item["id"]
        for category in menu["categories"]
        for item in category["items"]
        if item["name"] == "Americano"
    )
    order = httpx.post(
        f"{base}/api/orders/",
        json={"items": [{"menuId": americano}], "payType": "CASH"},
        timeout=10,
    ).json()
    headers = auth_headers(base)
    endpoint = httpx.post(
        f"{base}/api/endpoints/",
        json={"name": "Own health", "url": f"{base}/healthz", "intervalSeconds": 3600},
        headers=headers,
        timeout=10,
    )
    assert endpoint.status_code == 201, endpoint.text
    yield {"order": order, "endpoint": endpoint.json()}
    httpx.post(
        f"{base}/api/orders/{order['orderId']}/cancel/",
        json={"reason": "end of test"},
        headers=auth_headers(base, "barista"),
        timeout=10,
    )
    httpx.delete(
        f"{base}/api/endpoints/{endpoint.json()['id']}/", headers=headers, timeout=10
    )


# (id, user, viewport, path, has a live socket)
PAGES = [
    ("home", None, LAPTOP, "/", True),
    ("login", None, PHONE, "/accounts/login/", False),
    ("kiosk", None, TABLET, "/kiosk/", True),
    ("customer-order", None, PHONE, "/orders/{order}/", True),
    ("barista", "barista", TABLET, "/barista/", True),
    ("pickup", None, TV, "/pickup/", True),
    ("staff-orders", "admin", LAPTOP, "/staff/orders/", True),
    ("staff-cells", "admin", LAPTOP, "/staff/cells/", True),
    ("staff-settings", "admin", LAPTOP, "/staff/settings/", True),
    ("staff-devices", "admin", LAPTOP, "/staff/devices/", False),
    ("chat", "alice", LAPTOP, "/chat/", True),
    ("monitoring-dashboard", "admin", LAPTOP, "/monitoring/", True),
    ("monitoring-detail", "admin", LAPTOP, "/monitoring/endpoints/{endpoint}/", True),
    ("status", None, PHONE, "/status/", False),
    ("pair", None, PHONE, "/pair/", False),
]

# Pages of other parts whose remaining violations cannot be fixed from the
# shared stylesheet: {page id: reason}. Empty when every page passes.
KNOWN: dict[str, str] = {}


def serious(violations: list[dict[str, Any]]) -> list[str]:
    found = []
    for v in violations:
        if v["impact"] not in ("serious", "critical"):
            continue
        targets = [
            ", ".join(n["target"]) + " " + (n.get("failureSummary") or "")[-160:]
            for n in v["nodes"][:4]
        ]
        found.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])}): {targets}")
    return found


@pytest.mark.parametrize(
    ("name", "user", "viewport", "path", "socket"),
    [
        pytest.param(
            *page,
            marks=[pytest.mark.xfail(reason=KNOWN[page[0]], strict=False)]
            if page[0] in KNOWN
            else [],
            id=page[0],
        )
        for page in PAGES
    ],
)
def test_no_serious_or_critical_axe_violations(
    new_page, axe_script, shop, name, user, viewport, path, socket
):
    page = new_page(user=user, viewport=viewport)
    page.goto(
        path.format(order=shop["order"]["orderId"], endpoint=shop["endpoint"]["id"])
    )
    if socket:
        expect(page.locator("#conn-indicator")).to_have_attribute("data-state", "live")
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=axe_script)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        TAGS,
    )
    assert result["testEngine"]["version"] == AXE_VERSION
    problems = serious(result["violations"])
    assert not problems, f"{name}: " + "; ".join(problems)


CONTRAST = """
([fg, bg]) => {
  const rgb = s => s.match(/[0-9.]+/g).slice(0, 3).map(Number);
  const lum = c => {
    const [r, g, b] = rgb(c).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}
"""


def test_text_fields_have_borders_of_3_to_1_and_ticket_options_are_dark(new_page, shop):
    page = new_page(user="barista", viewport=TABLET)
    page.goto("/barista/")
    expect(page.locator("#conn-indicator")).to_have_attribute("data-state", "live")
    card = page.locator(f".ticket[data-order-id='{shop['order']['orderId']}']")
    card.locator("[data-action=cancel]").click()
    field = card.locator("input[aria-label=Reason]")
    expect(field).to_be_visible()
    mine = f".ticket[data-order-id='{shop['order']['orderId']}']"
    border = computed(page, f"{mine} input[aria-label=Reason]", "borderTopColor")
    assert page.evaluate(CONTRAST, [border, "rgb(255, 255, 255)"]) >= 3, border
    card.get_by_role("button", name="Keep").click()
    options = card.locator(".opts").first
    expect(options).to_be_visible()
    style = {
        "color": computed(page, f"{mine} .opts", "color"),
        "size": computed(page, f"{mine} .opts", "fontSize"),
    }
    assert float(style["size"].rstrip("px")) >= 18, style
    assert page.evaluate(CONTRAST, [style["color"], "rgb(255, 255, 255)"]) >= 7, style
