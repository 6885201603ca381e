"""Every state change of monitoring: validate, write, publish, in one transaction.

`check_record` holds the rules that turn one check's outcome into statuses,
incidents and events; the checker only does HTTP and calls it.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

import realtime
from monitoring import conf, events
from monitoring.errors import (
    ChannelNotFound,
    EndpointNotFound,
    IncidentNotFound,
    MonitoringError,
)
from monitoring.models import (
    ChannelKind,
    CheckResult,
    CheckRollup,
    CheckType,
    DeliveryStatus,
    Endpoint,
    Incident,
    KeywordMode,
    MaintenanceWindow,
    NotificationChannel,
    NotificationDelivery,
    Status,
)

# `$.a.b[0].c`: the JSON path subset json checks accept.
JSON_PATH = re.compile(r"^\$(\.[A-Za-z_][\w-]*|\[\d+\])+$")


@dataclass(frozen=True)
class CheckOutcome:
    """What one HTTP check saw; `error` set means no usable answer (connection, timeout)."""

    status_code: int | None = None
    response_time: int | None = None  # milliseconds
    error: str = ""
    body: str | None = None
    # TLS checks: when the certificate the server showed expires.
    tls_expires_at: datetime | None = None


def _publish_both(endpoint_id: int, event: str, data: Any) -> None:
    realtime.publish_to(
        [events.ALL_ROOM, events.endpoint_room(endpoint_id)], event, data
    )


def in_maintenance(endpoint: Endpoint, now: datetime) -> bool:
    return MaintenanceWindow.objects.filter(
        Q(endpoint=endpoint) | Q(endpoint__isnull=True),
        starts_at__lte=now,
        ends_at__gt=now,
    ).exists()


def json_lookup(document: Any, path: str) -> Any:
    """The value at `$.a.b[0]` in a parsed JSON document; KeyError when absent."""
    value = document
    for name, index in re.findall(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]", path[1:]):
        if name:
            if not isinstance(value, dict) or name not in value:
                raise KeyError(name)
            value = value[name]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                raise KeyError(index)
            value = value[int(index)]
    return value


def _json_text(value: Any) -> str:
    """A JSON value as jsonExpected is written: strings bare, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _classify_json(endpoint: Endpoint, body: str | None) -> str:
    """The reason a JSON check fails, or "" when the value is the expected one."""
    try:
        document = json.loads(body or "")
    except ValueError:
        return "Body is not JSON"
    try:
        value = json_lookup(document, endpoint.json_path)
    except KeyError:
        return f"{endpoint.json_path} not found"
    text = _json_text(value)
    if text != endpoint.json_expected:
        return (
            f"{endpoint.json_path} is {text[:100]} (expected {endpoint.json_expected})"
        )
    return ""


def _classify_tls(
    endpoint: Endpoint, outcome: CheckOutcome, now: datetime
) -> tuple[str, str]:
    expires = outcome.tls_expires_at
    if expires is None:
        return Status.DOWN, "No certificate"
    if expires <= now:
        return Status.DOWN, f"Certificate expired on {expires:%Y-%m-%d %H:%M} UTC"
    if expires - now <= timedelta(days=endpoint.tls_warn_days):
        days = (expires - now).days
        return (
            Status.DEGRADED,
            f"Certificate expires in {days} days ({expires:%Y-%m-%d %H:%M} UTC)",
        )
    return Status.UP, ""


def classify(
    endpoint: Endpoint, outcome: CheckOutcome, now: datetime | None = None
) -> tuple[str, str, bool]:
    """One check on its own: (status, error message, answered but slow)."""
    slow = (
        outcome.response_time is not None
        and outcome.response_time > endpoint.degraded_threshold_ms
    )
    if endpoint.check_type in (CheckType.TCP, CheckType.TLS):
        if outcome.error:
            return Status.DOWN, outcome.error, False
        if endpoint.check_type == CheckType.TCP:
            return Status.UP, "", slow
        status, error = _classify_tls(endpoint, outcome, now or timezone.now())
        return status, error, slow and status != Status.DOWN
    if outcome.error or outcome.status_code is None:
        return Status.DOWN, outcome.error or "No response", False
    if not endpoint.expects(outcome.status_code):
        return (
            Status.DOWN,
            f"Unexpected status {outcome.status_code} "
            f"(expected {endpoint.expected_status})",
            False,
        )
    if endpoint.check_type == CheckType.JSON:
        problem = _classify_json(endpoint, outcome.body)
        if problem:
            return Status.DOWN, problem, False
    if endpoint.keyword and endpoint.keyword_mode:
        found = endpoint.keyword in (outcome.body or "")
        if endpoint.keyword_mode == KeywordMode.CONTAINS and not found:
            return Status.DEGRADED, f"Keyword '{endpoint.keyword}' not found", slow
        if endpoint.keyword_mode == KeywordMode.NOT_CONTAINS and found:
            return Status.DEGRADED, f"Keyword '{endpoint.keyword}' found", slow
    return Status.UP, "", slow


