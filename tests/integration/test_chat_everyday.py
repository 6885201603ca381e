"""Everyday chat across two server processes on Redis: edits, deletions, new chats."""

from __future__ import annotations

import asyncio

import httpx

from tests.integration.test_chat_cluster import demo_session, open_chat, until
from tests.tools import login


async def test_edit_and_delete_on_a_reach_bob_on_b(redis_servers):
    a, b = redis_servers(2)
    alice_token, bob_token = login(a.base, "alice"), login(b.base, "bob")
    session_id = demo_session(a.base, alice_token)
    bob = await open_chat(b, bob_token, session_id)
    alice = await open_chat(a, alice_token, session_id)
    sent = await alice.request("message", {"content": "see you at 5"})
    message_id = sent["data"]["id"]
    await until(bob, "message:created", id=message_id)

    reply = await alice.request(
        "edit_message", {"messageId": message_id, "content": "see you at 6"}
    )
    assert reply["event"] == "edit_message_success"
    edited = await until(bob, "message:updated", id=message_id)
    assert edited["data"]["content"] == "see you at 6" and edited["data"]["editedAt"]

    # A delete over REST on B reaches Bob's socket on B and Alice's on A.
    response = await asyncio.to_thread(
        httpx.delete,
        f"{b.base}/api/chat/sessions/{session_id}/messages/{message_id}/",
        headers={"Authorization": f"Bearer {alice_token}"},
    )
    assert response.status_code == 200
    for sock in (alice, bob):
        deleted = await until(sock, "message:deleted", id=message_id)
        assert deleted["seq"] == edited["seq"] + 1
    # Bob may not delete Alice's message.
    refused = await bob.request("delete_message", {"messageId": sent["data"]["id"]})
    assert refused["event"] == "error"
    for sock in (alice, bob):
        await sock.close()


async def test_a_chat_started_on_a_appears_in_bobs_list_on_b(redis_servers):
    a, b = redis_servers(2)
    alice_token, bob_token = login(a.base, "alice"), login(b.base, "bob")
    session_id = demo_session(a.base, alice_token)
    bob = await open_chat(b, bob_token, session_id)
    people = await asyncio.to_thread(
        httpx.get,
        f"{a.base}/api/chat/users/?q=bob",
        headers={"Authorization": f"Bearer {alice_token}"},
    )
    [found] = people.json()
    joined = await bob.request(
        "join_room", {"roomType": "chatuser", "userId": found["id"]}
    )
    assert joined["event"] == "join_room_success"
    response = await asyncio.to_thread(
        httpx.post,
        f"{a.base}/api/chat/direct/",
        json={"userId": found["id"]},
        headers={"Authorization": f"Bearer {alice_token}"},
    )
    assert response.status_code == 201
    added = await until(bob, "session:added", id=response.json()["id"])
    assert added["data"]["isDirect"] is True
    assert added["data"]["title"].lower() == "alice"
    await bob.close()
