"""A paired device: a named screen or app with one role and one screen token."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from devices.roles import Role

MAX_NAME = 80


class Device(models.Model):
    name = models.CharField(max_length=MAX_NAME)
    role = models.CharField(max_length=20, choices=Role.choices)
    # The public part of its token (`tdev_<key>_...`): finds the row.
    key = models.CharField(max_length=16, unique=True, editable=False)
    # SHA-256 of the whole token; the token itself is never stored.
    token_hash = models.CharField(max_length=64, editable=False)
    # The pairing code (HMAC), its expiry and the token sealed under it:
    # cleared once the code is used, the device revoked, or the code expired.
    pairing_code_hash = models.CharField(
        max_length=64, blank=True, db_index=True, editable=False
    )
    pairing_sealed = models.CharField(max_length=64, blank=True, editable=False)
    pairing_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    paired_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
