"""Room types of the orders socket (PROTOCOL section 3).

Registered in lock order (`realtime.rooms.lock_order`): an event that goes to
several of these rooms locks kiosk, kitchen, admin, then order:<id>.
"""

from typing import Any

from realtime.errors import ErrorCode, ProtocolError
from realtime.permissions import anyone, baristas_only, staff_only
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
KITCHEN = register(RoomType("kitchen", None, baristas_only, SOCKETS))
ADMIN = register(RoomType("admin", None, staff_only, SOCKETS))
ORDER = register(RoomType("order", "orderId", order_holders, SOCKETS))
# The public pickup board: numbers and statuses only, never an orderId.
PICKUP = register(RoomType("pickup", None, anyone, SOCKETS))
