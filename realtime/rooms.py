"""Room types (PROTOCOL section 3): who may join, and room -> Channels group names."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from realtime.errors import ErrorCode, ProtocolError

# Ids are matched whole (`fullmatch`: `$` would also match before a final
# newline) and in ASCII only (`str.isdigit` takes "²" and "٣").
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
INT_PATTERN = re.compile(r"0|[1-9][0-9]{0,18}")
# Numbers a client sends must fit a signed 64-bit column.
INT_MAX = 2**63 - 1
# Id fields whose values are database keys (PROTOCOL section 3); the others
# (`orderId`) are opaque tokens.
NUMERIC_ID_FIELDS = frozenset({"sessionId", "endpointId"})

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

    @property
    def numeric_id(self) -> bool:
        return self.id_field in NUMERIC_ID_FIELDS

    def parse_id(self, raw: Any) -> str:
        """The canonical id of this room type from a client value (ProtocolError if bad)."""
        field = self.id_field or "id"
        if self.numeric_id:
            return str(parse_int(raw, field, minimum=1))
        if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
            raw = str(raw)
        if not isinstance(raw, str) or not ID_PATTERN.fullmatch(raw):
            raise ProtocolError(
                ErrorCode.VALIDATION_ERROR,
                f"{field} is required for roomType '{self.name}' "
                "(letters, digits, '-' or '_')",
            )
        return raw


def parse_int(raw: Any, field: str, *, minimum: int = 0) -> int:
    """An integer from a client: a JSON integer or a string of ASCII digits.

    The one parser for ids and numbers in frames and query strings: no signs,
    spaces, leading zeros or non-ASCII digits, and within [minimum, 2^63-1].
    """
    if isinstance(raw, str) and INT_PATTERN.fullmatch(raw):
        raw = int(raw)
    if (
        isinstance(raw, bool)
        or not isinstance(raw, int)
        or not minimum <= raw <= INT_MAX
    ):
        raise ProtocolError(
            ErrorCode.VALIDATION_ERROR,
            f"{field} must be an integer from {minimum} to {INT_MAX}",
        )
    return raw


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
        ident = room_type.parse_id(data.get(room_type.id_field))
    return room_type, room_type.room_name(ident)


def parse_room(room: str) -> tuple[RoomType, str | None]:
    """Split a canonical room name (`order:ab12`) into its type and id."""
    name, _, ident = room.partition(":")
    room_type = get_room_type(name)
    if (room_type.id_field is None) != (ident == ""):
        raise ProtocolError(ErrorCode.VALIDATION_ERROR, f"Malformed room name '{room}'")
    if ident:
        try:
            canonical = room_type.parse_id(ident)
        except ProtocolError:
            canonical = None
        if canonical != ident:
            raise ProtocolError(
                ErrorCode.VALIDATION_ERROR, f"Malformed room name '{room}'"
            )
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
