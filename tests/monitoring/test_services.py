"""The rules of check_record with a controlled clock (outcomes given directly)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring import selectors, services
from monitoring.models import CheckResult, CheckRollup, Endpoint, Incident, Status
from monitoring.services import CheckOutcome
from realtime.errors import DomainError
from tests.conftest import published as frames

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
OK = CheckOutcome(status_code=200, response_time=50)
SLOW = CheckOutcome(status_code=200, response_time=1500)
FAIL = CheckOutcome(status_code=500, response_time=20)
REFUSED = CheckOutcome(error="ConnectError: connection refused")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def names(room: str) -> list[str]:
    return [f["event"] for f in frames(room)]


def record(endpoint: Endpoint, outcome: CheckOutcome, seconds: float):  # type: ignore[no-untyped-def]
    return services.check_record(
        endpoint_id=endpoint.pk, outcome=outcome, now=at(seconds)
    )


def test_first_success_moves_pending_to_up(make_endpoint):
    ep = make_endpoint(now=T0)
    record(ep, OK, 0)
    ep.refresh_from_db()
    assert ep.status == Status.UP
    assert ep.next_check_at == at(60)
    assert names(f"endpoint:{ep.pk}") == [
        "endpoint:created",
        "check:completed",
        "endpoint:status-changed",
    ]
    changed = frames("endpoints")[-1]["data"]
    assert changed["previousStatus"] == "PENDING" and changed["currentStatus"] == "UP"


def test_unconfirmed_failure_is_rechecked_in_20_seconds(make_endpoint):
    ep = make_endpoint(now=T0)
    record(ep, OK, 0)
    record(ep, FAIL, 60)
    ep.refresh_from_db()
    assert ep.status == Status.DOWN and ep.consecutive_failures == 1
    assert ep.next_check_at == at(80)
    record(ep, FAIL, 80)
    record(ep, FAIL, 100)
    ep.refresh_from_db()
    # Confirmed (incident open): back to the normal interval.
    assert ep.next_check_at == at(160)


def test_incident_opens_after_failure_threshold_and_resolves_after_recovery(
    make_endpoint,
):
    ep = make_endpoint(now=T0)
    record(ep, OK, 0)
    record(ep, FAIL, 60)
    record(ep, REFUSED, 80)
    assert not Incident.objects.exists()
    record(ep, FAIL, 100)
    incident = Incident.objects.get()
    assert incident.started_at == at(60) and incident.failure_count == 3
    record(ep, OK, 160)
    ep.refresh_from_db()
    assert ep.status == Status.DOWN  # recovery not yet confirmed
    record(ep, OK, 220)
    incident.refresh_from_db()
    ep.refresh_from_db()
    assert ep.status == Status.UP
    assert incident.resolved_at == at(220)
    resolved = frames(f"endpoint:{ep.pk}")[-1]
    assert resolved["event"] == "incident:resolved"
    assert resolved["data"]["durationSeconds"] == 160


def test_degraded_after_three_slow_answers_in_a_row(make_endpoint):
    ep = make_endpoint(now=T0)
    record(ep, OK, 0)
    record(ep, SLOW, 60)
    record(ep, SLOW, 120)
    ep.refresh_from_db()
    assert ep.status == Status.UP
    record(ep, SLOW, 180)
    ep.refresh_from_db()
    assert ep.status == Status.DEGRADED
    record(ep, OK, 240)
    ep.refresh_from_db()
    assert ep.status == Status.UP


def test_keyword_missing_is_degraded_and_present_is_up(make_endpoint):
    ep = make_endpoint(now=T0, keyword="tidings", keywordMode="CONTAINS")
    services.check_record(
        endpoint_id=ep.pk,
        outcome=CheckOutcome(status_code=200, response_time=5, body="other"),
        now=at(0),
    )
    ep.refresh_from_db()
    assert ep.status == Status.DEGRADED
    assert "tidings" in ep.last_error
    services.check_record(
        endpoint_id=ep.pk,
        outcome=CheckOutcome(status_code=200, response_time=5, body="hi tidings"),
        now=at(60),
    )
    ep.refresh_from_db()
    assert ep.status == Status.UP


def test_expected_status_range_is_configurable(make_endpoint):
    ep = make_endpoint(now=T0, expectedStatus="401")
    record(ep, CheckOutcome(status_code=401, response_time=5), 0)
    ep.refresh_from_db()
    assert ep.status == Status.UP
    record(ep, OK, 60)
    ep.refresh_from_db()
    assert ep.status == Status.DOWN


def test_maintenance_opens_no_incident_and_is_excluded_from_uptime(make_endpoint):
    ep = make_endpoint(now=T0)
    services.maintenance_create(starts_at=at(50), ends_at=at(200))
    record(ep, OK, 0)
    for t in (60, 80, 100, 160):
        record(ep, FAIL, t)
    assert not Incident.objects.exists()
    assert CheckResult.objects.filter(in_maintenance=True).count() == 4
    assert selectors.uptime(ep.pk, since=at(-10)) == 100.0


def test_uptime_and_p95_are_computed_from_checks(make_endpoint):
    ep = make_endpoint(now=T0)
    for i in range(20):
        outcome = CheckOutcome(status_code=200, response_time=(i + 1) * 10)
        record(ep, outcome, i * 60)
    record(ep, FAIL, 20 * 60)
    record(ep, REFUSED, 21 * 60)
    times = selectors.response_times(ep.pk, since=at(-1))
    # 21 answered: 10..200 and 20 (the 500): 95th percentile rank 20 -> 190.
    assert times["p95"] == 190
    assert selectors.uptime(ep.pk, since=at(-1)) == round(100 * 20 / 22, 3)


def test_rollup_folds_old_checks_and_keeps_uptime(make_endpoint, settings):
    ep = make_endpoint(now=T0)
    for t in (0, 60, 120):
        record(ep, OK, t)
    record(ep, FAIL, 180)
    later = T0 + timedelta(days=8)
    assert services.checks_rollup(now=later) == 4
    assert not CheckResult.objects.exists()
    rollup = CheckRollup.objects.get()
    assert (rollup.total, rollup.up, rollup.down) == (4, 3, 1)
    assert selectors.uptime(ep.pk, since=later - timedelta(days=30)) == 75.0
    assert services.checks_rollup(now=later) == 0


def test_create_validates_fields(make_endpoint):
    with pytest.raises(DomainError) as exc:
        make_endpoint(url="ftp://x", intervalSeconds=5)
    assert set(exc.value.details) == {"url", "intervalSeconds"}
    with pytest.raises(DomainError):
        make_endpoint(expectedStatus="abc")


def test_update_pause_resume_and_delete_publish_events(make_endpoint):
    ep = make_endpoint(now=T0)
    services.endpoint_update(endpoint_id=ep.pk, data={"name": "Renamed"})
    services.endpoint_pause(endpoint_id=ep.pk)
    services.endpoint_resume(endpoint_id=ep.pk)
    services.endpoint_delete(endpoint_id=ep.pk)
    assert names("endpoints") == [
        "endpoint:created",
        "endpoint:updated",
        "endpoint:updated",
        "endpoint:updated",
        "endpoint:deleted",
    ]
    assert frames("endpoints")[1]["data"]["endpoint"]["name"] == "Renamed"
    assert frames("endpoints")[-1]["data"] == {"endpointId": ep.pk}
