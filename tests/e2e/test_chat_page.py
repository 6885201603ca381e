"""The /chat/ page in real Chromium: alice and bob in two browser contexts."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import auth_headers, save_screenshot

XSS = "<img src=x onerror=alert(1)>"


def open_chat(new_page, user: str, title: str = "Alice & Bob"):
    page = new_page(user=user)
    page.goto("/chat/")
    page.locator("#session-list a", has_text=title).click()
    expect(page.locator("#session-title")).to_have_text(title)
    expect(page.locator("#conn-indicator")).to_have_attribute("data-state", "live")
    return page


def send(page, text: str) -> None:
    page.fill("#composer-input", text)
    page.press("#composer-input", "Enter")


def bubbles(page, text: str):
    return page.locator("#message-list .msg .text", has_text=text)


def test_messages_typing_presence_and_literal_html_live_both_ways(new_page):
    alice = open_chat(new_page, "alice")
    bob = open_chat(new_page, "bob")
    expect(alice.locator("#online li")).to_have_count(2)
    expect(alice.locator("#online")).to_contain_text("Bob")

    send(alice, "Hello Bob")
    expect(bubbles(bob, "Hello Bob")).to_have_count(1)
    expect(alice.locator(".msg.mine").last).to_have_attribute("data-state", "sent")
    send(bob, "Hi Alice")
    expect(bubbles(alice, "Hi Alice")).to_have_count(1)

    bob.locator("#composer-input").press_sequentially("typing something")
    expect(alice.locator("#typing")).to_have_text(re.compile("Bob is typing"))
    bob.fill("#composer-input", "")
    bob.locator("#composer-input").dispatch_event("input")
    expect(alice.locator("#typing")).to_have_text("")

    # A dialog would fail the test (see new_page); the markup stays text.
    send(alice, XSS)
    expect(bob.locator("#message-list .msg .text").last).to_have_text(XSS)
    assert bob.locator("#message-list img").count() == 0
    assert alice.locator("#message-list img").count() == 0
    # Bob has the page open, so he read it: "seen by" under alice's last message.
    expect(alice.locator(".msg.mine").last.locator(".seen")).to_have_text("Seen by Bob")


def test_unread_count_of_another_session_updates_live(new_page):
    alice = open_chat(new_page, "alice")
    badge = alice.locator("#session-list a", has_text="Weekend plans").locator(
        ".unread"
    )
    before = int(badge.text_content() or "0")
    bob = open_chat(new_page, "bob", "Weekend plans")
    send(bob, "Bring snacks")
    expect(badge).to_have_text(str(before + 1))
    expect(badge).to_be_visible()
    alice.locator("#session-list a", has_text="Weekend plans").click()
    expect(bubbles(alice, "Bring snacks")).to_have_count(1)
    expect(
        alice.locator("#session-list a", has_text="Weekend plans").locator(".unread")
    ).to_be_hidden()


def test_send_while_server_is_down_stays_pending_then_is_delivered_once(
    new_page, e2e_server
):
    alice = open_chat(new_page, "alice")
    bob = open_chat(new_page, "bob")
    e2e_server.stop()
    expect(alice.locator("#conn-indicator")).to_have_attribute(
        "data-state", re.compile("reconnecting|offline")
    )
    send(alice, "sent while offline")
    mine = alice.locator(".msg.mine").last
    expect(mine).to_have_attribute("data-state", "pending")
    expect(mine.locator(".status")).to_have_text("Sending…")
    e2e_server.start()
    expect(mine).to_have_attribute("data-state", "sent", timeout=20_000)
    expect(bubbles(bob, "sent while offline")).to_have_count(1, timeout=20_000)
    expect(bubbles(alice, "sent while offline")).to_have_count(1)
    save_screenshot(alice, "chat")

    headers = auth_headers(e2e_server.base, "alice")
    sessions = httpx.get(f"{e2e_server.base}/api/chat/sessions/", headers=headers)
    session = next(s for s in sessions.json() if s["title"] == "Alice & Bob")
    page = httpx.get(
        f"{e2e_server.base}/api/chat/sessions/{session['id']}/messages/",
        headers=headers,
    ).json()
    contents = [m["content"] for m in page["messages"]]
    assert contents.count("sent while offline") == 1


def test_scrolling_up_loads_older_history(new_page, e2e_server):
    alice_auth = auth_headers(e2e_server.base, "alice")
    bob_id = next(
        m["id"]
        for s in httpx.get(
            f"{e2e_server.base}/api/chat/sessions/", headers=alice_auth
        ).json()
        for m in s["members"]
        if m["name"] == "Bob"
    )
    session = httpx.post(
        f"{e2e_server.base}/api/chat/sessions/",
        json={"title": "Long history", "memberIds": [bob_id]},
        headers=alice_auth,
    ).json()
    with httpx.Client(base_url=e2e_server.base, headers=alice_auth) as client:
        for i in range(70):
            client.post(
                f"/api/chat/sessions/{session['id']}/messages/",
                json={"content": f"old {i}"},
            )
    page = open_chat(new_page, "bob", "Long history")
    expect(page.locator("#message-list .msg")).to_have_count(50)
    page.evaluate("document.getElementById('messages').scrollTop = 0")
    expect(page.locator("#message-list .msg")).to_have_count(70)
    expect(page.locator("#message-list .msg .text").first).to_have_text("old 0")


def test_refused_send_shows_failed_with_retry_reusing_the_client_id(new_page):
    page = open_chat(new_page, "alice")
    page.evaluate(
        "document.getElementById('composer-input').removeAttribute('maxlength')"
    )
    send(page, "x" * 4001)
    mine = page.locator(".msg.mine").last
    expect(mine).to_have_attribute("data-state", "failed")
    expect(page.locator("#chat-error")).to_contain_text("4000")
    client_id = mine.get_attribute("data-client-id")
    mine.locator(".retry").click()
    expect(mine).to_have_attribute("data-state", "failed")
    assert mine.get_attribute("data-client-id") == client_id


def test_chat_on_a_phone_sized_screen(new_page):
    page = new_page(user="bob", viewport={"width": 390, "height": 844})
    page.goto("/chat/")
    expect(page.locator("#conn-indicator")).to_have_attribute("data-state", "live")
    expect(page.locator("#message-list .msg").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    save_screenshot(page, "chat-phone")