def _judge(
    endpoint: Endpoint, outcome: CheckOutcome, now: datetime
) -> tuple[str, str, bool]:
    """(status, error, answered) of this check; moves the endpoint's streak counters.

    A run of slow answers makes an UP check DEGRADED (`SLOW_STREAK` in a row).
    """
    status, error, slow = classify(endpoint, outcome, now)
    answered = status != Status.DOWN
    endpoint.consecutive_slow = endpoint.consecutive_slow + 1 if slow else 0
    if status == Status.UP and endpoint.consecutive_slow >= conf.get("SLOW_STREAK"):
        status = Status.DEGRADED
        error = (
            f"Slower than {endpoint.degraded_threshold_ms} ms on "
            f"{endpoint.consecutive_slow} checks in a row"
        )
    if answered:
        endpoint.consecutive_successes += 1
        endpoint.consecutive_failures = 0
        endpoint.failing_since = None
    else:
        if endpoint.consecutive_failures == 0:
            endpoint.failing_since = now
        endpoint.consecutive_failures += 1
        endpoint.consecutive_successes = 0
    return status, error, answered


@dataclass
class _IncidentMove:
    """The endpoint's open incident after a check, and what the check did to it."""

    open: Incident | None
    started: Incident | None = None
    resolved: Incident | None = None


def _move_incident(
    endpoint: Endpoint, *, answered: bool, error: str, maintenance: bool, now: datetime
) -> _IncidentMove:
    """Count a failure on the open incident, open one, or resolve it on recovery.

    A new incident needs `failure_threshold` failures in a row outside
    maintenance; it is resolved after `recovery_threshold` answers in a row.
    """
    incident = Incident.objects.filter(
        endpoint=endpoint, resolved_at__isnull=True
    ).first()
    if not answered:
        if incident is not None:
            incident.failure_count += 1
            incident.save(update_fields=["failure_count"])
            return _IncidentMove(incident)
        if (
            endpoint.consecutive_failures >= endpoint.failure_threshold
            and not maintenance
        ):
            started = Incident.objects.create(
                endpoint=endpoint,
                started_at=endpoint.failing_since or now,
                failure_count=endpoint.consecutive_failures,
                first_error=error[:2000],
            )
            return _IncidentMove(started, started=started)
        return _IncidentMove(None)
    if (
        incident is not None
        and endpoint.consecutive_successes >= endpoint.recovery_threshold
    ):
        incident.resolved_at = now
        incident.save(update_fields=["resolved_at"])
        return _IncidentMove(None, resolved=incident)
    return _IncidentMove(incident)


def _next_delay(endpoint: Endpoint, answered: bool) -> float:
    """Seconds to the next check: sooner while a failure is not yet confirmed."""
    unconfirmed = (
        not answered and endpoint.consecutive_failures < endpoint.failure_threshold
    )
    if unconfirmed:
        return min(conf.get("RETRY_INTERVAL"), endpoint.interval_seconds)
    return endpoint.interval_seconds


def _save_state(
    endpoint: Endpoint,
    *,
    status: str,
    error: str,
    answered: bool,
    incident: Incident | None,
    outcome: CheckOutcome,
    now: datetime,
) -> str:
    """Save the endpoint's status, last answer and next check; return the old status."""
    previous = endpoint.status
    # An open incident keeps the endpoint DOWN until recovery is confirmed.
    endpoint.status = Status.DOWN if incident is not None else status
    if endpoint.status != previous:
        endpoint.status_changed_at = now
    endpoint.last_checked_at = now
    endpoint.last_status_code = outcome.status_code
    endpoint.last_response_time = outcome.response_time
    endpoint.last_error = error[:2000]
    if endpoint.check_type == CheckType.TLS and outcome.tls_expires_at is not None:
        endpoint.tls_expires_at = outcome.tls_expires_at
    if endpoint.is_active:
        endpoint.next_check_at = now + timedelta(
            seconds=_next_delay(endpoint, answered)
        )
    endpoint.save()
    return previous


