"""Everyday chat in real Chromium: two people in two browser contexts."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import auth_headers
from tests.e2e.test_chat_page import bubbles, open_chat, send


@pytest.fixture(scope="module", autouse=True)
def media_root(tmp_path_factory: Any) -> Iterator[Path]:
    """Uploads of this module's server go to a temporary folder (set before it starts)."""
    root = tmp_path_factory.mktemp("media")
    before = os.environ.get("MEDIA_ROOT")
    os.environ["MEDIA_ROOT"] = str(root)
    yield root
    if before is None:
        os.environ.pop("MEDIA_ROOT", None)
    else:
        os.environ["MEDIA_ROOT"] = before


def test_edit_and_delete_are_seen_live_on_the_other_side(new_page):
    alice = open_chat(new_page, "alice")
    bob = open_chat(new_page, "bob")
    send(alice, "Lets meet at noen")
    sent = alice.locator(".msg.mine", has_text="Lets meet at noen")
    expect(sent).to_have_attribute("data-state", "sent")
    # By id from here on: the text changes.
    message_id = sent.get_attribute("data-id")
    mine = alice.locator(f".msg[data-id='{message_id}']")
    theirs = bob.locator(".msg", has_text="Lets meet at noen")
    expect(theirs).to_have_count(1)
    # Bob cannot edit or delete Alice's message.
    expect(theirs.locator("button.edit")).to_have_count(0)
    expect(theirs.locator("button.delete")).to_have_count(0)

    mine.locator("button.edit").click()
    box = mine.locator("textarea.edit-input")
    expect(box).to_be_focused()
    box.fill("Let's meet at noon")
    box.press("Enter")
    expect(mine.locator(".text")).to_have_text("Let's meet at noon")
    expect(mine.locator(".edited")).to_have_text("edited")
    edited = bob.locator(f".msg[data-id='{message_id}']")
    expect(edited.locator(".text")).to_have_text("Let's meet at noon")
    expect(edited.locator(".edited")).to_have_text("edited")

    delete = mine.locator("button.delete")
    delete.click()
    expect(delete).to_have_text("Delete for everyone?")
    delete.click()
    expect(mine.locator(".text")).to_have_text("message deleted")
    expect(edited.locator(".text")).to_have_text("message deleted")
    expect(edited).to_have_attribute("data-deleted", "")
    expect(bubbles(bob, "noon")).to_have_count(0)

    # A reload shows the same: the edit and the deletion are stored.
    bob.reload()
    expect(bob.locator(f".msg[data-id='{message_id}'] .text")).to_have_text(
        "message deleted"
    )


def pick(page, field: str, name: str) -> None:
    page.fill(field, name)
    results = "#people-results" if field == "#people-search" else "#add-results"
    page.locator(f"{results} button", has_text=name).click()


def test_start_a_direct_chat_and_a_group_seen_live_by_the_other(new_page):
    alice = open_chat(new_page, "alice")
    bob = open_chat(new_page, "bob")

    alice.click("#new-chat-toggle")
    pick(alice, "#people-search", "Bob")
    expect(alice.locator("#people-chosen li")).to_have_count(1)
    alice.click("#new-chat-start")
    expect(alice.locator("#session-title")).to_have_text("Bob")
    expect(alice.locator("#conn-indicator")).to_have_attribute("data-state", "live")
    direct_url = alice.url
    # Bob's list shows the new chat, called after Alice, without a reload.
    listed = bob.locator("#session-list a").filter(
        has=bob.locator(".session-title", has_text=re.compile("^Alice$"))
    )
    expect(listed).to_have_count(1)
    send(alice, "A direct hello")
    expect(listed.locator(".unread")).to_have_text("1")

    # Starting it again finds the same chat.
    alice.click("#new-chat-toggle")
    pick(alice, "#people-search", "Bob")
    alice.click("#new-chat-start")
    expect(alice.locator("#new-chat")).to_be_hidden()
    expect(alice).to_have_url(direct_url)
    expect(bubbles(alice, "A direct hello")).to_have_count(1)

    # A group: named, seen live, renamed live, and Bob removed live.
    alice.click("#new-chat-toggle")
    pick(alice, "#people-search", "Bob")
    pick(alice, "#people-search", "Barista")
    alice.fill("#new-chat-title", "Coffee crew")
    alice.click("#new-chat-start")
    expect(alice.locator("#session-title")).to_have_text("Coffee crew")
    expect(bob.locator("#session-list a", has_text="Coffee crew")).to_have_count(1)
    expect(alice.locator("#conn-indicator")).to_have_attribute("data-state", "live")
    alice.click("#manage-toggle")
    expect(alice.locator("#member-list li")).to_have_count(3)
    alice.fill("#rename-input", "Coffee club")
    alice.locator("#rename button").click()
    expect(alice.locator("#session-title")).to_have_text("Coffee club")
    expect(bob.locator("#session-list a", has_text="Coffee club")).to_have_count(1)
    alice.locator("#member-list li", has_text="Bob").locator("button.remove").click()
    expect(alice.locator("#member-list li")).to_have_count(2)
    expect(bob.locator("#session-list a", has_text="Coffee club")).to_have_count(0)
    # Bob's own conversation is untouched.
    expect(bob.locator("#conn-indicator")).to_have_attribute("data-state", "live")
    send(bob, "Still here")
    expect(bob.locator(".msg.mine").last).to_have_attribute("data-state", "sent")


