"""Room types of the orders socket (PROTOCOL section 3)."""

from typing import Any

from realtime.errors import ErrorCode, ProtocolError
from realtime.rooms import RoomType, anyone, baristas_only, register, staff_only

SOCKETS = frozenset({"orders"})


def order_holders(user: Any, ident: str | None) -> None:
    """The orderId is the capability: anyone holding an existing one may follow it."""
    from orders.selectors import order_exists

    if not ident or not order_exists(order_id=ident):
        raise ProtocolError(ErrorCode.NOT_FOUND, "Order not found")


KITCHEN = register(RoomType("kitchen", None, baristas_only, SOCKETS))
ORDER = register(RoomType("order", "orderId", order_holders, SOCKETS))
KIOSK = register(RoomType("kiosk", None, anyone, SOCKETS))
ADMIN = register(RoomType("admin", None, staff_only, SOCKETS))