def _publish_check(
    endpoint: Endpoint, check: CheckResult, previous: str, incidents: _IncidentMove
) -> None:
    _publish_both(
        endpoint.pk, events.CHECK_COMPLETED, events.check_completed(endpoint, check)
    )
    if endpoint.status != previous:
        _publish_both(
            endpoint.pk,
            events.STATUS_CHANGED,
            events.status_changed(endpoint, previous, check),
        )
    if incidents.started is not None:
        _publish_both(
            endpoint.pk,
            events.INCIDENT_STARTED,
            events.incident_started(incidents.started),
        )
    if incidents.resolved is not None:
        _publish_both(
            endpoint.pk,
            events.INCIDENT_RESOLVED,
            events.incident_resolved(incidents.resolved),
        )


@transaction.atomic
def check_record(
    *, endpoint_id: int, outcome: CheckOutcome, now: datetime | None = None
) -> CheckResult:
    """Store one check, move the endpoint's status and incidents, publish the events."""
    now = now or timezone.now()
    endpoint = Endpoint.objects.select_for_update().filter(pk=endpoint_id).first()
    if endpoint is None:
        raise EndpointNotFound(f"Endpoint {endpoint_id} not found")
    maintenance = in_maintenance(endpoint, now)
    status, error, answered = _judge(endpoint, outcome, now)
    check = CheckResult.objects.create(
        endpoint=endpoint,
        status=status,
        status_code=outcome.status_code,
        response_time=outcome.response_time,
        error=error[:2000],
        checked_at=now,
        in_maintenance=maintenance,
    )
    incidents = _move_incident(
        endpoint, answered=answered, error=error, maintenance=maintenance, now=now
    )
    previous = _save_state(
        endpoint,
        status=status,
        error=error,
        answered=answered,
        incident=incidents.open,
        outcome=outcome,
        now=now,
    )
    _notify_check(endpoint, check, previous, incidents, error=error, now=now)
    _publish_check(endpoint, check, previous, incidents)
    return check


def _notify_check(
    endpoint: Endpoint,
    check: CheckResult,
    previous: str,
    incidents: _IncidentMove,
    *,
    error: str,
    now: datetime,
) -> None:
    """Store the notifications this check calls for (sent later by the worker)."""
    if incidents.started is not None:
        _enqueue(
            endpoint,
            events.NOTIFY_INCIDENT_OPENED,
            key=f"incident:{incidents.started.pk}:opened",
            incident=incidents.started,
            error=incidents.started.first_error,
            now=now,
        )
    if incidents.resolved is not None:
        _enqueue(
            endpoint,
            events.NOTIFY_INCIDENT_RESOLVED,
            key=f"incident:{incidents.resolved.pk}:resolved",
            incident=incidents.resolved,
            now=now,
        )
    if endpoint.status == Status.DEGRADED and previous != Status.DEGRADED:
        _enqueue(
            endpoint,
            events.NOTIFY_DEGRADED,
            key=f"degraded:{check.pk}",
            error=error,
            now=now,
        )


# -- endpoints: create, edit, pause, delete --------------------------------------

# The editable fields of an endpoint, the one list the serializer, the forms
# and the admin take them from: API field (as in the `endpoint` payload) ->
# model field. `expectedStatus` is text ("200-299") for the pair of model
# fields `expected_status_min` and `expected_status_max`.
FIELDS = {
    "name": "name",
    "url": "url",
    "method": "method",
    "headers": "headers",
    "body": "body",
    "intervalSeconds": "interval_seconds",
    "timeoutSeconds": "timeout_seconds",
    "expectedStatus": "expected_status",
    "keyword": "keyword",
    "keywordMode": "keyword_mode",
    "degradedThresholdMs": "degraded_threshold_ms",
    "failureThreshold": "failure_threshold",
    "recoveryThreshold": "recovery_threshold",
    "isActive": "is_active",
    "checkType": "check_type",
    "tlsWarnDays": "tls_warn_days",
    "jsonPath": "json_path",
    "jsonExpected": "json_expected",
    "group": "group",
}
# Set after the endpoint is saved (a many-to-many field).
CHANNEL_IDS = "notificationChannelIds"
EXPECTED_STATUS_FIELDS = ("expected_status_min", "expected_status_max")


