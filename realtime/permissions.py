"""Who may do what: the checks shared by REST permissions and room join rules.

Staff may do everything. Other roles (the counter's baristas) are members of
a Django auth group that the app owning the role registers
(`register_group`), so the core names no group itself.

A socket's join checks permissions in one place: the room type's `authorize`
(its join rule, `realtime/rooms.py`), which the consumer's `join()` calls
before subscribing, and which `GET /api/realtime/rooms/<room>/events/`
calls before reading history. Join rules raise `ProtocolError(UNAUTHORIZED)`
(or `NOT_FOUND`); the rules shared by several apps are here.
"""

from __future__ import annotations

from typing import Any

from rest_framework import permissions

from realtime.errors import ErrorCode, ProtocolError

# The role of whoever works the counter: sees the kitchen, toggles sold-out.
BARISTA = "barista"

# role -> the auth group whose members have it.
_groups: dict[str, str] = {}


def register_group(role: str, group: str) -> None:
    """Members of the auth group `group` have `role` (staff have every role)."""
    _groups[role] = group


def is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_staff)


def has_role(user: Any, role: str) -> bool:
    """Staff, or a member of the group registered for `role`."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff:
        return True
    group = _groups.get(role)
    return group is not None and user.groups.filter(name=group).exists()


def is_barista(user: Any) -> bool:
    return has_role(user, BARISTA)


# REST permission classes.


class IsStaff(permissions.BasePermission):
    def has_permission(self, request, view):  # type: ignore[no-untyped-def]
        return is_staff(request.user)


class IsBarista(permissions.BasePermission):
    def has_permission(self, request, view):  # type: ignore[no-untyped-def]
        return is_barista(request.user)


# Join rules (a room type's `authorize(user, ident)`) shared by several apps.


def anyone(user: Any, ident: str | None) -> None:
    return None


def staff_only(user: Any, ident: str | None) -> None:
    if not is_staff(user):
        raise ProtocolError(ErrorCode.UNAUTHORIZED, "Staff only")


def baristas_only(user: Any, ident: str | None) -> None:
    if not is_barista(user):
        raise ProtocolError(ErrorCode.UNAUTHORIZED, "Baristas and staff only")
