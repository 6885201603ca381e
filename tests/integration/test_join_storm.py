"""100 sockets joining at once while events flow: join replies and heartbeats keep coming.

A join's catch-up used to read the history until a read came back empty; with
events arriving faster than a round of reads, it never ended, and the join
reply and heartbeats queued behind it arrived only when publishing stopped,
after the heartbeat deadline had closed the sockets (4408).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import websockets

from tests import tools
from tests.integration.conftest import admin_token, announce

SOCKETS = 100
RATE = 20  # events a second


def publish_until(base: str, stop: threading.Event, seqs: list[int]) -> None:
    token = admin_token(base)
    while not stop.is_set():
        started = time.monotonic()
        seqs.append(announce(base, token, f"event {len(seqs)}"))
        stop.wait(max(0.0, 1 / RATE - (time.monotonic() - started)))


class Joiner:
    """One socket that joins the kiosk room from seq 0 and answers heartbeats."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.join_seconds: float | None = None
        self.close_code: int | None = None
        self.beats = 0
        self.seqs: list[int] = []

    async def run(
        self, opened: list[Joiner], joined: asyncio.Event, until: asyncio.Event
    ) -> None:
        async with websockets.connect(self.url, open_timeout=30) as conn:
            opened.append(self)
            if len(opened) == SOCKETS:
                joined.set()
            await joined.wait()  # every socket is open: join all at once
            sent = time.monotonic()
            await conn.send(
                json.dumps(
                    {
                        "event": "join_room",
                        "data": {"roomType": "kiosk", "lastSeq": 0},
                        "ref": "j",
                    }
                )
            )
            try:
                while not until.is_set():
                    try:
                        raw = await asyncio.wait_for(conn.recv(), 0.5)
                    except TimeoutError:
                        continue
                    frame: dict[str, Any] = json.loads(raw)
                    if frame.get("ref") == "j":
                        self.join_seconds = time.monotonic() - sent
                    elif frame["event"] == "heartbeat":
                        self.beats += 1
                        await conn.send('{"event":"heartbeat_ack"}')
                    elif frame.get("seq") is not None:
                        self.seqs.append(frame["seq"])
            except websockets.ConnectionClosed as closed:
                self.close_code = closed.rcvd.code if closed.rcvd else 1006


async def test_a_hundred_joins_under_flow_get_their_replies_and_heartbeats(
    redis_servers,
):
    (server,) = redis_servers(
        1, HEARTBEAT_INTERVAL="1", HEARTBEAT_TIMEOUT="3", **tools.ONE_ADDRESS_LOAD
    )
    stop = threading.Event()
    published: list[int] = []
    publisher = threading.Thread(
        target=publish_until, args=(server.base, stop, published), daemon=True
    )
    publisher.start()
    try:
        while len(published) < 40:  # a history to catch up on, and events flowing
            await asyncio.sleep(0.05)
        joiners = [Joiner(f"{server.ws}/ws/orders/") for _ in range(SOCKETS)]
        joined, until = asyncio.Event(), asyncio.Event()
        opened: list[Joiner] = []
        tasks = [asyncio.ensure_future(j.run(opened, joined, until)) for j in joiners]
        await asyncio.wait_for(joined.wait(), 30)
        await asyncio.sleep(10)  # ten heartbeat intervals with events flowing
        until.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
    finally:
        stop.set()
        publisher.join(10)

    # Every join reply arrived while events were still flowing (before the
    # fix none did: they came only once publishing stopped, after 4408).
    waiting = [j for j in joiners if j.join_seconds is None]
    assert not waiting, f"{len(waiting)} sockets got no join reply during the flow"
    assert [j.close_code for j in joiners if j.close_code] == []
    assert min(j.beats for j in joiners) >= 5
    for joiner in joiners:
        # Every event from seq 1 on, in order, each once.
        assert joiner.seqs == list(range(1, len(joiner.seqs) + 1))
        assert len(joiner.seqs) >= 40
