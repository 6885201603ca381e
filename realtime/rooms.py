"""Room types (PROTOCOL section 3): who may join, and room -> Channels group names."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from realtime.errors import ErrorCode, ProtocolError

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# authorize(user, ident) raises ProtocolError when the user may not join.
Authorizer = Callable[[Any, "str | None"], None]


@dataclass(frozen=True)
class RoomType:
    name: str
    id_field: str | None
    authorize: Authorizer
    sockets: frozenset[str] = field(default_factory=frozenset)

    def room_name(self, ident: str | None) -> str:
        return self.name if self.id_field is None else f"{self.name}:{ident}"


_registry: dict[str, RoomType] = {}


def register(room_type: RoomType) -> RoomType:
    _registry[room_type.name] = room_type
    return room_type


def get_room_type(name: str) -> RoomType:
    try:
        return _registry[name]
    except KeyError:
        raise ProtocolError(
            ErrorCode.VALIDATION_ERROR, f"Unknown roomType '{name}'"
        ) from None


def group_name(room: str) -> str:
    """The Channels group of a room: `order:ab12` -> `room.order.ab12`."""
    return "room." + room.replace(":", ".")


def resolve(data: dict[str, Any], *, sockets: Collection[str]) -> tuple[RoomType, str]:
    """Validate `{roomType, <idField>}` on a socket serving the rooms of `sockets`."""
    name = data.get("roomType")
    if not isinstance(name, str) or not name:
        raise ProtocolError(
            ErrorCode.VALIDATION_ERROR, "roomType must be a non-empty string"
        )
    room_type = get_room_type(name)
    if room_type.sockets and room_type.sockets.isdisjoint(sockets):
        raise ProtocolError(
            ErrorCode.VALIDATION_ERROR,
            f"roomType '{name}' is not served on this socket",
        )
    ident = None
    if room_type.id_field is not None:
        raw = data.get(room_type.id_field)
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
        if not isinstance(raw, str) or not ID_PATTERN.match(raw):
            raise ProtocolError(
                ErrorCode.VALIDATION_ERROR,
                f"{room_type.id_field} is required for roomType '{name}' "
                "(letters, digits, '-' or '_')",
            )
        ident = raw
    return room_type, room_type.room_name(ident)


def parse_room(room: str) -> tuple[RoomType, str | None]:
    """Split a canonical room name (`order:ab12`) into its type and id."""
    name, _, ident = room.partition(":")
    room_type = get_room_type(name)
    if (room_type.id_field is None) != (ident == ""):
        raise ProtocolError(ErrorCode.VALIDATION_ERROR, f"Malformed room name '{room}'")
    if ident and not ID_PATTERN.match(ident):
        raise ProtocolError(ErrorCode.VALIDATION_ERROR, f"Malformed room name '{room}'")
    return room_type, ident or None


# Who-may-join checks shared by several apps.


def is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_staff)


def is_barista(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or user.groups.filter(name="barista").exists()


def anyone(user: Any, ident: str | None) -> None:
    return None


def staff_only(user: Any, ident: str | None) -> None:
    if not is_staff(user):
        raise ProtocolError(ErrorCode.UNAUTHORIZED, "Staff only")


def baristas_only(user: Any, ident: str | None) -> None:
    if not is_barista(user):
        raise ProtocolError(ErrorCode.UNAUTHORIZED, "Baristas and staff only")
