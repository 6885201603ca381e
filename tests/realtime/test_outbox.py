"""Publishing, history, replay reads, pruning and the relay."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.db import transaction
from django.utils import timezone

import realtime
from realtime import runtime
from realtime.errors import DomainError
from realtime.models import RoomEvent
from realtime.outbox import prune_history, unpublished
from realtime.rooms import group_name
from realtime.selectors import ResyncRequired, current_seq, events_after
from realtime.services import announcement_publish

pytestmark = pytest.mark.django_db(transaction=True)


def publish(room: str = "kiosk", **data: object) -> int:
    with transaction.atomic():
        return realtime.publish(room, "announcement", data or {"n": 1})


def test_publish_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        realtime.publish("kiosk", "announcement", {})


def test_seq_is_gap_free_per_room_and_starts_at_one():
    assert [publish("kiosk") for _ in range(3)] == [1, 2, 3]
    assert publish("kitchen") == 1
    assert current_seq("kiosk") == 3


def test_frame_is_stored_exactly_as_sent():
    seq = publish("kiosk", message="héllo <b>")
    frame = json.loads(RoomEvent.objects.get(room="kiosk", seq=seq).frame)
    assert frame == {
        "event": "announcement",
        "data": {"message": "héllo <b>"},
        "room": "kiosk",
        "seq": 1,
    }


def test_rolled_back_transaction_stores_and_sends_nothing():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        realtime.publish("kiosk", "announcement", {})
        1 / 0  # noqa: B018
    assert RoomEvent.objects.count() == 0
    assert publish("kiosk") == 1


def test_rolled_back_savepoint_keeps_the_outer_events():
    with transaction.atomic():
        realtime.publish("kiosk", "announcement", {"keep": 1})
        try:
            with transaction.atomic():
                realtime.publish("kiosk", "announcement", {"drop": 1})
                raise ValueError
        except ValueError:
            pass
    frames = [json.loads(f) for f in RoomEvent.objects.values_list("frame", flat=True)]
    assert [f["data"] for f in frames] == [{"keep": 1}]
    assert publish("kiosk") == 2


def test_events_after_returns_the_missing_frames_in_order():
    for _ in range(5):
        publish()
    assert [seq for seq, _ in events_after("kiosk", 2)] == [3, 4, 5]
    assert events_after("kiosk", 5) == []


def test_events_after_a_pruned_position_requires_resync():
    for _ in range(5):
        publish()
    RoomEvent.objects.filter(seq__lte=3).delete()
    with pytest.raises(ResyncRequired) as info:
        events_after("kiosk", 1)
    assert info.value.seq == 5
    assert [seq for seq, _ in events_after("kiosk", 3)] == [4, 5]


def test_a_position_ahead_of_the_room_requires_resync():
    publish()
    with pytest.raises(ResyncRequired):
        events_after("kiosk", 7)


def test_prune_keeps_the_last_n_events_or_the_recent_ones(settings):
    settings.TIDINGS = {
        **settings.TIDINGS,
        "HISTORY_MIN_EVENTS": 3,
        "HISTORY_MIN_AGE": 3600,
    }
    for _ in range(10):
        publish()
    RoomEvent.objects.filter(seq__lte=8).update(
        created_at=timezone.now() - timedelta(hours=2)
    )
    RoomEvent.objects.update(published=True)
    assert prune_history() == 7
    assert list(RoomEvent.objects.order_by("seq").values_list("seq", flat=True)) == [
        8,
        9,
        10,
    ]


def test_prune_keeps_young_events_beyond_the_count(settings):
    settings.TIDINGS = {
        **settings.TIDINGS,
        "HISTORY_MIN_EVENTS": 2,
        "HISTORY_MIN_AGE": 3600,
    }
    for _ in range(6):
        publish()
    RoomEvent.objects.update(published=True)
    assert prune_history() == 0


def test_relay_sends_what_the_layer_did_not_take(monkeypatch):
    # Outside a serving process the in-memory layer leaves events to the relay.
    monkeypatch.setattr(runtime, "_serving", False)
    publish()
    RoomEvent.objects.update(created_at=timezone.now() - timedelta(seconds=10))
    assert [row.seq for row in unpublished()] == [1]
    from channels.layers import get_channel_layer

    layer = get_channel_layer()

    async def relay_and_receive() -> dict:
        channel = await layer.new_channel()
        await layer.group_add(group_name("kiosk"), channel)
        assert await runtime.relay_once() == 1
        return await layer.receive(channel)

    message = async_to_sync(relay_and_receive)()
    assert message["seq"] == 1 and message["room"] == "kiosk"
    assert json.loads(message["text"])["event"] == "announcement"
    assert unpublished() == []


def test_announcement_service_validates_and_publishes():
    seq = announcement_publish(
        room="kiosk", message="  Closing at 5  ", level="warning"
    )
    frame = json.loads(RoomEvent.objects.get(room="kiosk", seq=seq).frame)
    assert (
        frame["data"]["message"] == "Closing at 5"
        and frame["data"]["level"] == "warning"
    )
    with pytest.raises(DomainError):
        announcement_publish(room="kiosk", message=" ")
    with pytest.raises(DomainError):
        announcement_publish(room="kiosk", message="x", level="loud")