def parse_expected_status(value: Any) -> tuple[int, int]:
    """`200`, `"200-299"` or `"2xx"` -> (min, max)."""
    text = str(value).strip().lower()
    try:
        if text.endswith("xx") and len(text) == 3:
            low = int(text[0]) * 100
            return low, low + 99
        if "-" in text:
            low_text, high_text = text.split("-", 1)
            low, high = int(low_text), int(high_text)
        else:
            low = high = int(text)
    except ValueError:
        raise MonitoringError(
            "expectedStatus must look like 200, 200-299 or 2xx",
            details={"expectedStatus": str(value)},
        ) from None
    if not (100 <= low <= high <= 599):
        raise MonitoringError(
            "expectedStatus must be a range within 100-599",
            details={"expectedStatus": str(value)},
        )
    return low, high


def _apply(endpoint: Endpoint, data: dict[str, Any]) -> list[str]:
    errors: dict[str, str] = {}
    changed: list[str] = []
    for key, value in data.items():
        if key == "expectedStatus":
            low, high = parse_expected_status(value)
            endpoint.expected_status_min, endpoint.expected_status_max = low, high
            changed += ["expected_status_min", "expected_status_max"]
            continue
        field = FIELDS.get(key)
        if field is None:
            errors[key] = "Unknown field"
            continue
        setattr(endpoint, field, value)
        changed.append(field)
    if errors:
        raise MonitoringError("Unknown fields", details=errors)
    _validate(endpoint)
    return changed


def _validate(endpoint: Endpoint) -> None:
    errors: dict[str, str] = {}
    if not isinstance(endpoint.name, str) or not endpoint.name.strip():
        errors["name"] = "Required"
    parsed = urlparse(endpoint.url if isinstance(endpoint.url, str) else "")
    if endpoint.check_type not in dict(CheckType.choices):
        errors["checkType"] = "One of " + ", ".join(CheckType.values)
    elif endpoint.check_type == CheckType.TCP:
        try:
            port = parsed.port
        except ValueError:
            port = None
        if parsed.scheme != "tcp" or not parsed.hostname or not port:
            errors["url"] = "Must look like tcp://host:port"
    elif endpoint.check_type == CheckType.TLS:
        if parsed.scheme != "https" or not parsed.netloc:
            errors["url"] = "Must be an https:// URL"
    elif parsed.scheme not in ("http", "https") or not parsed.netloc:
        errors["url"] = "Must be an http:// or https:// URL"
    if endpoint.check_type == CheckType.JSON:
        if not isinstance(endpoint.json_path, str) or not JSON_PATH.match(
            endpoint.json_path
        ):
            errors["jsonPath"] = "Like $.status or $.checks[0].state"
    if not isinstance(endpoint.group, str) or len(endpoint.group) > 100:
        errors["group"] = "Text of at most 100 characters"
    if not isinstance(endpoint.json_expected, str):
        errors["jsonExpected"] = "Must be text"
    if endpoint.method not in dict(Endpoint.METHODS):
        errors["method"] = "One of " + ", ".join(dict(Endpoint.METHODS))
    if not isinstance(endpoint.headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in endpoint.headers.items()
    ):
        errors["headers"] = "An object of string values"
    minimum = conf.get("MIN_INTERVAL")

    def number(field: str, key: str, low: float, integer: bool = True) -> None:
        value = getattr(endpoint, field)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors[key] = "Must be a number"
        elif integer and int(value) != value:
            errors[key] = "Must be a whole number"
        elif value < low:
            errors[key] = f"At least {low}"

    number("interval_seconds", "intervalSeconds", minimum)
    number("timeout_seconds", "timeoutSeconds", 0.1, integer=False)
    number("degraded_threshold_ms", "degradedThresholdMs", 1)
    number("failure_threshold", "failureThreshold", 1)
    number("recovery_threshold", "recoveryThreshold", 1)
    number("tls_warn_days", "tlsWarnDays", 0)
    if (
        "timeoutSeconds" not in errors
        and "intervalSeconds" not in errors
        and endpoint.timeout_seconds > endpoint.interval_seconds
    ):
        errors["timeoutSeconds"] = "Must not exceed intervalSeconds"
    if endpoint.keyword_mode not in dict(KeywordMode.choices):
        errors["keywordMode"] = "One of CONTAINS, NOT_CONTAINS or empty"
    if endpoint.keyword_mode and not endpoint.keyword:
        errors["keyword"] = "Required with keywordMode"
    if not isinstance(endpoint.is_active, bool):
        errors["isActive"] = "Must be true or false"
    if errors:
        raise MonitoringError("Invalid endpoint", details=errors)