def test_an_image_sent_is_seen_on_the_other_side(new_page, media_root):
    alice = open_chat(new_page, "alice")
    bob = open_chat(new_page, "bob")
    picture = io.BytesIO()
    Image.new("RGB", (1200, 900), "gold").save(picture, "PNG")
    alice.set_input_files(
        "#attach-input",
        files=[
            {
                "name": "sunrise.png",
                "mimeType": "image/png",
                "buffer": picture.getvalue(),
            }
        ],
    )
    expect(alice.locator("#pending-files li")).to_have_attribute("data-state", "ready")
    alice.fill("#composer-input", "Look at this")
    alice.press("#composer-input", "Enter")
    expect(alice.locator("#pending-files li")).to_have_count(0)
    image = bob.locator(".msg", has_text="Look at this").locator(".files img")
    expect(image).to_have_attribute("alt", "sunrise.png")
    # The thumbnail really loaded (through the members-only view).
    bob.wait_for_function(
        "img => img.complete && img.naturalWidth === 320", arg=image.element_handle()
    )
    assert any(p.name.endswith("-thumb.jpg") for p in media_root.rglob("*"))

    # A file's name is text, never markup.
    name = "<img src=x onerror=alert(1)>.txt"
    alice.set_input_files(
        "#attach-input",
        files=[{"name": name, "mimeType": "text/plain", "buffer": b"notes"}],
    )
    expect(alice.locator("#pending-files li")).to_have_attribute("data-state", "ready")
    alice.click("#send")
    link = bob.locator(".msg .files a.file-link").last
    expect(link).to_have_text(f"{name} (5 B)")
    assert bob.locator(".msg .files img").count() == 1  # only the picture

    # A disguised file is refused with a clear message, and nothing is sent.
    alice.set_input_files(
        "#attach-input",
        files=[
            {
                "name": "cat.png",
                "mimeType": "image/png",
                "buffer": b"<script>x</script>",
            }
        ],
    )
    failed = alice.locator("#pending-files li")
    expect(failed).to_have_attribute("data-state", "failed")
    expect(failed).to_contain_text("not what its name says")


def test_search_finds_an_old_message_and_opens_it_in_its_chat(new_page, e2e_server):
    headers = auth_headers(e2e_server.base, "alice")
    sessions = httpx.get(f"{e2e_server.base}/api/chat/sessions/", headers=headers)
    bob_id = next(
        m["id"] for s in sessions.json() for m in s["members"] if m["name"] == "Bob"
    )
    session = httpx.post(
        f"{e2e_server.base}/api/chat/sessions/",
        json={"title": "Archive", "memberIds": [bob_id]},
        headers=headers,
    ).json()
    with httpx.Client(base_url=e2e_server.base, headers=headers) as client:
        for i in range(80):
            text = "the lighthouse keys are under the mat" if i == 5 else f"filler {i}"
            client.post(
                f"/api/chat/sessions/{session['id']}/messages/", json={"content": text}
            )
    bob = open_chat(new_page, "bob")  # another chat is open
    bob.fill("#search-input", "lighthouse keys")
    bob.press("#search-input", "Enter")
    result = bob.locator("#search-results button")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("Archive")
    result.click()
    expect(bob.locator("#session-title")).to_have_text("Archive")
    found = bob.locator(".msg.found")
    expect(found).to_have_count(1)
    expect(found.locator(".text")).to_have_text("the lighthouse keys are under the mat")
    expect(found).to_be_in_viewport()


def test_mention_autocompletes_is_highlighted_and_counted(new_page):
    alice = open_chat(new_page, "alice")
    bob = open_chat(new_page, "bob", "Weekend plans")
    alice.locator("#composer-input").press_sequentially("Hey @b")
    option = alice.locator("#mention-list li[role=option]")
    expect(option).to_have_count(1)
    expect(option).to_have_attribute("data-username", "bob")
    alice.press("#composer-input", "Enter")  # chooses, does not send
    expect(alice.locator("#composer-input")).to_have_value("Hey @bob ")
    expect(alice.locator("#mention-list")).to_be_hidden()
    alice.locator("#composer-input").press_sequentially("<b>lunch?</b>")
    alice.press("#composer-input", "Enter")
    mine = alice.locator(".msg.mine").last
    expect(mine).to_have_attribute("data-state", "sent")
    expect(mine.locator(".mention")).to_have_text("@bob")

    listed = bob.locator("#session-list a", has_text="Alice & Bob")
    expect(listed.locator(".mention-count")).to_have_text("@1")
    listed.click()
    mention = bob.locator(".msg", has_text="lunch?").locator(".mention.me")
    expect(mention).to_have_text("@bob")
    expect(bob.locator(".msg", has_text="lunch?").locator(".text")).to_have_text(
        "Hey @bob <b>lunch?</b>"
    )
    expect(
        bob.locator("#session-list a", has_text="Alice & Bob").locator(".mention-count")
    ).to_be_hidden()


def test_a_chat_started_with_someone_who_has_none_reaches_their_list(new_page):
    # With no chat the page has no socket: the list is looked at every 5 s.
    admin = new_page(user="admin")
    admin.goto("/chat/")
    expect(admin.locator("#session-list a")).to_have_count(0)
    alice = open_chat(new_page, "alice")
    alice.click("#new-chat-toggle")
    pick(alice, "#people-search", "admin")
    alice.click("#new-chat-start")
    expect(alice.locator("#conn-indicator")).to_have_attribute("data-state", "live")
    expect(admin.locator("#session-list a")).to_have_count(1, timeout=15_000)
