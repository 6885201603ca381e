"""Monitoring REST (PROTOCOL section 8): staff only, same shapes as the events."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from monitoring.models import Endpoint, Incident
from tests.conftest import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(staff) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(staff)}")
    return client


def test_staff_creates_lists_updates_and_deletes_an_endpoint(api):
    created = api.post(
        "/api/endpoints/",
        {"name": "Site", "url": "http://127.0.0.1:9/", "expectedStatus": "2xx"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "PENDING" and body["intervalSeconds"] == 60
    assert body["expectedStatus"] == "200-299"
    pk = body["id"]
    assert [e["id"] for e in api.get("/api/endpoints/").json()] == [pk]
    patched = api.patch(
        f"/api/endpoints/{pk}/", {"intervalSeconds": 120}, format="json"
    )
    assert patched.json()["intervalSeconds"] == 120
    detail = api.get(f"/api/endpoints/{pk}/").json()
    assert set(detail["stats"]["uptime"]) == {"24h", "7d", "30d"}
    assert detail["incidents"] == [] and detail["recentChecks"] == []
    assert api.delete(f"/api/endpoints/{pk}/").status_code == 204
    assert not Endpoint.objects.exists()


def test_invalid_endpoint_gets_validation_error_with_details(api):
    reply = api.post(
        "/api/endpoints/",
        {"name": "x", "url": "nope", "intervalSeconds": 1},
        format="json",
    )
    assert reply.status_code == 400
    body = reply.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert set(body["details"]) == {"url", "intervalSeconds"}


def test_missing_endpoint_is_404(api):
    reply = api.get("/api/endpoints/999/")
    assert reply.status_code == 404 and reply.json()["code"] == "NOT_FOUND"


def test_non_staff_and_anonymous_are_refused(make_user):
    client = APIClient()
    assert client.get("/api/endpoints/").status_code in (401, 403)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(make_user('pat'))}")
    assert client.get("/api/endpoints/").status_code == 403
    assert client.get("/api/monitoring/summary/").status_code == 403


def test_check_now_pause_resume_and_checks(api, target):
    pk = api.post(
        "/api/endpoints/", {"name": "T", "url": target.url}, format="json"
    ).json()["id"]
    reply = api.post(f"/api/endpoints/{pk}/check-now/")
    assert reply.status_code == 200
    assert reply.json()["check"]["status"] == "UP"
    assert reply.json()["endpoint"]["status"] == "UP"
    target.set("error")
    api.post(f"/api/endpoints/{pk}/check-now/")
    checks = api.get(f"/api/endpoints/{pk}/checks/?limit=5").json()
    assert [c["status"] for c in checks] == ["DOWN", "UP"]
    assert checks[0]["statusCode"] == 500
    assert api.post(f"/api/endpoints/{pk}/pause/").json()["isActive"] is False
    assert api.post(f"/api/endpoints/{pk}/resume/").json()["isActive"] is True


def test_incidents_filter_open_and_notes(api, target):
    pk = api.post(
        "/api/endpoints/",
        {"name": "T", "url": target.url, "failureThreshold": 1},
        format="json",
    ).json()["id"]
    target.set("error")
    api.post(f"/api/endpoints/{pk}/check-now/")
    incident = Incident.objects.get()
    assert [i["id"] for i in api.get("/api/incidents/?open=true").json()] == [
        incident.pk
    ]
    assert api.get("/api/incidents/?open=false").json() == []
    noted = api.patch(
        f"/api/incidents/{incident.pk}/",
        {"notes": "DNS at the provider"},
        format="json",
    )
    assert noted.json()["notes"] == "DNS at the provider"


def test_summary_and_public_status(api, target):
    pk = api.post(
        "/api/endpoints/", {"name": "T", "url": target.url}, format="json"
    ).json()["id"]
    api.post(f"/api/endpoints/{pk}/check-now/")
    summary = api.get("/api/monitoring/summary/").json()
    assert summary["counts"]["UP"] == 1
    card = summary["endpoints"][0]
    assert card["stats"]["uptime"]["24h"] == 100.0
    assert [c["status"] for c in card["recentChecks"]] == ["UP"]
    public = APIClient().get("/api/status/")
    assert public.status_code == 200
    body = public.json()
    assert body["overall"] == "OPERATIONAL"
    assert body["endpoints"][0]["name"] == "T" and "url" not in body["endpoints"][0]
