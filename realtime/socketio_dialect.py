"""What apps add to the Socket.IO gateway (PROTOCOL section 10).

Clients of the original services speak their own dialect: other event names,
other field names, a few verbs of their own. The gateway
(`realtime/socketio_gateway.py`) knows none of them; each app registers its
part from its events.py (imported from its `AppConfig.ready()`):

- `serve(socket, verbs=...)`: the room types of `socket` may be joined over
  Socket.IO, and the client events of the consumer class `verbs` (a dotted
  path) are served there too;
- `rename(room_type, event, name, fields)`: a room event leaves under its
  original name, with its payload's fields renamed;
- `alias_join_reply(room_type, name)`: a `join_room_success` for that room
  type is also sent under the name the original screens listen for.
"""

from __future__ import annotations

from typing import Any

from django.utils.module_loading import import_string

from realtime.rooms import RoomType

# (room type, event) -> (dialect name, {dialect field: Tidings field}).
DIALECT: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}
# room type -> the other name its `join_room_success` is also sent under.
JOIN_REPLY_ALIASES: dict[str, str] = {}
# socket name -> dotted path of the consumer class whose verbs are served (or None).
_sockets: dict[str, str | None] = {}


def serve(socket: str, *, verbs: str | None = None) -> None:
    """Serve the room types of `socket`, and the client events of `verbs`."""
    _sockets[socket] = verbs


def rename(room_type: RoomType, event: str, name: str, fields: dict[str, str]) -> None:
    """`event` in rooms of `room_type` leaves as `name`, with `{new: old}` fields."""
    DIALECT[(room_type.name, event)] = (name, dict(fields))


def alias_join_reply(room_type: RoomType, name: str) -> None:
    JOIN_REPLY_ALIASES[room_type.name] = name


def served_sockets() -> frozenset[str]:
    """The sockets whose room types a Socket.IO session may join."""
    return frozenset(_sockets)


def verb_classes() -> list[type[Any]]:
    """The consumer classes whose client events Socket.IO sessions also handle."""
    return [import_string(path) for path in _sockets.values() if path is not None]
