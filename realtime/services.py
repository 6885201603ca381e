"""State changes of the real-time core itself."""

from __future__ import annotations

from django.db import transaction

import realtime
from realtime import events
from realtime.errors import DomainError, ProtocolError
from realtime.rooms import RoomType, parse_room

LEVELS = ("info", "warning", "critical")

# Where an announcement that names no room goes: registered by the app whose
# screens everyone sees (the orders app: its kiosk room).
_default_room: str | None = None


def set_default_announcement_room(room_type: RoomType) -> None:
    global _default_room
    _default_room = room_type.room_name()


def default_announcement_room() -> str | None:
    return _default_room


@transaction.atomic
def announcement_publish(*, room: str | None, message: str, level: str = "info") -> int:
    """Send a staff announcement to everyone in `room`; return its seq."""
    if room is None:
        raise DomainError("Name the room to announce to")
    try:
        parse_room(room)
    except ProtocolError as exc:
        raise DomainError(exc.message) from None
    message = message.strip()
    if not message or len(message) > 500:
        raise DomainError("An announcement needs 1 to 500 characters")
    if level not in LEVELS:
        raise DomainError(f"level must be one of {', '.join(LEVELS)}")
    return realtime.publish(
        room, events.ANNOUNCEMENT, dict(events.announcement_data(message, level))
    )
