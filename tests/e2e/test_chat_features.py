"""Everyday chat in real Chromium: edit and delete live, (more below)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.test_chat_page import bubbles, open_chat, send


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
