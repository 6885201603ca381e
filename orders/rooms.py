"""Room types of the orders socket (PROTOCOL section 3)."""

from realtime.rooms import RoomType, anyone, baristas_only, register, staff_only

SOCKETS = frozenset({"orders"})

KITCHEN = register(RoomType("kitchen", None, baristas_only, SOCKETS))
KIOSK = register(RoomType("kiosk", None, anyone, SOCKETS))
ADMIN = register(RoomType("admin", None, staff_only, SOCKETS))
