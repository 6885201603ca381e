"""Chat across two real server processes sharing PostgreSQL/SQLite and Redis."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import httpx
import websockets

from tests.integration.conftest import Socket
from tests.tools import login

# Short presence timings keep the crash test fast; the bound asserted is the
# protocol's 60 s, and the figure is printed.
FAST_PRESENCE = {
    "CHAT_PRESENCE_TTL": "2",
    "CHAT_PRESENCE_REFRESH": "0.5",
    "CHAT_PRESENCE_SWEEP": "0.3",
}


def demo_session(base: str, access: str) -> int:
    response = httpx.get(
        f"{base}/api/chat/sessions/", headers={"Authorization": f"Bearer {access}"}
    )
    response.raise_for_status()
    return next(s["id"] for s in response.json() if s["title"] == "Alice & Bob")


async def open_chat(server: Any, access: str, session_id: int) -> Socket:
    sock = Socket(
        await websockets.connect(
            f"{server.ws}/ws/chat/?sessionId={session_id}&token={access}",
            open_timeout=10,
        )
    )
    await until(sock, "connected")
    return sock


async def until(sock: Socket, event: str, timeout: float = 10, **match: Any) -> dict:
    """The next frame named `event` (whose data has the `match` items), skipping others."""
    deadline = time.monotonic() + timeout
    while True:
        frame = await sock.recv(max(0.01, deadline - time.monotonic()))
        if frame["event"] == event and all(
            frame["data"].get(k) == v for k, v in match.items()
        ):
            return frame


async def test_alice_on_a_and_bob_on_b_chat_and_see_presence_until_b_dies(
    redis_servers,
):
    a, b = redis_servers(2, **FAST_PRESENCE)
    alice_token, bob_token = login(a.base, "alice"), login(b.base, "bob")
    session_id = demo_session(a.base, alice_token)

    alice = await open_chat(a, alice_token, session_id)
    await until(alice, "presence:joined")
    bob = await open_chat(b, bob_token, session_id)
    bob_hello = await until(bob, "presence:joined")
    names = sorted(u["name"].lower() for u in bob_hello["data"]["online"])
    assert names == ["alice", "bob"]
    joined = await until(alice, "presence:joined")
    assert joined["data"]["user"]["name"].lower() == "bob"
    assert sorted(u["name"].lower() for u in joined["data"]["online"]) == [
        "alice",
        "bob",
    ]

    await alice.send("message", {"content": "hi from A", "clientId": "it-a1"}, "a1")
    got = await until(bob, "message:created", clientId="it-a1")
    assert got["data"]["content"] == "hi from A"
    await bob.send("message", {"content": "hi from B", "clientId": "it-b1"}, "b1")
    got = await until(alice, "message:created", clientId="it-b1")
    assert got["data"]["author"]["name"].lower() == "bob"

    # Bob's server dies without closing anything: his entry expires in Redis
    # and a live process publishes presence:left once.
    killed = time.monotonic()
    b.stop(signal.SIGKILL)
    left = await until(alice, "presence:left", timeout=60)
    elapsed = time.monotonic() - killed
    print(f"bob offline for alice {elapsed:.2f} s after SIGKILL")
    assert left["data"]["user"]["name"].lower() == "bob"
    assert [u["name"].lower() for u in left["data"]["online"]] == ["alice"]
    assert elapsed < 60
    # Once only, although every process sweeps.
    try:
        extra = await until(alice, "presence:left", timeout=1.5)
    except TimeoutError:
        extra = None
    assert extra is None
    await alice.close()


async def test_same_client_id_on_two_servers_is_one_message(redis_servers):
    a, b = redis_servers(2)
    alice_token, bob_token = login(a.base, "alice"), login(b.base, "bob")
    session_id = demo_session(a.base, alice_token)
    bob = await open_chat(b, bob_token, session_id)
    await until(bob, "presence:joined")
    alice = await open_chat(a, alice_token, session_id)
    reply = await alice.request("message", {"content": "once", "clientId": "it-dup"})
    response = await asyncio.to_thread(
        httpx.post,
        f"{b.base}/api/chat/sessions/{session_id}/messages/",
        json={"content": "once", "clientId": "it-dup"},
        headers={"Authorization": f"Bearer {alice_token}"},
    )
    assert response.status_code == 200 and response.json() == reply["data"]
    first = await until(bob, "message:created", clientId="it-dup")
    assert first["data"]["id"] == reply["data"]["id"]
    seen = []
    try:
        while True:
            frame = await bob.recv(1.0)
            seen.append(frame["event"])
    except TimeoutError:
        pass
    assert "message:created" not in seen
    for sock in (alice, bob):
        await sock.close()


async def test_bob_away_while_30_messages_are_sent_gets_exactly_those_on_return(
    redis_servers,
):
    a, b = redis_servers(2)
    alice_token, bob_token = login(a.base, "alice"), login(b.base, "bob")
    session_id = demo_session(a.base, alice_token)
    bob = await open_chat(b, bob_token, session_id)
    alice = await open_chat(a, alice_token, session_id)
    await alice.request("message", {"content": "before"}, "0")
    last_seq = (await until(bob, "message:created", content="before"))["seq"]
    await bob.close()
    for i in range(30):
        await alice.request("message", {"content": f"away {i}"}, f"m{i}")
    # Back on the other server, from where he left off.
    bob = Socket(
        await websockets.connect(
            f"{a.ws}/ws/chat/?sessionId={session_id}&token={bob_token}"
            f"&lastSeq={last_seq}",
            open_timeout=10,
        )
    )
    got = []
    while True:
        frame = await bob.recv(10)
        if frame["event"] == "message:created":
            got.append(frame)
        elif frame["event"] == "presence:joined":
            break
    assert [f["data"]["content"] for f in got] == [f"away {i}" for i in range(30)]
    assert [f["seq"] for f in got] == list(range(last_seq + 1, last_seq + 31))
    try:
        extra = await until(bob, "message:created", timeout=1)
    except TimeoutError:
        extra = None
    assert extra is None
    for sock in (alice, bob):
        await sock.close()
