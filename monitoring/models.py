"""Uptime monitoring: endpoints, their checks, incidents and maintenance windows."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone


class Status(models.TextChoices):
    PENDING = "PENDING"
    UP = "UP"
    DOWN = "DOWN"
    DEGRADED = "DEGRADED"


class KeywordMode(models.TextChoices):
    NONE = "", "No content check"
    CONTAINS = "CONTAINS", "Body must contain"
    NOT_CONTAINS = "NOT_CONTAINS", "Body must not contain"


class CheckType(models.TextChoices):
    HTTP = "http", "HTTP"
    TCP = "tcp", "TCP port"
    TLS = "tls", "TLS certificate"
    JSON = "json", "HTTP + JSON value"


class ChannelKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook (JSON POST)"
    SLACK = "slack", "Slack-compatible webhook"
    EMAIL = "email", "Email"


class NotificationChannel(models.Model):
    """Where incident news goes: a webhook, a Slack-style webhook or email addresses."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    url = models.CharField(max_length=2000, blank=True, default="")
    emails = models.JSONField(default=list, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Endpoint(models.Model):
    """A URL checked on a schedule; holds its current state and streak counters."""

    METHODS = [(m, m) for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")]

    name = models.CharField(max_length=200)
    url = models.CharField(max_length=2000)
    method = models.CharField(max_length=10, choices=METHODS, default="GET")
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True, default="")
    interval_seconds = models.PositiveIntegerField(default=60)
    timeout_seconds = models.FloatField(default=10)
    expected_status_min = models.PositiveIntegerField(default=200)
    expected_status_max = models.PositiveIntegerField(default=299)
    keyword = models.CharField(max_length=500, blank=True, default="")
    keyword_mode = models.CharField(
        max_length=20, choices=KeywordMode.choices, blank=True, default=""
    )
    degraded_threshold_ms = models.PositiveIntegerField(default=1000)
    failure_threshold = models.PositiveIntegerField(default=3)
    recovery_threshold = models.PositiveIntegerField(default=2)
    is_active = models.BooleanField(default=True)
    check_type = models.CharField(
        max_length=10, choices=CheckType.choices, default=CheckType.HTTP
    )
    tls_warn_days = models.PositiveIntegerField(default=14)
    json_path = models.CharField(max_length=500, blank=True, default="")
    json_expected = models.CharField(max_length=500, blank=True, default="")
    group = models.CharField(max_length=100, blank=True, default="")
    notification_channels = models.ManyToManyField(
        NotificationChannel, blank=True, related_name="endpoints"
    )

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    consecutive_failures = models.PositiveIntegerField(default=0)
    consecutive_slow = models.PositiveIntegerField(default=0)
    consecutive_successes = models.PositiveIntegerField(default=0)
    next_check_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_response_time = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Time of the first failure of the current streak (an incident starts there).
    failing_since = models.DateTimeField(null=True, blank=True)
    # When the certificate seen by the last TLS check expires.
    tls_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(
                fields=["next_check_at"],
                name="monitoring_endpoint_due",
                condition=models.Q(is_active=True),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def expects(self, status_code: int) -> bool:
        return self.expected_status_min <= status_code <= self.expected_status_max

    @property
    def expected_status(self) -> str:
        """The accepted status codes as the API writes them: `200-299`."""
        return f"{self.expected_status_min}-{self.expected_status_max}"


class CheckResult(models.Model):
    """One check of an endpoint (raw; rolled up by hour once older than the retention)."""

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="checks"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    response_time = models.PositiveIntegerField(null=True, blank=True)  # ms
    error = models.TextField(blank=True, default="")
    checked_at = models.DateTimeField(db_index=True)
    in_maintenance = models.BooleanField(default=False)

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [
            models.Index(
                fields=["endpoint", "checked_at"], name="monitoring_check_ep_time"
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint_id} {self.status} @ {self.checked_at:%Y-%m-%d %H:%M:%S}"


class CheckRollup(models.Model):
    """Checks of one endpoint in one hour, kept after the raw rows are dropped."""

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="rollups"
    )
    hour = models.DateTimeField()
    total = models.PositiveIntegerField(default=0)  # outside maintenance
    up = models.PositiveIntegerField(default=0)
    degraded = models.PositiveIntegerField(default=0)
    down = models.PositiveIntegerField(default=0)
    response_time_sum = models.BigIntegerField(default=0)
    response_time_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-hour"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "hour"], name="monitoring_rollup_ep_hour"
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint_id} {self.hour:%Y-%m-%d %H}:00"


class Incident(models.Model):
    """A confirmed outage: opened after N failures in a row, resolved after M successes."""

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="incidents"
    )
    started_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    failure_count = models.PositiveIntegerField(default=0)
    first_error = models.TextField(blank=True, default="")
    notes = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint"],
                condition=models.Q(resolved_at__isnull=True),
                name="monitoring_one_open_incident",
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} since {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def duration_seconds(self, now: datetime | None = None) -> int:
        end = self.resolved_at or now or timezone.now()
        return int((end - self.started_at).total_seconds())


class MaintenanceWindow(models.Model):
    """Planned downtime: no incidents open and its checks do not count for uptime."""

    endpoint = models.ForeignKey(
        Endpoint,
        on_delete=models.CASCADE,
        related_name="maintenance_windows",
        null=True,
        blank=True,
        help_text="Empty: every endpoint.",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%Y-%m-%d %H:%M}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class NotificationDelivery(models.Model):
    """One message to one channel, stored with the change it tells of, sent later.

    `key` names the event (`incident:12:opened`): one delivery per event and
    channel whatever the number of workers.
    """

    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, related_name="deliveries"
    )
    endpoint = models.ForeignKey(
        Endpoint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    key = models.CharField(max_length=100)
    event = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True, default="")
    response_code = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "key"], name="monitoring_delivery_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="monitoring_delivery_due",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.channel_id} ({self.status})"
