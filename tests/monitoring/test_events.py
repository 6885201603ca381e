"""Payload builders produce exactly the PROTOCOL section 6 keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitoring import events, services
from monitoring.services import CheckOutcome

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def test_payload_keys_match_the_protocol(make_endpoint):
    ep = make_endpoint(now=T0, failureThreshold=1)
    check = services.check_record(
        endpoint_id=ep.pk, outcome=CheckOutcome(error="refused"), now=T0
    )
    ep.refresh_from_db()
    assert set(events.check_completed(ep, check)) == {
        "endpointId",
        "status",
        "statusCode",
        "responseTime",
        "checkedAt",
        "errorMessage",
    }
    assert set(events.status_changed(ep, "UP", check)) == {
        "endpointId",
        "endpointName",
        "previousStatus",
        "currentStatus",
        "timestamp",
        "responseTime",
        "errorMessage",
    }
    incident = ep.incidents.get()
    assert set(events.incident_started(incident)) == {
        "incidentId",
        "endpointId",
        "endpointName",
        "startedAt",
        "failureCount",
    }
    assert events.check_completed(ep, check)["checkedAt"] == "2026-01-05T12:00:00Z"


def test_admin_edit_is_published(admin_client):
    from realtime.models import RoomEvent

    ep = services.endpoint_create(data={"name": "A", "url": "http://127.0.0.1:9/"})
    form = {
        "name": "Renamed",
        "url": ep.url,
        "method": "GET",
        "headers": "{}",
        "body": "",
        "interval_seconds": 60,
        "timeout_seconds": 10,
        "expected_status_min": 200,
        "expected_status_max": 299,
        "keyword": "",
        "keyword_mode": "",
        "degraded_threshold_ms": 1000,
        "failure_threshold": 3,
        "recovery_threshold": 2,
        "is_active": "on",
        "check_type": "http",
        "tls_warn_days": 14,
    }
    reply = admin_client.post(f"/admin/monitoring/endpoint/{ep.pk}/change/", form)
    assert reply.status_code == 302, reply.content[:2000]
    ep.refresh_from_db()
    assert ep.name == "Renamed"
    assert list(
        RoomEvent.objects.filter(room="endpoints")
        .order_by("seq")
        .values_list("event", flat=True)
    ) == ["endpoint:created", "endpoint:updated"]
