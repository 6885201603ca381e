"""Publishing: events are stored with the change they describe and sent on commit.

`publish()` runs inside the service's transaction: it takes the room's next
gap-free `seq` (the sequence row stays locked until commit, so a room's events
commit in `seq` order), stores the exact frame clients will receive, and hands
it to the channel layer once the transaction commits. A frame the layer could
not take stays unpublished and the relay sends it later. `publish_to()` sends
one event to several rooms, locking them in the one fixed order.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from realtime import metrics
from realtime.counters import next_value
from realtime.models import RoomEvent, RoomSequence
from realtime.rooms import group_name, lock_order

logger = logging.getLogger(__name__)

ROOM_EVENT_TYPE = "room.event"
SEND_TIMEOUT = 5.0


def encode(payload: dict[str, Any]) -> str:
    """The one JSON encoding of every frame Tidings sends."""
    return json.dumps(
        payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")
    )


def _next_seq(room: str) -> int:
    return next_value(RoomSequence, "last_seq", room=room)


def publish(room: str, event: str, data: dict[str, Any]) -> int:
    """Store `event` for `room` in the open transaction and send it on commit; return its seq."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("realtime.publish() must run inside transaction.atomic()")
    seq = _next_seq(room)
    frame = encode({"event": event, "data": data, "room": room, "seq": seq})
    row = RoomEvent.objects.create(room=room, seq=seq, event=event, frame=frame)
    transaction.on_commit(lambda: _send_committed([row]))
    return seq


def publish_to(
    rooms: Iterable[str], event: str, data: Mapping[str, Any]
) -> dict[str, int]:
    """Publish one event to several rooms in the open transaction; return each room's seq.

    Each room's sequence row stays locked until commit, so two transactions
    that lock the same rooms in different orders could deadlock. Here the
    rooms are locked in one fixed order, whatever order the caller lists
    them in: by room type in registration order, then by id
    (`realtime.rooms.lock_order`: kiosk, kitchen, admin, order:<id>;
    endpoints, endpoint:<id>). A room listed twice gets the event once.

    Rooms locked earlier in the same transaction stay locked: a service that
    publishes several events publishes them in that same order (an order's
    events before a cell's balance event, which goes to admin only).
    """
    return {room: publish(room, event, dict(data)) for room in lock_order(rooms)}


def layer_message(row: RoomEvent) -> dict[str, Any]:
    return {
        "type": ROOM_EVENT_TYPE,
        "room": row.room,
        "seq": row.seq,
        "event": row.event,
        "text": row.frame,
        "ts": time.time(),
    }


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _publisher_loop() -> asyncio.AbstractEventLoop:
    """One event loop thread per process for sends from sync code.

    Without it every commit would run `async_to_sync` on a new loop, and a
    Redis layer would open a new connection for each.
    """
    global _loop
    with _loop_lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(
                target=loop.run_forever, name="tidings-publisher", daemon=True
            ).start()
            _loop = loop
    return _loop


async def _group_send_all(layer: Any, rows: list[RoomEvent]) -> None:
    for row in rows:
        await layer.group_send(group_name(row.room), layer_message(row))


def _send_committed(rows: list[RoomEvent]) -> None:
    from realtime.runtime import is_serving

    layer = get_channel_layer()
    try:
        if isinstance(layer, InMemoryChannelLayer):
            if not is_serving():
                # A command run beside an embedded server cannot reach its
                # memory: leave the event to that server's relay.
                return
            # In-memory queues belong to the server's loop: send from there.
            async_to_sync(_group_send_all)(layer, rows)
        else:
            future = asyncio.run_coroutine_threadsafe(
                _group_send_all(layer, rows), _publisher_loop()
            )
            future.result(timeout=SEND_TIMEOUT)
    except Exception as exc:  # the relay retries; the change itself is committed
        metrics.RELAY_BACKLOG_EVENTS.inc(len(rows))
        logger.warning(
            "channel layer unavailable, %d event(s) left to the relay: %s",
            len(rows),
            exc,
        )
        return
    mark_published(rows)


def unpublished(limit: int = 500) -> list[RoomEvent]:
    """Committed events the channel layer never took, oldest first."""
    cutoff = timezone.now() - timedelta(seconds=settings.TIDINGS["RELAY_GRACE"])
    return list(
        RoomEvent.objects.filter(published=False, created_at__lte=cutoff).order_by(
            "id"
        )[:limit]
    )


def mark_published(rows: list[RoomEvent]) -> None:
    RoomEvent.objects.filter(pk__in=[row.pk for row in rows]).update(published=True)


def prune_history(*, now: datetime | None = None) -> int:
    """Drop events outside the window: keep the last N per room or those younger than the age."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.TIDINGS["HISTORY_MIN_AGE"])
    keep = settings.TIDINGS["HISTORY_MIN_EVENTS"]
    deleted = 0
    rooms = (
        RoomEvent.objects.filter(created_at__lt=cutoff, published=True)
        .values_list("room", flat=True)
        .distinct()
    )
    for room in list(rooms):
        last = (
            RoomSequence.objects.filter(room=room)
            .values_list("last_seq", flat=True)
            .first()
        )
        if last is None:
            continue
        count, _ = RoomEvent.objects.filter(
            room=room, seq__lte=last - keep, created_at__lt=cutoff, published=True
        ).delete()
        deleted += count
    return deleted


def volatile_message(room: str, event: str, data: dict[str, Any]) -> dict[str, Any]:
    """A room frame without `seq`: delivered live to the room, never stored or replayed."""
    return {
        "type": ROOM_EVENT_TYPE,
        "room": room,
        "seq": None,
        "event": event,
        "text": encode({"event": event, "data": data, "room": room}),
        "ts": time.time(),
    }


def broadcast_volatile(room: str, event: str, data: dict[str, Any]) -> None:
    """Send a volatile event to `room` (on commit inside a transaction, else now).

    For state that only matters live (typing, presence): a client that missed
    it reloads the state instead. Sync code only; async code awaits
    `abroadcast_volatile`.
    """
    message = volatile_message(room, event, data)

    def send() -> None:
        try:
            async_to_sync(get_channel_layer().group_send)(group_name(room), message)
        except Exception as exc:
            logger.info("volatile %s to %s dropped: %s", event, room, exc)

    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(send)
    else:
        send()


async def abroadcast_volatile(room: str, event: str, data: dict[str, Any]) -> None:
    """`broadcast_volatile` for async code (never inside a transaction)."""
    try:
        await get_channel_layer().group_send(
            group_name(room), volatile_message(room, event, data)
        )
    except Exception as exc:
        logger.info("volatile %s to %s dropped: %s", event, room, exc)
