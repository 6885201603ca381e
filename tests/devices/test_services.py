"""Screen tokens and pairing codes: hashes only, codes once and briefly, revoking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from devices import selectors, services, tokens
from devices.errors import PairingCodeInvalid, TooManyAttempts
from devices.models import Device
from realtime.auth import InvalidToken, user_from_token
from realtime.permissions import KITCHEN_DISPLAY, DevicePrincipal, has_role
from tests.conftest import published

pytestmark = pytest.mark.django_db


def test_only_hashes_are_stored(make_device):
    issued = make_device()
    row = Device.objects.get(pk=issued.device.pk)
    code = issued.pairing_code.replace("-", "")
    stored = " ".join(str(value) for value in row.__dict__.values())
    secret = issued.token[len("tdev_") + 17 :]
    assert issued.token.startswith("tdev_") and len(secret) == 43
    assert secret not in stored and issued.token not in stored and code not in stored
    assert row.token_hash == tokens.token_hash(issued.token)
    assert row.pairing_code_hash == tokens.code_hash(code)


def test_a_token_resolves_to_its_device_principal_without_user_rights(make_device):
    issued = make_device("kitchen_display", "Tablet 1")
    principal = user_from_token(issued.token)
    assert isinstance(principal, DevicePrincipal)
    assert (principal.device_id, principal.name, principal.role) == (
        issued.device.pk,
        "Tablet 1",
        "kitchen_display",
    )
    assert not principal.is_authenticated and not principal.is_staff
    assert principal.pk is None
    assert has_role(principal, KITCHEN_DISPLAY)
    assert not has_role(principal, "barista") and not has_role(principal, "staff_app")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # another secret
        lambda t: t.replace("tdev_", "tdev_0", 1)[:-1],  # another key
        lambda t: t + "x",  # too long
        lambda t: t[:-2],  # too short
        lambda t: "tdev_",
    ],
)
def test_a_wrong_token_is_invalid_and_says_nothing_more(make_device, mangle):
    issued = make_device()
    with pytest.raises(InvalidToken) as refused:
        user_from_token(mangle(issued.token))
    assert str(refused.value) == "Invalid screen token"


def test_jwts_are_still_read_as_jwts(make_user):
    from tests.conftest import token_for

    user = make_user("walker")
    assert user_from_token(token_for(user)) == user


def test_the_pairing_code_gives_the_same_token_once(make_device):
    issued = make_device()
    typed = issued.pairing_code.lower().replace("-", " ")
    device, token = services.device_pair(code=typed, address="10.0.0.1")
    assert device.pk == issued.device.pk and token == issued.token
    row = Device.objects.get(pk=device.pk)
    assert row.paired_at is not None
    assert (row.pairing_code_hash, row.pairing_sealed, row.pairing_expires_at) == (
        "",
        "",
        None,
    )
    with pytest.raises(PairingCodeInvalid):
        services.device_pair(code=issued.pairing_code, address="10.0.0.1")


def test_an_expired_code_is_refused_and_its_sealed_token_forgotten(make_device):
    issued = make_device()
    later = timezone.now() + timedelta(minutes=10, seconds=1)
    with pytest.raises(PairingCodeInvalid):
        services.device_pair(code=issued.pairing_code, address="10.0.0.1", now=later)
    row = Device.objects.get(pk=issued.device.pk)
    assert row.pairing_sealed == "" and row.pairing_code_hash == ""
    # The token itself still works: only the code expired.
    assert user_from_token(issued.token).device_id == issued.device.pk


def test_codes_live_ten_minutes_by_default(make_device):
    issued = make_device()
    lifetime = issued.pairing_expires_at - issued.device.created_at
    assert lifetime == timedelta(minutes=10)


@override_settings(
    DEVICE_PAIRING={
        "CODE_TTL": 600,
        "FAILURE_LIMIT": 3,
        "GLOBAL_FAILURE_LIMIT": 100,
        "FAILURE_WINDOW": 600,
    }
)
def test_wrong_codes_from_an_address_are_limited_even_the_right_one(make_device):
    issued = make_device()
    for _ in range(3):
        with pytest.raises(PairingCodeInvalid):
            services.device_pair(code="AAAA-AAAA", address="10.0.0.9")
    with pytest.raises(TooManyAttempts) as limited:
        services.device_pair(code=issued.pairing_code, address="10.0.0.9")
    assert 0 < limited.value.retry_after <= 600
    # Another address is not held back, and gets its device.
    device, _ = services.device_pair(code=issued.pairing_code, address="10.0.0.10")
    assert device.pk == issued.device.pk


@override_settings(
    DEVICE_PAIRING={
        "CODE_TTL": 600,
        "FAILURE_LIMIT": 100,
        "GLOBAL_FAILURE_LIMIT": 4,
        "FAILURE_WINDOW": 600,
    }
)
def test_wrong_codes_from_everyone_together_are_limited(make_device):
    issued = make_device()
    for n in range(4):
        with pytest.raises(PairingCodeInvalid):
            services.device_pair(code="garbage!", address=f"10.1.0.{n}")
    with pytest.raises(TooManyAttempts):
        services.device_pair(code=issued.pairing_code, address="10.2.0.1")


def test_revoking_refuses_the_token_and_tells_every_process(make_device, staff):
    issued = make_device()
    assert services.device_revoke(device_id=issued.device.pk, actor=staff)
    with pytest.raises(InvalidToken):
        user_from_token(issued.token)
    frames = published("devices", "device:revoked")
    assert [f["data"] for f in frames] == [{"deviceId": issued.device.pk}]
    row = Device.objects.get(pk=issued.device.pk)
    assert row.revoked_by == staff and row.pairing_sealed == ""
    # Twice is once.
    assert not services.device_revoke(device_id=issued.device.pk, actor=staff)
    assert len(published("devices", "device:revoked")) == 1


def test_a_principal_read_before_revoking_loses_its_role(make_device):
    issued = make_device()
    principal = user_from_token(issued.token)
    services.device_revoke(device_id=issued.device.pk)
    assert not has_role(principal, KITCHEN_DISPLAY)
    assert selectors.revoked_among({issued.device.pk, 999}) == {issued.device.pk, 999}


def test_a_revoked_device_cannot_pair(make_device):
    issued = make_device()
    services.device_revoke(device_id=issued.device.pk)
    with pytest.raises(PairingCodeInvalid):
        services.device_pair(code=issued.pairing_code, address="10.0.0.1")


@pytest.mark.parametrize(
    ("name", "role"), [("", "kiosk"), ("x" * 81, "kiosk"), ("Tablet", "barista")]
)
def test_a_device_needs_a_name_and_a_known_role(db, name, role):
    from realtime.errors import DomainError

    with pytest.raises(DomainError):
        services.device_create(name=name, role=role)
    assert not Device.objects.exists()
