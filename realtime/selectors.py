"""Reads of the real-time history."""

from __future__ import annotations

from realtime.models import RoomEvent, RoomSequence


class ResyncRequired(Exception):
    """The history no longer reaches back to the client's position."""

    def __init__(self, seq: int) -> None:
        super().__init__(f"resync required, current seq {seq}")
        self.seq = seq


def current_seq(room: str) -> int:
    return (
        RoomSequence.objects.filter(room=room)
        .values_list("last_seq", flat=True)
        .first()
        or 0
    )


def events_after(room: str, after: int, *, limit: int = 500) -> list[tuple[int, str]]:
    """`(seq, frame)` of the events after `after`, oldest first; raise ResyncRequired on a gap."""
    current = current_seq(room)
    if after == current:
        return []
    if after > current or after < 0:
        raise ResyncRequired(current)
    rows = list(
        RoomEvent.objects.filter(room=room, seq__gt=after)
        .order_by("seq")
        .values_list("seq", "frame")[:limit]
    )
    if not rows or rows[0][0] != after + 1:
        raise ResyncRequired(current)
    return rows
