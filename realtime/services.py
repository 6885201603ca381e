"""State changes of the real-time core itself."""

from __future__ import annotations

from django.db import transaction

import realtime
from realtime import events
from realtime.errors import DomainError, ProtocolError
from realtime.rooms import parse_room

LEVELS = ("info", "warning", "critical")


@transaction.atomic
def announcement_publish(*, room: str, message: str, level: str = "info") -> int:
    """Send a staff announcement to everyone in `room`; return its seq."""
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
