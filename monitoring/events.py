"""Monitoring event names and payloads (PROTOCOL section 6); REST reuses the builders."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from monitoring import rooms
from realtime import socketio_dialect

if TYPE_CHECKING:
    from monitoring.models import CheckResult, Endpoint, Incident

CHECK_COMPLETED = "check:completed"
STATUS_CHANGED = "endpoint:status-changed"
INCIDENT_STARTED = "incident:started"
INCIDENT_RESOLVED = "incident:resolved"
ENDPOINT_CREATED = "endpoint:created"
ENDPOINT_UPDATED = "endpoint:updated"
ENDPOINT_DELETED = "endpoint:deleted"

ALL_ROOM = rooms.ENDPOINTS.room_name()


def endpoint_room(endpoint_id: int | str) -> str:
    return rooms.ENDPOINT.room_name(endpoint_id)


# The original monitoring dashboard speaks Socket.IO: its rooms and its verbs
# (`subscribe:all`, `subscribe:endpoint`...) are served there too (PROTOCOL
# section 10), each room with its own join rule (staff).
socketio_dialect.serve("monitoring", verbs="monitoring.consumers.MonitoringConsumer")


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


class CheckCompleted(TypedDict):
    endpointId: int
    status: str
    statusCode: int | None
    responseTime: int | None
    checkedAt: str | None
    errorMessage: str | None


class StatusChanged(TypedDict):
    endpointId: int
    endpointName: str
    previousStatus: str
    currentStatus: str
    timestamp: str | None
    responseTime: int | None
    errorMessage: str | None


class IncidentStarted(TypedDict):
    incidentId: int
    endpointId: int
    endpointName: str
    startedAt: str | None
    failureCount: int


class IncidentResolved(TypedDict):
    incidentId: int
    endpointId: int
    endpointName: str
    startedAt: str | None
    resolvedAt: str | None
    durationSeconds: int


def endpoint_data(endpoint: Endpoint) -> dict[str, Any]:
    """The `endpoint` object of REST and of endpoint:created/updated."""
    return {
        "id": endpoint.pk,
        "name": endpoint.name,
        "url": endpoint.url,
        "method": endpoint.method,
        "headers": endpoint.headers or {},
        "body": endpoint.body,
        "intervalSeconds": endpoint.interval_seconds,
        "timeoutSeconds": endpoint.timeout_seconds,
        "expectedStatus": endpoint.expected_status,
        "keyword": endpoint.keyword,
        "keywordMode": endpoint.keyword_mode,
        "degradedThresholdMs": endpoint.degraded_threshold_ms,
        "failureThreshold": endpoint.failure_threshold,
        "recoveryThreshold": endpoint.recovery_threshold,
        "isActive": endpoint.is_active,
        "checkType": endpoint.check_type,
        "tlsWarnDays": endpoint.tls_warn_days,
        "jsonPath": endpoint.json_path,
        "jsonExpected": endpoint.json_expected,
        "group": endpoint.group,
        "notificationChannelIds": sorted(
            c.pk for c in endpoint.notification_channels.all()
        ),
        "tlsExpiresAt": iso(endpoint.tls_expires_at),
        "status": endpoint.status,
        "consecutiveFailures": endpoint.consecutive_failures,
        "lastCheckedAt": iso(endpoint.last_checked_at),
        "lastStatusCode": endpoint.last_status_code,
        "lastResponseTime": endpoint.last_response_time,
        "lastError": endpoint.last_error or None,
        "statusChangedAt": iso(endpoint.status_changed_at),
        "nextCheckAt": iso(endpoint.next_check_at),
    }


class EndpointChanged(TypedDict):
    endpoint: dict[str, Any]


def endpoint_changed(endpoint: Endpoint) -> EndpointChanged:
    """The payload of endpoint:created and endpoint:updated."""
    return {"endpoint": endpoint_data(endpoint)}


def check_completed(endpoint: Endpoint, check: CheckResult) -> CheckCompleted:
    return {
        "endpointId": endpoint.pk,
        "status": check.status,
        "statusCode": check.status_code,
        "responseTime": check.response_time,
        "checkedAt": iso(check.checked_at),
        "errorMessage": check.error or None,
    }


def status_changed(
    endpoint: Endpoint, previous: str, check: CheckResult
) -> StatusChanged:
    return {
        "endpointId": endpoint.pk,
        "endpointName": endpoint.name,
        "previousStatus": previous,
        "currentStatus": endpoint.status,
        "timestamp": iso(check.checked_at),
        "responseTime": check.response_time,
        "errorMessage": check.error or None,
    }


def incident_started(incident: Incident) -> IncidentStarted:
    return {
        "incidentId": incident.pk,
        "endpointId": incident.endpoint_id,
        "endpointName": incident.endpoint.name,
        "startedAt": iso(incident.started_at),
        "failureCount": incident.failure_count,
    }


def incident_resolved(incident: Incident) -> IncidentResolved:
    return {
        "incidentId": incident.pk,
        "endpointId": incident.endpoint_id,
        "endpointName": incident.endpoint.name,
        "startedAt": iso(incident.started_at),
        "resolvedAt": iso(incident.resolved_at),
        "durationSeconds": incident.duration_seconds(),
    }


def incident_data(incident: Incident) -> dict[str, Any]:
    """An incident in REST answers."""
    return {
        "id": incident.pk,
        "endpointId": incident.endpoint_id,
        "endpointName": incident.endpoint.name,
        "startedAt": iso(incident.started_at),
        "resolvedAt": iso(incident.resolved_at),
        "failureCount": incident.failure_count,
        "firstError": incident.first_error or None,
        "notes": incident.notes,
        "isOpen": incident.is_open,
        "durationSeconds": incident.duration_seconds()
        if incident.resolved_at
        else None,
    }


def check_data(check: CheckResult) -> dict[str, Any]:
    return {
        "id": check.pk,
        "endpointId": check.endpoint_id,
        "status": check.status,
        "statusCode": check.status_code,
        "responseTime": check.response_time,
        "checkedAt": iso(check.checked_at),
        "errorMessage": check.error or None,
        "inMaintenance": check.in_maintenance,
    }


# -- notifications ----------------------------------------------------------------

NOTIFY_INCIDENT_OPENED = "incident.opened"
NOTIFY_INCIDENT_RESOLVED = "incident.resolved"
NOTIFY_DEGRADED = "endpoint.degraded"
NOTIFY_TEST = "test"


class Notification(TypedDict):
    """The JSON a webhook channel receives (and what Slack/email text is made of)."""

    event: str
    endpointId: int | None
    endpointName: str
    status: str
    url: str
    incidentId: int | None
    error: str | None
    failureCount: int | None
    startedAt: str | None
    resolvedAt: str | None
    durationSeconds: int | None
    timestamp: str | None


def notification(
    event: str,
    *,
    endpoint: Endpoint | None,
    link: str,
    now: datetime,
    incident: Incident | None = None,
    error: str | None = None,
) -> Notification:
    return {
        "event": event,
        "endpointId": endpoint.pk if endpoint else None,
        "endpointName": endpoint.name if endpoint else "Test endpoint",
        "status": endpoint.status if endpoint else "UP",
        "url": link,
        "incidentId": incident.pk if incident else None,
        "error": error or None,
        "failureCount": incident.failure_count if incident else None,
        "startedAt": iso(incident.started_at) if incident else None,
        "resolvedAt": iso(incident.resolved_at) if incident else None,
        "durationSeconds": incident.duration_seconds()
        if incident and incident.resolved_at
        else None,
        "timestamp": iso(now),
    }


def notification_text(data: dict[str, Any]) -> str:
    """One line a person reads (Slack text, email subject)."""
    name, event = data["endpointName"], data["event"]
    if event == NOTIFY_INCIDENT_OPENED:
        text = f"DOWN: {name} ({data['failureCount']} failed checks)"
        if data.get("error"):
            text += f": {data['error']}"
    elif event == NOTIFY_INCIDENT_RESOLVED:
        text = f"UP again: {name} after {_duration(data['durationSeconds'] or 0)}"
    elif event == NOTIFY_DEGRADED:
        text = f"DEGRADED: {name}"
        if data.get("error"):
            text += f": {data['error']}"
    else:
        text = "Test message from Tidings monitoring"
    return text


def _duration(seconds: int) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


def channel_data(channel: Any) -> dict[str, Any]:
    """A notification channel in REST answers."""
    return {
        "id": channel.pk,
        "name": channel.name,
        "kind": channel.kind,
        "url": channel.url or None,
        "emails": list(channel.emails or []),
        "isDefault": channel.is_default,
    }


def delivery_data(delivery: Any) -> dict[str, Any]:
    """A stored notification in REST answers (no channel URL: it may hold a token)."""
    return {
        "id": delivery.pk,
        "channelId": delivery.channel_id,
        "channelName": delivery.channel.name,
        "channelKind": delivery.channel.kind,
        "endpointId": delivery.endpoint_id,
        "event": delivery.event,
        "text": notification_text(delivery.payload),
        "status": delivery.status,
        "attempts": delivery.attempts,
        "lastError": delivery.last_error or None,
        "responseCode": delivery.response_code,
        "createdAt": iso(delivery.created_at),
        "sentAt": iso(delivery.sent_at),
        "nextAttemptAt": iso(delivery.next_attempt_at)
        if delivery.status == "pending"
        else None,
    }
