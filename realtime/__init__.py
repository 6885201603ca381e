"""The shared real-time core: envelope, rooms, outbox and replay, fan-out."""

from typing import Any


def publish(room: str, event: str, data: dict[str, Any]) -> int:
    """Record `event` for `room` in the current transaction; send it on commit."""
    from realtime.outbox import publish as _publish

    return _publish(room, event, data)
