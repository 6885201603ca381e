"""The hub's recent events per room: catch-ups answered without a read per socket.

A reconnect wave after a restart asks, thousands of times, for the same
events of the same room. The hub keeps each joined room's latest events and
shares one history read among catch-ups that start together; a window that
does not reach the last seq the hub has seen never tells a socket it is
caught up.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from realtime import hub as hub_module
from realtime.hub import Recent, get_hub
from tests.realtime.test_hub import store_without_sending

pytestmark = pytest.mark.django_db(transaction=True)


def frames(*seqs: int) -> list[tuple[int, str]]:
    return [(seq, f"f{seq}") for seq in seqs]


def test_the_window_holds_contiguous_events_only() -> None:
    recent = Recent()
    for seq in (5, 6, 7):
        recent.add(seq, f"f{seq}")
    assert recent.after(4, 10) == frames(5, 6, 7)
    assert recent.after(6, 10) == frames(7)
    assert recent.after(7, 10) == []
    assert recent.after(3, 10) is None  # 4 is not held
    assert recent.after(8, 10) is None  # ahead of the window
    recent.add(6, "again")  # a duplicate changes nothing
    assert recent.after(5, 1) == frames(6)
    recent.add(9, "f9")  # 8 never came: the window starts again at 9
    assert recent.after(8, 10) == frames(9)
    assert recent.after(7, 10) is None


def test_the_window_is_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(hub_module, "RECENT_EVENTS", 3)
    recent = Recent()
    for seq in range(1, 11):
        recent.add(seq, f"f{seq}")
    assert recent.after(7, 10) == frames(8, 9, 10)
    assert recent.after(6, 10) is None
    recent.merge(frames(*range(11, 20)))
    assert len(recent.frames) == 3
    assert recent.after(16, 10) == frames(17, 18, 19)


def test_history_rows_join_the_window_on_either_side() -> None:
    recent = Recent()
    recent.merge(frames(10, 11, 12))
    recent.merge(frames(7, 8, 9, 10))  # older, touching: prepended
    recent.merge(frames(12, 13, 14))  # newer, overlapping: appended
    assert recent.after(6, 100) == frames(*range(7, 15))
    recent.merge(frames(1, 2))  # older and apart: the newer window stays
    assert recent.after(6, 100) == frames(*range(7, 15))
    recent.merge(frames(30, 31))  # newer and apart: it replaces the window
    assert recent.after(29, 100) == frames(30, 31)
    assert recent.after(13, 100) is None


async def test_a_wave_of_catch_ups_reads_the_history_once(
    ws: Any, count_queries: list[str]
) -> None:
    stored = [await store_without_sending("kiosk") for _ in range(5)]
    client = await ws()
    await client.request("join_room", {"roomType": "kiosk"})
    hub = get_hub()
    before = len(count_queries)
    answers = await asyncio.gather(
        *(hub.history_after("kiosk", stored[0] - 1, 500) for _ in range(200))
    )
    reads = len(count_queries) - before
    assert all([seq for seq, _ in rows] == stored for rows in answers)
    assert reads <= 2  # one events_after: the room's seq, then its rows
    # Later catch-ups from inside the window read nothing.
    before = len(count_queries)
    assert [seq for seq, _ in await hub.history_after("kiosk", stored[2], 500)] == (
        stored[3:]
    )
    assert len(count_queries) == before


async def test_a_window_short_of_the_seen_seq_never_ends_a_catch_up(ws: Any) -> None:
    stored = [await store_without_sending("kiosk") for _ in range(12)]
    client = await ws()
    await client.request("join_room", {"roomType": "kiosk"})
    hub = get_hub()
    assert hub.seen["kiosk"] == stored[-1]
    # Pages of 5, as a catch-up reads them: every event once, in order, and
    # only the last page is short.
    got: list[int] = []
    after = stored[0] - 1
    while True:
        rows = await hub.history_after("kiosk", after, 5)
        got += [seq for seq, _ in rows]
        if len(rows) < 5:
            break
        after = rows[-1][0]
    assert got == stored


async def test_sockets_rejoining_together_get_every_missed_event_once(ws: Any) -> None:
    first = await ws()
    joined = await first.request("join_room", {"roomType": "kiosk"})
    start = joined["data"]["seq"]
    missed = [await store_without_sending("kiosk") for _ in range(30)]
    clients = [await ws() for _ in range(20)]
    await asyncio.gather(
        *(
            c.send("join_room", {"roomType": "kiosk", "lastSeq": start}, ref="j")
            for c in clients
        )
    )

    async def collect(client: Any) -> list[int]:
        seqs: list[int] = []
        while len(seqs) < len(missed):
            frame = await client.recv(timeout=10)
            if frame.get("event") == "announcement":
                seqs.append(frame["seq"])
        return seqs

    for seqs in await asyncio.gather(*(collect(c) for c in clients)):
        assert seqs == missed
