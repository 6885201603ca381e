"""Every state change of the devices app: create, pair, revoke (one transaction each).

A device's token is made once, when staff create the device, and shown once:
as a link carrying it and as a short pairing code that gives it to whoever
types the code (once, within DEVICE_PAIRING["CODE_TTL"] seconds). Wrong codes
are counted per client address and in all (Django's cache, like failed
logins); past either limit every code is refused until the window passes.
Revoking publishes `device:revoked`: each server process closes that
device's open sockets at once (devices/watch.py).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

import realtime
from devices import events, tokens
from devices.errors import PairingCodeInvalid, TooManyAttempts
from devices.models import MAX_NAME, Device
from devices.roles import Role
from realtime import health
from realtime.errors import DomainError, NotFound

logger = logging.getLogger(__name__)
_FAILURES = "device-pairing-failures"


@dataclass(frozen=True)
class Issued:
    """A new device with its token and pairing code: shown once, never stored."""

    device: Device
    token: str
    pairing_code: str
    pairing_expires_at: datetime


def _conf(name: str) -> int:
    return int(settings.DEVICE_PAIRING[name])


def _actor(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def device_create(
    *, name: str, role: str, actor: Any = None, now: datetime | None = None
) -> Issued:
    """A device of `role` named `name`, with a fresh token and pairing code."""
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > MAX_NAME:
        raise DomainError(
            f"A device needs a name of 1 to {MAX_NAME} characters",
            details={"name": [f"1 to {MAX_NAME} characters"]},
        )
    if role not in Role.values:
        raise DomainError(
            "Unknown role", details={"role": [f"One of {', '.join(Role.values)}"]}
        )
    now = now or timezone.now()
    expires = now + timedelta(seconds=_conf("CODE_TTL"))
    pairing_purge_expired(now)
    for _ in range(5):
        key, secret, code = tokens.new_key(), tokens.new_secret(), tokens.new_code()
        token = tokens.token_for(key, secret)
        try:
            with transaction.atomic():
                device = Device.objects.create(
                    name=name,
                    role=role,
                    key=key,
                    token_hash=tokens.token_hash(token),
                    pairing_code_hash=tokens.code_hash(code),
                    pairing_sealed=tokens.seal(key, code, secret),
                    pairing_expires_at=expires,
                    created_at=now,
                    created_by=_actor(actor),
                )
        except IntegrityError:  # the same key twice: 1 in 2^64, draw again
            continue
        return Issued(device, token, tokens.display_code(code), expires)
    raise RuntimeError("could not draw a unique device key")


@transaction.atomic
def device_revoke(*, device_id: int, actor: Any = None) -> bool:
    """Revoke the device's token; True when it was live until now.

    Its open sockets are closed (4401) by every server process as soon as the
    revocation commits, and the token is refused from then on.
    """
    device = Device.objects.select_for_update().filter(pk=device_id).first()
    if device is None:
        raise NotFound(f"No device {device_id}")
    if device.is_revoked:
        return False
    device.revoked_at = timezone.now()
    device.revoked_by = _actor(actor)
    device.pairing_code_hash = device.pairing_sealed = ""
    device.pairing_expires_at = None
    device.save(
        update_fields=[
            "revoked_at",
            "revoked_by",
            "pairing_code_hash",
            "pairing_sealed",
            "pairing_expires_at",
        ]
    )
    realtime.publish(
        events.ROOM, events.DEVICE_REVOKED, dict(events.revoked_data(device.pk))
    )
    return True


def pairing_purge_expired(now: datetime | None = None) -> int:
    """Forget the sealed tokens of pairing codes that expired unused."""
    return Device.objects.filter(pairing_expires_at__lte=now or timezone.now()).update(
        pairing_code_hash="", pairing_sealed="", pairing_expires_at=None
    )


def device_pair(
    *, code: Any, address: str | None, now: datetime | None = None
) -> tuple[Device, str]:
    """The device and token a pairing code gives, once; the code is used up.

    A wrong, used or expired code is one answer (`PAIRING_CODE_INVALID`) and
    counts as a failure; past the limits every code is refused
    (`TooManyAttempts`) before it is checked.
    """
    wait = _retry_after(address)
    if wait:
        raise TooManyAttempts(wait)
    now = now or timezone.now()
    normalized = tokens.normalize_code(code) if isinstance(code, str) else None
    found: tuple[Device, str] | None = None
    if normalized is not None:
        with transaction.atomic():
            pairing_purge_expired(now)
            device = (
                Device.objects.select_for_update()
                .filter(
                    pairing_code_hash=tokens.code_hash(normalized),
                    pairing_expires_at__gt=now,
                    revoked_at__isnull=True,
                )
                .first()
            )
            if device is not None:
                secret = tokens.unseal(device.key, normalized, device.pairing_sealed)
                token = tokens.token_for(device.key, secret)
                if tokens.same(device.token_hash, token):
                    device.pairing_code_hash = device.pairing_sealed = ""
                    device.pairing_expires_at = None
                    device.paired_at = now
                    device.save(
                        update_fields=[
                            "pairing_code_hash",
                            "pairing_sealed",
                            "pairing_expires_at",
                            "paired_at",
                        ]
                    )
                    found = (device, token)
    if found is None:
        _record_failure(address)
        raise PairingCodeInvalid("Wrong or expired pairing code")
    return found


# -- wrong codes, counted in the cache ----------------------------------------------


def _keys(address: str | None) -> list[tuple[str, int]]:
    return [
        (f"{_FAILURES}:addr:{address or 'unknown'}", _conf("FAILURE_LIMIT")),
        (f"{_FAILURES}:all", _conf("GLOBAL_FAILURE_LIMIT")),
    ]


def _retry_after(address: str | None) -> int:
    """Seconds until codes are taken again from `address`; 0 when they are now."""
    try:
        now = time.time()
        wait = 0.0
        for key, limit in _keys(address):
            if cache.get(key + ":count", 0) >= limit:
                started = cache.get(key + ":since", now)
                wait = max(wait, started + _conf("FAILURE_WINDOW") - now)
        return max(1, math.ceil(wait)) if wait > 0 else 0
    except Exception as exc:  # the cache is away: codes are still 40 bits, short-lived
        if not health.report(exc):
            logger.exception("pairing limits: cache failed")
        return 0


def _record_failure(address: str | None) -> None:
    window = _conf("FAILURE_WINDOW")
    try:
        for key, _limit in _keys(address):
            cache.add(key + ":since", time.time(), timeout=window)
            cache.add(key + ":count", 0, timeout=window)
            try:
                cache.incr(key + ":count")
            except ValueError:  # expired between add and incr
                cache.set(key + ":count", 1, timeout=window)
    except Exception as exc:
        if not health.report(exc):
            logger.exception("pairing limits: cache failed")
