"""The public status page: 90-day bars, groups, 14-day incident history, badges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring import selectors, services
from monitoring.models import CheckResult, CheckRollup, Endpoint, Incident

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)


def _endpoint(name: str, group: str = "", **extra) -> Endpoint:  # type: ignore[no-untyped-def]
    return services.endpoint_create(
        data={"name": name, "url": "http://127.0.0.1:9/", "group": group, **extra}
    )


def _checks(endpoint: Endpoint, day: datetime, ok: int, down: int) -> None:
    CheckResult.objects.bulk_create(
        CheckResult(
            endpoint=endpoint,
            status="UP" if n < ok else "DOWN",
            response_time=10,
            checked_at=day + timedelta(minutes=n),
        )
        for n in range(ok + down)
    )


def test_bars_have_one_segment_a_day_with_that_days_uptime_and_incidents():
    shop = _endpoint("Shop")
    today = NOW.replace(hour=0, minute=0)
    _checks(shop, today, ok=10, down=0)
    _checks(shop, today - timedelta(days=1), ok=97, down=3)
    _checks(shop, today - timedelta(days=2), ok=1, down=3)
    CheckRollup.objects.create(
        endpoint=shop, hour=today - timedelta(days=40), total=60, up=60
    )
    Incident.objects.create(
        endpoint=shop,
        started_at=today - timedelta(days=2, hours=-23),
        resolved_at=today - timedelta(days=1, hours=-1),
        failure_count=3,
        notes="Database failover",
    )
    status = selectors.public_status(now=NOW)
    [entry] = status["endpoints"]
    assert status["firstDay"] == "2025-12-11"
    # One entry a day, oldest first: rows of (uptime, incidents, level).
    days = [
        {"uptime": u, "incidents": n, "level": level}
        for u, n, level in zip(
            entry["days"]["uptime"],
            entry["days"]["incidents"],
            entry["days"]["level"],
            strict=True,
        )
    ]
    assert len(days) == 90
    assert days[-1] == {"uptime": 100.0, "incidents": 0, "level": "up"}
    assert days[-2]["uptime"] == 97.0 and days[-2]["incidents"] == 1
    assert days[-2]["level"] == "degraded"
    assert days[-3]["uptime"] == 25.0 and days[-3]["level"] == "down"
    assert days[-41]["uptime"] == 100.0
    assert days[-4] == {"uptime": None, "incidents": 0, "level": "nodata"}
    [past] = status["incidentHistory"]
    assert past["notes"] == "Database failover"
    assert past["durationSeconds"] == 2 * 3600
    assert days[-3]["incidents"] == 1


def test_history_keeps_14_days_and_open_incidents():
    api = _endpoint("API")
    old = Incident.objects.create(
        endpoint=api,
        started_at=NOW - timedelta(days=20),
        resolved_at=NOW - timedelta(days=15),
    )
    recent = Incident.objects.create(
        endpoint=api,
        started_at=NOW - timedelta(days=3),
        resolved_at=NOW - timedelta(days=3, hours=-1),
    )
    ongoing = Incident.objects.create(endpoint=api, started_at=NOW - timedelta(days=30))
    status = selectors.public_status(now=NOW)
    assert [i["id"] for i in status["incidentHistory"]] == [recent.pk, ongoing.pk]
    assert old.pk not in [i["id"] for i in status["incidentHistory"]]
    assert status["endpoints"][0]["days"]["incidents"][-20] == 2


def test_page_groups_endpoints_and_hides_urls_and_paused_ones(client):
    _endpoint("Web", group="Public")
    _endpoint("Payments API", group="Backend")
    _endpoint("Ungrouped")
    _endpoint("Hidden", isActive=False)
    page = client.get("/status/").content.decode()
    assert page.index('data-group=""') < page.index('data-group="Backend"')
    assert page.index('data-group="Backend"') < page.index('data-group="Public"')
    assert page.index("Payments API") > page.index('data-group="Backend"')
    assert "Hidden" not in page and "127.0.0.1:9" not in page
    assert page.count('<i data-level="') == 3 * 90
    assert page.count('data-uptimes="' + "," * 89 + '"') == 3


def test_names_and_notes_are_escaped(client):
    api = _endpoint("<script>alert(1)</script>")
    Incident.objects.create(
        endpoint=api,
        started_at=datetime.now(UTC) - timedelta(hours=1),
        notes="<img src=x onerror=alert(1)>",
    )
    page = client.get("/status/").content.decode()
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_badge_is_public_only_for_endpoints_on_the_status_page(client):
    shown = _endpoint("Shop")
    hidden = _endpoint("Internal", isActive=False)
    _checks(shown, datetime.now(UTC) - timedelta(hours=1), ok=3, down=1)
    reply = client.get(f"/status/badge/{shown.pk}.svg")
    assert reply.status_code == 200
    assert reply["Content-Type"].startswith("image/svg+xml")
    svg = reply.content.decode()
    assert svg.startswith("<svg") and "uptime: 75.00%" in svg
    assert client.get(f"/status/badge/{hidden.pk}.svg").status_code == 404
    assert client.get("/status/badge/999999.svg").status_code == 404
    no_data = _endpoint("New")
    assert (
        "uptime: pending"
        in client.get(f"/status/badge/{no_data.pk}.svg").content.decode()
    )


def test_one_read_serves_the_page_and_its_api_for_a_few_seconds(client, settings):
    # The page is public and reloads itself on every screen showing it: one
    # read serves every request of the process for STATUS_CACHE_SECONDS.
    _endpoint("Shop")
    settings.MONITOR = {**settings.MONITOR, "STATUS_CACHE_SECONDS": 60}
    with CaptureQueriesContext(connection) as first:
        page = client.get("/status/").content.decode()
    assert "Shop" in page and len(first.captured_queries) > 0
    _endpoint("Kitchen printer")
    with CaptureQueriesContext(connection) as again:
        reply = client.get("/api/status/").json()
        page = client.get("/status/").content.decode()
    assert again.captured_queries == []
    # The page's bars never reach what the API shares.
    assert [e["name"] for e in reply["endpoints"]] == ["Shop"]
    assert "bar" not in reply["endpoints"][0]
    assert "Kitchen printer" not in page
    # With the sharing off, every request reads.
    settings.MONITOR = {**settings.MONITOR, "STATUS_CACHE_SECONDS": 0}
    reply = client.get("/api/status/").json()
    assert [e["name"] for e in reply["endpoints"]] == ["Kitchen printer", "Shop"]
