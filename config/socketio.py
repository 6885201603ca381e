"""The session class of the Socket.IO gateway (PROTOCOL section 10).

Built from what the apps registered (`realtime/socketio_dialect.py`): the
sockets whose rooms a session may join, and the consumers whose client
events it also handles. Anyone may connect; each room's own join rule
decides what they see. Import this after Django is set up (config/asgi.py).
"""

from typing import Any

from realtime import socketio_dialect
from realtime.socketio_gateway import SocketIOConnection


async def _anyone_may_connect(self: Any) -> None:
    """Anyone may connect; each room decides what they see."""


GatewayConnection: type[SocketIOConnection] = type(
    "GatewayConnection",
    (SocketIOConnection, *socketio_dialect.verb_classes()),
    {
        "__module__": __name__,
        "__doc__": "One Socket.IO session: every registered socket's rooms and verbs.",
        "socket_name": "socketio",
        "requires_user": False,
        "serves_rooms_of": socketio_dialect.served_sockets(),
        "on_ready": _anyone_may_connect,
    },
)
