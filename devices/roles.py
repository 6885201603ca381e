"""What each role of a paired device may do (PROTOCOL section 1, screen tokens).

Which rooms a role may join is decided by the rooms' own join rules
(`orders/rooms.py`, with the roles of `realtime.permissions`); `GRANTS` says
it for people. `allows` is the only REST a role may call beyond reading its
rooms' history: a kitchen display moves orders along, as the original
kitchen screen did over REST, and does nothing else (no cancelling, no
sold-out, no undo).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from realtime import permissions


class Role(models.TextChoices):
    KITCHEN_DISPLAY = permissions.KITCHEN_DISPLAY, "Kitchen display"
    PICKUP_BOARD = permissions.PICKUP_BOARD, "Pickup board"
    KIOSK = permissions.KIOSK, "Kiosk"
    STAFF_APP = permissions.STAFF_APP, "Staff app"


# role -> what a device of that role gets, in a sentence for the pages.
GRANTS: dict[str, str] = {
    Role.KITCHEN_DISPLAY: (
        "the kitchen room (new orders, status changes, cancellations, sold-out "
        "items) on every socket, and moving orders to MAKING, READY or "
        "COMPLETED over REST"
    ),
    Role.PICKUP_BOARD: "the public pickup board's room, as without a token",
    Role.KIOSK: "the kiosk room (sold-out items, settings), as without a token",
    Role.STAFF_APP: (
        "the admin and kitchen rooms (order and cell events): what the "
        "kiosk/admin app gets on /ws with a staff login"
    ),
}

# The statuses a kitchen display may move an order to over REST.
KITCHEN_MOVES = frozenset({"MAKING", "READY", "COMPLETED"})


def allows(role: str, request: Any) -> bool:
    """Whether a device of `role` may make this REST request."""
    match = getattr(request, "resolver_match", None)
    wanted = (request.method, getattr(match, "url_name", None))
    if role == Role.KITCHEN_DISPLAY and wanted == ("PATCH", "order-status"):
        data = request.data
        return hasattr(data, "get") and data.get("status") in KITCHEN_MOVES
    return False
