"""Who may do what: the checks shared by REST permissions and room join rules.

Staff may do everything. Other roles (the counter's baristas) are members of
a Django auth group that the app owning the role registers
(`register_group`), so the core names no group itself.

A socket's join checks permissions in one place: the room type's `authorize`
(its join rule, `realtime/rooms.py`), which the consumer's `join()` calls
before subscribing, and which `GET /api/realtime/rooms/<room>/events/`
calls before reading history. Join rules raise `ProtocolError(UNAUTHORIZED)`
(or `NOT_FOUND`); the rules shared by several apps are here.

Paired devices (screens with no one to type a password) hold a device token
instead of a login; the app that issues them (devices) resolves a token to
a `DevicePrincipal`: one device role and nothing else. To every check that
does not know devices it is an anonymous user (not authenticated, not
staff, no groups, no primary key), so it never reaches what a login reaches
by accident; `has_role` and `device_may` are the two places that honour its
role, and both ask again whether the token still holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from rest_framework import permissions

from realtime.errors import ErrorCode, ProtocolError
from realtime.rooms import Authorizer

# The role of whoever works the counter: sees the kitchen, toggles sold-out.
BARISTA = "barista"

# Roles of paired devices (one per device; staff have these roles too).
KITCHEN_DISPLAY = "kitchen_display"
PICKUP_BOARD = "pickup_board"
KIOSK = "kiosk"
STAFF_APP = "staff_app"


class DevicePrincipal:
    """The holder of a paired device's token: its role, never a user's rights.

    Anonymous to everything but `has_role` and `device_may`. `user_from_token`
    (realtime/auth.py) returns one for a device token on every socket, and the
    devices app's REST authentication for `Authorization: Bearer <token>`.
    """

    is_authenticated: ClassVar[bool] = False
    is_anonymous: ClassVar[bool] = True
    is_staff: ClassVar[bool] = False
    is_superuser: ClassVar[bool] = False
    is_active: ClassVar[bool] = False
    pk: ClassVar[None] = None
    id: ClassVar[None] = None

    def __init__(
        self,
        *,
        device_id: int,
        name: str,
        role: str,
        still_valid: Callable[[int], bool],
        allows: Callable[[Any], bool] = lambda request: False,
    ) -> None:
        self.device_id = device_id
        self.name = name
        self.role = role
        self._still_valid = still_valid
        # Whether the role may make a REST request (its few ones beyond its rooms).
        self._allows = allows

    def still_valid(self) -> bool:
        """Whether the token still holds (not revoked since it was read): a database read."""
        return self._still_valid(self.device_id)

    def allows(self, request: Any) -> bool:
        return self._allows(request)

    def get_username(self) -> str:
        return ""

    def get_full_name(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<DevicePrincipal {self.device_id} {self.role}>"


# role -> the auth group whose members have it.
_groups: dict[str, str] = {}


def register_group(role: str, group: str) -> None:
    """Members of the auth group `group` have `role` (staff have every role)."""
    _groups[role] = group


def is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_staff)


def has_role(user: Any, role: str) -> bool:
    """Staff, a member of the group registered for `role`, or a device of that role."""
    if isinstance(user, DevicePrincipal):
        return user.role == role and user.still_valid()
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff:
        return True
    group = _groups.get(role)
    if group is None:
        return False
    names = _recent_group_names(user)
    if names is not None:
        return group in names
    return user.groups.filter(name=group).exists()


# A token's user is read with its group names in one query (`user_from_token`).
# For this many seconds that read stands: sockets of the user connecting
# meanwhile reuse it (realtime.auth.token_user), and their joins use the names
# instead of another query, so a reconnect (connect, then join at once) reads
# the database once. After it the database is asked again: a role taken away
# is seen at once.
READ_FRESH_SECONDS = 5.0


def remember_group_names(user: Any, names: Iterable[str]) -> None:
    """Keep the group names just read with `user` for a join that follows."""
    user._tidings_groups = (frozenset(names), time.monotonic())


def _recent_group_names(user: Any) -> frozenset[str] | None:
    kept = getattr(user, "_tidings_groups", None)
    if kept is None or time.monotonic() - kept[1] > READ_FRESH_SECONDS:
        return None
    names: frozenset[str] = kept[0]
    return names


def read_is_fresh(user: Any) -> bool:
    """Whether `user` was read (with its group names) under READ_FRESH_SECONDS ago."""
    return _recent_group_names(user) is not None


def is_barista(user: Any) -> bool:
    return has_role(user, BARISTA)


def device_may(request: Any) -> bool:
    """A paired device's token allows this REST request (its role's few requests)."""
    user = getattr(request, "user", None)
    if not isinstance(user, DevicePrincipal):
        return False
    return user.allows(request) and user.still_valid()


# REST permission classes.


class IsStaff(permissions.BasePermission):
    def has_permission(self, request, view):  # type: ignore[no-untyped-def]
        return is_staff(request.user)


class IsBarista(permissions.BasePermission):
    """Baristas and staff; also a device whose role allows this very request."""

    def has_permission(self, request, view):  # type: ignore[no-untyped-def]
        return is_barista(request.user) or device_may(request)


# Join rules (a room type's `authorize(user, ident)`) shared by several apps.


def anyone(user: Any, ident: str | None) -> None:
    return None


def staff_only(user: Any, ident: str | None) -> None:
    if not is_staff(user):
        raise ProtocolError(ErrorCode.UNAUTHORIZED, "Staff only")


def baristas_only(user: Any, ident: str | None) -> None:
    if not is_barista(user):
        raise ProtocolError(ErrorCode.UNAUTHORIZED, "Baristas and staff only")


def any_role(*roles: str, message: str) -> Authorizer:
    """A join rule: staff, or whoever has one of `roles` (a login or a device token).

    `message` says what the room needs, so a client that is refused knows
    which login or device token to ask for.
    """

    def rule(user: Any, ident: str | None) -> None:
        if not any(has_role(user, role) for role in roles):
            raise ProtocolError(ErrorCode.UNAUTHORIZED, message)

    rule.__doc__ = message
    return rule
