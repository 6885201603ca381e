"""Chat sends made while the browser is offline survive a reload and go out once."""

from __future__ import annotations

import json

import httpx
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.e2e.conftest import auth_headers
from tests.e2e.test_chat_page import bubbles, open_chat, send


def outbox(context, base: str) -> list[dict]:
    """The chat outbox in the context's localStorage (readable on any page)."""
    for origin in context.storage_state()["origins"]:
        if origin["origin"] == base:
            for item in origin["localStorage"]:
                if item["name"].startswith("tidings.chat.outbox."):
                    return json.loads(item["value"])
    return []


def test_offline_send_survives_a_reload_and_is_delivered_once(new_page, e2e_server):
    alice = open_chat(new_page, "alice")
    bob = open_chat(new_page, "bob")
    context = alice.context
    context.set_offline(True)
    send(alice, "written on the train")
    mine = alice.locator(".msg.mine").last
    expect(mine.locator(".status")).to_have_text("Sending…")
    # Kept in the page's storage until the server acknowledges it.
    [entry] = outbox(context, e2e_server.base)
    assert entry["content"] == "written on the train"
    try:
        alice.reload(wait_until="commit")
    except PlaywrightError:
        pass  # offline: the browser shows its error page
    assert [e["content"] for e in outbox(context, e2e_server.base)] == [
        "written on the train"
    ]

    context.set_offline(False)
    alice.goto("/chat/")
    alice.locator("#session-list a", has_text="Alice & Bob").click()
    restored = alice.locator(".msg.mine", has_text="written on the train")
    expect(restored).to_have_attribute("data-state", "sent", timeout=20_000)
    expect(bubbles(bob, "written on the train")).to_have_count(1, timeout=20_000)
    assert outbox(context, e2e_server.base) == []

    headers = auth_headers(e2e_server.base, "alice")
    sessions = httpx.get(f"{e2e_server.base}/api/chat/sessions/", headers=headers)
    session = next(s for s in sessions.json() if s["title"] == "Alice & Bob")
    page = httpx.get(
        f"{e2e_server.base}/api/chat/sessions/{session['id']}/messages/",
        headers=headers,
    ).json()
    contents = [m["content"] for m in page["messages"]]
    assert contents.count("written on the train") == 1


def test_offline_send_goes_out_when_the_browser_is_back_without_a_reload(
    new_page, e2e_server
):
    alice = open_chat(new_page, "alice")
    bob = open_chat(new_page, "bob")
    alice.context.set_offline(True)
    send(alice, "sent during the blip")
    mine = alice.locator(".msg.mine", has_text="sent during the blip")
    expect(mine).to_have_count(1)
    alice.context.set_offline(False)
    expect(mine).to_have_attribute("data-state", "sent", timeout=20_000)
    expect(bubbles(bob, "sent during the blip")).to_have_count(1, timeout=20_000)
    assert outbox(alice.context, e2e_server.base) == []
    expect(alice.locator("#conn-indicator")).to_have_attribute("data-state", "live")
