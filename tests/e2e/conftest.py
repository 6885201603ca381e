"""Real Chromium through Playwright against real Tidings server processes.

These tests run in their own pytest process (`pytest -m e2e`): Playwright's
sync API cannot share a process with pytest-asyncio's loops.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import tools

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]
# The README's screenshots are refreshed only when asked for
# (`UPDATE_SCREENSHOTS=1`); otherwise a test run leaves them alone.
SCREENSHOTS = (
    tools.ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "tidings-screenshots"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The hook sees every collected test: mark only the ones in this folder.
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        tools.need("chromium is not installed (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        tools.need("playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class E2EServer(tools.Server):
    """A server with its own migrated, seeded database; restartable on the same port."""

    def __init__(self, env: dict[str, str], database: tools.Database) -> None:
        super().__init__(env)
        self.database = database

    def manage(self, *args: str) -> str:
        return tools.manage(self.env, *args)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="module")
def e2e_server() -> Iterator[E2EServer]:
    """The embedded setup of `make run` (in-memory layer, in-process background work)."""
    database = tools.Database()
    # The status page's tests change what it shows from one test to the
    # next: every request reads it (no shared read for a few seconds).
    env = tools.server_env(
        database,
        None,
        HEARTBEAT_INTERVAL="2",
        HEARTBEAT_TIMEOUT="2",
        MONITOR_STATUS_CACHE_SECONDS="0",
    )
    tools.manage(env, "migrate", "--noinput")
    tools.manage(env, "seed_demo")
    server = E2EServer(env, database)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        database.drop()


@pytest.fixture
def new_page(browser: Any, e2e_server: E2EServer) -> Iterator[Callable[..., Any]]:
    """`new_page(user=None, viewport=None)`: a page in a fresh context, logged in if asked."""
    contexts: list[Any] = []

    def make(user: str | None = None, viewport: dict[str, int] | None = None) -> Any:
        context = browser.new_context(
            base_url=e2e_server.base,
            viewport=viewport or {"width": 1280, "height": 800},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "dialog", lambda dialog: pytest.fail(f"unexpected dialog: {dialog.message}")
        )
        if user:
            page.goto("/accounts/login/")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", user)
            page.click("button[type=submit]")
            page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    yield make
    for context in contexts:
        context.close()


def auth_headers(base: str, user: str = "admin") -> dict[str, str]:
    """The Authorization header of a demo user (their password is their name)."""
    return {"Authorization": f"Bearer {tools.login(base, user)}"}


def save_screenshot(page: Any, name: str) -> None:
    """Keep a screenshot (under docs/screenshots/ with UPDATE_SCREENSHOTS=1)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def computed(page: Any, selector: str, prop: str, pseudo: str | None = None) -> str:
    """A computed style of the element at `selector`, read in one step in the page.

    Tickets are rebuilt on every change, so a node found first and read
    afterwards may be gone by then; this waits for a connected one.
    """
    return page.wait_for_function(
        """([selector, prop, pseudo]) => {
          const node = document.querySelector(selector);
          if (!node || !node.isConnected) return null;
          return getComputedStyle(node, pseudo)[prop] || null;
        }""",
        arg=[selector, prop, pseudo],
    ).json_value()
