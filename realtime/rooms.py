"""Room types (PROTOCOL section 3): the registry apps add theirs to.

A room type is declared by the app that owns it, in its `rooms.py` (imported
from its `AppConfig.ready()`): its name, the id field clients send (if the
type has one room per id), the id format, who may join (`authorize`, see
`realtime/permissions.py`) and the sockets that serve it. Room names always
come from the type (`room_type.room_name(ident)`); the registration order is
also the order in which rooms are locked when an event goes to several of
them (`realtime.outbox.publish_to`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from realtime.errors import ErrorCode, ProtocolError
from realtime.jsonsafe import INT_MAX

# Ids are matched whole (`fullmatch`: `$` would also match before a final
# newline) and in ASCII only (`str.isdigit` takes "²" and "٣").
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
INT_PATTERN = re.compile(r"0|[1-9][0-9]{0,18}")

# authorize(user, ident) raises ProtocolError when the user may not join.
Authorizer = Callable[[Any, "str | None"], None]


@dataclass(frozen=True)
class RoomType:
    """One kind of room: `kiosk` (a single room) or `order` (one per `orderId`)."""

    name: str
    # The field clients send the id in; None for a type with a single room.
    id_field: str | None
    # Who may join: raises ProtocolError when `user` may not join room `ident`.
    authorize: Authorizer
    # Sockets (consumers' `socket_name`) that serve this type; empty: all.
    sockets: frozenset[str] = field(default_factory=frozenset)
    # Ids are database keys (positive integers) rather than opaque tokens.
    numeric_id: bool = False

    def room_name(self, ident: str | int | None = None) -> str:
        """The canonical room name: `kiosk`, `order:ab12`, `chat:7`."""
        return self.name if self.id_field is None else f"{self.name}:{ident}"

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


# name -> room type, in registration order (the lock order of `lock_order`).
_registry: dict[str, RoomType] = {}


def register(room_type: RoomType) -> RoomType:
    """Add an app's room type (from its rooms.py); returns it for a module constant."""
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


def lock_order(rooms: Iterable[str]) -> list[str]:
    """`rooms` without repeats, in the one order their sequence rows are locked.

    By room type in registration order (INSTALLED_APPS order, then the order
    of an app's `register` calls), then by id: for the orders app kiosk,
    kitchen, admin, order:<id>; for monitoring endpoints, endpoint:<id>.
    """
    ranks = {name: rank for rank, name in enumerate(_registry)}

    def key(room: str) -> tuple[int, str]:
        room_type, ident = parse_room(room)
        return ranks[room_type.name], ident or ""

    return sorted(dict.fromkeys(rooms), key=key)
