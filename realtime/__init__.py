"""The shared real-time core: envelope, rooms, outbox and replay, fan-out."""

from collections.abc import Iterable, Mapping
from typing import Any


def publish(room: str, event: str, data: dict[str, Any]) -> int:
    """Record `event` for `room` in the current transaction; send it on commit."""
    from realtime.outbox import publish as _publish

    return _publish(room, event, data)


def publish_to(
    rooms: Iterable[str], event: str, data: Mapping[str, Any]
) -> dict[str, int]:
    """Record `event` for several rooms, locked in the one fixed order (see outbox)."""
    from realtime.outbox import publish_to as _publish_to

    return _publish_to(rooms, event, data)