def _get(endpoint_id: int | str) -> Endpoint:
    try:
        return Endpoint.objects.select_for_update().get(pk=int(endpoint_id))
    except (Endpoint.DoesNotExist, ValueError, TypeError):
        raise EndpointNotFound(f"Endpoint {endpoint_id} not found") from None


def _channel_ids(value: Any) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise MonitoringError(
            "Invalid endpoint", details={CHANNEL_IDS: "A list of channel ids"}
        )
    found = set(
        NotificationChannel.objects.filter(pk__in=value).values_list("pk", flat=True)
    )
    missing = sorted(set(value) - found)
    if missing:
        raise MonitoringError(
            "Invalid endpoint",
            details={CHANNEL_IDS: f"No channel {', '.join(map(str, missing))}"},
        )
    return sorted(found)


@transaction.atomic
def endpoint_create(*, data: dict[str, Any], now: datetime | None = None) -> Endpoint:
    """Create an endpoint from API fields; it is due for its first check at once.

    Without `notificationChannelIds` it notifies the default channels.
    """
    data = dict(data)
    channels = data.pop(CHANNEL_IDS, None)
    endpoint = Endpoint(next_check_at=now or timezone.now())
    _apply(endpoint, data)
    if channels is None:
        channel_ids = list(
            NotificationChannel.objects.filter(is_default=True).values_list(
                "pk", flat=True
            )
        )
    else:
        channel_ids = _channel_ids(channels)
    endpoint.save()
    endpoint.notification_channels.set(channel_ids)
    _publish_both(
        endpoint.pk, events.ENDPOINT_CREATED, events.endpoint_changed(endpoint)
    )
    return endpoint


@transaction.atomic
def endpoint_update(
    *, endpoint_id: int | str, data: dict[str, Any], now: datetime | None = None
) -> Endpoint:
    """Change an endpoint's settings (API field names); reschedules when needed."""
    now = now or timezone.now()
    endpoint = _get(endpoint_id)
    data = dict(data)
    channels = data.pop(CHANNEL_IDS, None)
    was_active, old_interval = endpoint.is_active, endpoint.interval_seconds
    _apply(endpoint, data)
    if channels is not None:
        endpoint.notification_channels.set(_channel_ids(channels))
    if endpoint.is_active and not was_active:
        endpoint.next_check_at = now
        endpoint.consecutive_failures = endpoint.consecutive_successes = 0
        endpoint.consecutive_slow = 0
        endpoint.failing_since = None
    elif endpoint.interval_seconds < old_interval:
        endpoint.next_check_at = min(
            endpoint.next_check_at, now + timedelta(seconds=endpoint.interval_seconds)
        )
    endpoint.save()
    _publish_both(
        endpoint.pk, events.ENDPOINT_UPDATED, events.endpoint_changed(endpoint)
    )
    return endpoint


def endpoint_pause(*, endpoint_id: int | str) -> Endpoint:
    return endpoint_update(endpoint_id=endpoint_id, data={"isActive": False})


def endpoint_resume(*, endpoint_id: int | str) -> Endpoint:
    return endpoint_update(endpoint_id=endpoint_id, data={"isActive": True})


@transaction.atomic
def endpoint_delete(*, endpoint_id: int | str) -> None:
    endpoint = _get(endpoint_id)
    pk = endpoint.pk
    endpoint.delete()
    _publish_both(pk, events.ENDPOINT_DELETED, {"endpointId": pk})


@transaction.atomic
def incident_note(*, incident_id: int | str, notes: str) -> Incident:
    """Replace an incident's notes (free text shown on the detail page)."""
    try:
        incident = Incident.objects.select_related("endpoint").get(pk=int(incident_id))
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise IncidentNotFound(f"Incident {incident_id} not found") from None
    if not isinstance(notes, str) or len(notes) > 10_000:
        raise MonitoringError("notes must be text of at most 10,000 characters")
    incident.notes = notes
    incident.save(update_fields=["notes"])
    return incident


