"""Room types of the orders socket (PROTOCOL section 3).

Registered in lock order (`realtime.rooms.lock_order`): an event that goes to
several of these rooms locks kiosk, kitchen, admin, then order:<id>.
"""

from typing import Any

from realtime.errors import ErrorCode, ProtocolError
from realtime.permissions import (
    BARISTA,
    KITCHEN_DISPLAY,
    STAFF_APP,
    any_role,
    anyone,
)
from realtime.rooms import RoomType, register

SOCKETS = frozenset({"orders"})

# Members of this auth group work the counter (with staff); see apps.py.
BARISTA_GROUP = "barista"


def order_holders(user: Any, ident: str | None) -> None:
    """The orderId is the capability: anyone holding an existing one may follow it."""
    from orders.selectors import order_exists

    if not ident or not order_exists(order_id=ident):
        raise ProtocolError(ErrorCode.NOT_FOUND, "Order not found")


KIOSK = register(RoomType("kiosk", None, anyone, SOCKETS))
# Who may join says, when refused, which login or screen token it needs.
kitchen_rule = any_role(
    BARISTA,
    KITCHEN_DISPLAY,
    STAFF_APP,
    message="The kitchen room needs a barista or staff login, "
    "or a kitchen-display (or staff-app) screen token",
)
admin_rule = any_role(
    STAFF_APP,
    message="The admin room needs a staff login or a staff-app screen token",
)

KITCHEN = register(RoomType("kitchen", None, kitchen_rule, SOCKETS))
ADMIN = register(RoomType("admin", None, admin_rule, SOCKETS))
ORDER = register(RoomType("order", "orderId", order_holders, SOCKETS))
# The public pickup board: numbers and statuses only, never an orderId.
PICKUP = register(RoomType("pickup", None, anyone, SOCKETS))
