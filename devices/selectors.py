"""Reads of the devices app: the devices list, and who a screen token stands for."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from devices import roles, tokens
from devices.models import Device
from realtime.auth import InvalidToken
from realtime.permissions import DevicePrincipal

INVALID = "Invalid screen token"


def device_list() -> QuerySet[Device]:
    return Device.objects.select_related("created_by", "revoked_by")


def device_is_active(device_id: int) -> bool:
    """Whether the device exists and its token is not revoked."""
    return Device.objects.filter(pk=device_id, revoked_at__isnull=True).exists()


def revoked_among(device_ids: Iterable[int]) -> set[int]:
    """The devices of `device_ids` whose token no longer holds."""
    ids = set(device_ids)
    active = set(
        Device.objects.filter(pk__in=ids, revoked_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    return ids - active


def principal_of(device: Device) -> DevicePrincipal:
    role = device.role

    def allows(request: Any) -> bool:
        return roles.allows(role, request)

    return DevicePrincipal(
        device_id=device.pk,
        name=device.name,
        role=role,
        still_valid=device_is_active,
        allows=allows,
    )


def principal_from_token(token: str) -> DevicePrincipal:
    """Who a screen token stands for; InvalidToken (saying nothing more) otherwise."""
    key = tokens.parse(token)
    if key is None:
        raise InvalidToken(INVALID)
    device = Device.objects.filter(key=key).first()
    # A hash is compared even when no device has that key, so the answer
    # takes the same time whether the key exists or not.
    stored = device.token_hash if device is not None else "0" * 64
    if not tokens.same(stored, token) or device is None or device.is_revoked:
        raise InvalidToken(INVALID)
    return principal_of(device)