@transaction.atomic
def maintenance_create(
    *,
    starts_at: datetime,
    ends_at: datetime,
    endpoint_id: int | None = None,
    reason: str = "",
) -> MaintenanceWindow:
    if ends_at <= starts_at:
        raise MonitoringError("A maintenance window must end after it starts")
    return MaintenanceWindow.objects.create(
        endpoint_id=endpoint_id, starts_at=starts_at, ends_at=ends_at, reason=reason
    )


# -- retention ----------------------------------------------------------------------


@transaction.atomic
def checks_rollup(*, now: datetime | None = None, limit_hours: int = 1) -> int:
    """Fold raw checks older than the retention into hourly rows; return rows folded."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.get("RAW_RETENTION_DAYS"))
    old = CheckResult.objects.filter(checked_at__lt=cutoff)
    first = old.aggregate(first=Min("checked_at"))["first"]
    if first is None:
        return 0
    hour = first.replace(minute=0, second=0, microsecond=0)
    end = min(hour + timedelta(hours=limit_hours), cutoff)
    batch = old.filter(checked_at__gte=hour, checked_at__lt=end)
    counted = Q(in_maintenance=False)
    groups = (
        batch.annotate(hour=TruncHour("checked_at"))
        .values("endpoint_id", "hour")
        .annotate(
            total=Count("id", filter=counted),
            up=Count("id", filter=counted & Q(status=Status.UP)),
            degraded=Count("id", filter=counted & Q(status=Status.DEGRADED)),
            down=Count("id", filter=counted & Q(status=Status.DOWN)),
            rt_sum=Sum("response_time"),
            rt_count=Count("response_time"),
        )
    )
    for row in groups:
        rollup, _ = CheckRollup.objects.get_or_create(
            endpoint_id=row["endpoint_id"], hour=row["hour"]
        )
        rollup.total += row["total"]
        rollup.up += row["up"]
        rollup.degraded += row["degraded"]
        rollup.down += row["down"]
        rollup.response_time_sum += row["rt_sum"] or 0
        rollup.response_time_count += row["rt_count"]
        rollup.save()
    deleted, _ = batch.delete()
    return deleted


# -- notifications: channels, stored deliveries -------------------------------------

CHANNEL_FIELDS = {"name": "name", "kind": "kind", "url": "url", "emails": "emails"}
CHANNEL_FIELDS["isDefault"] = "is_default"
MAX_EMAILS = 20
_URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)


def _validate_channel(channel: NotificationChannel) -> None:
    errors: dict[str, str] = {}
    if not isinstance(channel.name, str) or not channel.name.strip():
        errors["name"] = "Required"
    elif len(channel.name) > 200:
        errors["name"] = "At most 200 characters"
    if channel.kind not in ChannelKind.values:
        errors["kind"] = "One of " + ", ".join(ChannelKind.values)
    elif channel.kind == ChannelKind.EMAIL:
        channel.url = ""
        emails = channel.emails
        if not isinstance(emails, list) or not emails or len(emails) > MAX_EMAILS:
            errors["emails"] = f"A list of 1 to {MAX_EMAILS} addresses"
        else:
            for email in emails:
                try:
                    validate_email(email)
                except ValidationError:
                    errors["emails"] = f"Not an email address: {str(email)[:100]}"
                    break
    else:
        channel.emails = []
        parsed = urlparse(channel.url if isinstance(channel.url, str) else "")
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            errors["url"] = "Must be an http:// or https:// URL"
    if not isinstance(channel.is_default, bool):
        errors["isDefault"] = "Must be true or false"
    if errors:
        raise MonitoringError("Invalid notification channel", details=errors)


def _apply_channel(channel: NotificationChannel, data: dict[str, Any]) -> None:
    unknown = {k: "Unknown field" for k in data if k not in CHANNEL_FIELDS}
    if unknown:
        raise MonitoringError("Unknown fields", details=unknown)
    for key, value in data.items():
        setattr(channel, CHANNEL_FIELDS[key], value)
    _validate_channel(channel)


def _channel(channel_id: int | str) -> NotificationChannel:
    try:
        return NotificationChannel.objects.select_for_update().get(pk=int(channel_id))
    except (NotificationChannel.DoesNotExist, ValueError, TypeError):
        raise ChannelNotFound(f"Channel {channel_id} not found") from None


@transaction.atomic
def channel_create(*, data: dict[str, Any]) -> NotificationChannel:
    """A channel from `{name, kind, url}` or `{name, kind: "email", emails}`."""
    channel = NotificationChannel()
    _apply_channel(channel, data)
    channel.save()
    return channel


@transaction.atomic
def channel_update(
    *, channel_id: int | str, data: dict[str, Any]
) -> NotificationChannel:
    channel = _channel(channel_id)
    _apply_channel(channel, data)
    channel.save()
    return channel


@transaction.atomic
def channel_delete(*, channel_id: int | str) -> None:
    """Delete a channel with its stored deliveries (and its endpoint links)."""
    _channel(channel_id).delete()


@transaction.atomic
def channel_test(
    *, channel_id: int | str, now: datetime | None = None
) -> NotificationDelivery:
    """Queue a test message to a channel (the worker sends it at once)."""
    now = now or timezone.now()
    channel = _channel(channel_id)
    payload = events.notification(
        events.NOTIFY_TEST, endpoint=None, link=_link(None), now=now
    )
    return NotificationDelivery.objects.create(
        channel=channel,
        key=f"test:{uuid.uuid4().hex}",
        event=events.NOTIFY_TEST,
        payload=payload,
        next_attempt_at=now,
        created_at=now,
    )


def _link(endpoint: Endpoint | None) -> str:
    base = str(conf.get("PUBLIC_URL")).rstrip("/")
    if endpoint is None:
        return f"{base}/monitoring/"
    return f"{base}/monitoring/endpoints/{endpoint.pk}/"


def _enqueue(
    endpoint: Endpoint,
    event: str,
    *,
    key: str,
    now: datetime,
    incident: Incident | None = None,
    error: str = "",
) -> None:
    """One pending delivery per channel of the endpoint (inside the caller's transaction)."""
    channels = list(endpoint.notification_channels.all())
    if not channels:
        return
    payload = events.notification(
        event,
        endpoint=endpoint,
        link=_link(endpoint),
        now=now,
        incident=incident,
        error=error,
    )
    NotificationDelivery.objects.bulk_create(
        [
            NotificationDelivery(
                channel=channel,
                endpoint=endpoint,
                key=key,
                event=event,
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
            for channel in channels
        ],
        ignore_conflicts=True,
    )


def delivery_backoff(attempts: int) -> timedelta:
    """Wait before the next try: 30 s, 1, 2, 4... min, at most an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def deliveries_claim(*, now: datetime, limit: int) -> list[NotificationDelivery]:
    """Claim due deliveries with one conditional UPDATE each (one sender per try).

    The claim moves `next_attempt_at` past the longest send, so a worker that
    dies mid-send leaves the delivery to be retried later, never lost.
    """
    lease = now + timedelta(seconds=3 * float(conf.get("NOTIFY_TIMEOUT")) + 30)
    candidates = list(
        NotificationDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[: limit * 2]
    )
    claimed: list[int] = []
    for pk in candidates:
        if len(claimed) >= limit:
            break
        if NotificationDelivery.objects.filter(
            pk=pk, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=lease, attempts=F("attempts") + 1):
            claimed.append(pk)
    return list(
        NotificationDelivery.objects.filter(pk__in=claimed)
        .select_related("channel")
        .order_by("next_attempt_at", "id")
    )


def scrub(text: str, secret: str = "") -> str:
    """An error message without URLs (webhook URLs carry tokens)."""
    if secret:
        text = text.replace(secret, "[url]")
    return _URL_IN_TEXT.sub("[url]", text)[:1000]


@transaction.atomic
def delivery_record(
    *,
    delivery_id: int,
    ok: bool,
    response_code: int | None = None,
    error: str = "",
    now: datetime | None = None,
) -> NotificationDelivery | None:
    """Mark a try: sent, or pending again after a backoff, or failed after the retry time."""
    now = now or timezone.now()
    delivery = (
        NotificationDelivery.objects.select_for_update()
        .select_related("channel")
        .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .first()
    )
    if delivery is None:
        return None
    delivery.response_code = response_code
    delivery.last_error = scrub(error, delivery.channel.url)
    if ok:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = now
        delivery.last_error = ""
    elif now - delivery.created_at >= timedelta(
        hours=float(conf.get("NOTIFY_RETRY_HOURS"))
    ):
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.next_attempt_at = now + delivery_backoff(delivery.attempts)
    delivery.save()
    return delivery
