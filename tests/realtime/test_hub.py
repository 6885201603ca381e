"""The hub notices frames lost on the way (e.g. during a Redis reconnect)."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from realtime import outbox
from realtime.hub import get_hub

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def store_without_sending(room: str) -> int:
    with transaction.atomic():
        seq = outbox._next_seq(room)
        outbox.RoomEvent.objects.create(
            room=room,
            seq=seq,
            event="announcement",
            frame=outbox.encode(
                {
                    "event": "announcement",
                    "data": {"lost": seq},
                    "room": room,
                    "seq": seq,
                }
            ),
            published=True,
        )
        return seq


async def test_a_lost_frame_reaches_joined_sockets_after_two_checks(ws):
    client = await ws()
    await client.request("join_room", {"roomType": "kiosk"})
    seq = await store_without_sending("kiosk")
    hub = get_hub()
    assert await hub.check_history() == 0  # maybe still in flight
    await client.nothing(0.1)
    assert await hub.check_history() == 1
    frame = await client.expect("announcement")
    assert frame["seq"] == seq and frame["data"] == {"lost": seq}
    assert await hub.check_history() == 0


async def test_a_room_whose_frames_are_still_arriving_is_left_to_them(ws):
    client = await ws()
    await client.request("join_room", {"roomType": "kiosk"})
    first = await store_without_sending("kiosk")
    second = await store_without_sending("kiosk")
    hub = get_hub()
    assert await hub.check_history() == 0
    # The first frame arrives late (a burst the process is working through).
    frame = await sync_to_async(
        lambda: outbox.RoomEvent.objects.get(room="kiosk", seq=first).frame
    )()
    hub.dispatch(
        {"room": "kiosk", "seq": first, "event": "announcement", "text": frame}
    )
    assert (await client.expect("announcement"))["seq"] == first
    assert await hub.check_history() == 0  # still moving: no history reads
    await client.nothing(0.1)
    # Nothing more arrived since: the second one is read from the history.
    assert await hub.check_history() == 1
    assert (await client.expect("announcement"))["seq"] == second


class _Quiet:
    def deliver(self, room: str, seq: int | None, event: str, text: str) -> None:
        pass

    def catch_up_later(self, room: str) -> None:
        pass


async def test_sockets_subscribing_together_all_start_from_the_hubs_seq():
    # A wave of joins to a room new to this process: the first adds the group
    # and reads the room's seq; the others wait for that read instead of
    # finding the group added and each reading the seq on its own.
    seq = await store_without_sending("kiosk")
    hub = get_hub()
    known: list[int | None] = []

    async def join() -> None:
        await hub.subscribe("kiosk", _Quiet())
        known.append(hub.seen.get("kiosk"))

    await asyncio.gather(*(join() for _ in range(20)))
    assert known == [seq] * 20
