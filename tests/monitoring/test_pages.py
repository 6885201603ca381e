"""Monitoring pages: staff only except the public status page; forms go through services."""

from __future__ import annotations

import pytest

from monitoring import services
from monitoring.models import Endpoint
from realtime.models import RoomEvent

pytestmark = pytest.mark.django_db


def test_dashboard_needs_login_and_staff(client, make_user):
    assert client.get("/monitoring/").status_code == 302
    client.force_login(make_user("pat"))
    assert client.get("/monitoring/").status_code == 403


def test_staff_sees_dashboard_and_detail(client, staff):
    client.force_login(staff)
    ep = services.endpoint_create(data={"name": "Site", "url": "http://127.0.0.1:9/"})
    assert b"endpoint-grid" in client.get("/monitoring/").content
    page = client.get(f"/monitoring/endpoints/{ep.pk}/")
    assert page.status_code == 200 and b"rt-chart" in page.content
    assert client.get("/monitoring/endpoints/999/").status_code == 404


def test_status_page_is_public(client):
    services.endpoint_create(data={"name": "Shop", "url": "http://127.0.0.1:9/"})
    page = client.get("/status/")
    assert page.status_code == 200
    assert b"Shop" in page.content and b"127.0.0.1:9" not in page.content


FORM = {
    "name": "New",
    "url": "http://127.0.0.1:9/x",
    "method": "GET",
    "interval_seconds": "60",
    "timeout_seconds": "10",
    "expected_status": "200-299",
    "keyword": "",
    "keyword_mode": "",
    "degraded_threshold_ms": "1000",
    "failure_threshold": "3",
    "recovery_threshold": "2",
    "is_active": "on",
    "check_type": "http",
    "tls_warn_days": "14",
    "headers": '{"Accept": "text/html"}',
    "body": "",
}


def test_add_and_edit_forms_publish_events(client, staff):
    client.force_login(staff)
    reply = client.post("/monitoring/endpoints/new/", FORM)
    assert reply.status_code == 302
    ep = Endpoint.objects.get()
    assert ep.headers == {"Accept": "text/html"}
    reply = client.post(
        f"/monitoring/endpoints/{ep.pk}/edit/", {**FORM, "interval_seconds": "5"}
    )
    assert reply.status_code == 200 and b"At least 20" in reply.content
    reply = client.post(
        f"/monitoring/endpoints/{ep.pk}/edit/", {**FORM, "name": "Renamed"}
    )
    assert reply.status_code == 302
    reply = client.post(f"/monitoring/endpoints/{ep.pk}/edit/", {**FORM, "delete": "1"})
    assert reply.status_code == 302 and Endpoint.objects.exists()
    assert reply["Location"] == f"/monitoring/endpoints/{ep.pk}/delete/"
    reply = client.post(f"/monitoring/endpoints/{ep.pk}/delete/")
    assert reply.status_code == 302 and not Endpoint.objects.exists()
    assert list(
        RoomEvent.objects.filter(room="endpoints")
        .order_by("seq")
        .values_list("event", flat=True)
    ) == ["endpoint:created", "endpoint:updated", "endpoint:deleted"]


def test_notifications_page_is_for_staff(client, staff, make_user):
    assert client.get("/monitoring/notifications/").status_code == 302
    client.force_login(make_user("pat"))
    assert client.get("/monitoring/notifications/").status_code == 403
    client.force_login(staff)
    page = client.get("/monitoring/notifications/")
    assert page.status_code == 200
    assert b'id="channel-form"' in page.content and b"delivery-rows" in page.content
    assert b"/monitoring/notifications/" in client.get("/monitoring/").content


def test_delete_asks_first_then_says_it_is_done(client, staff, make_user):
    ep = services.endpoint_create(
        data={"name": "Old <b>site</b>", "url": "http://127.0.0.1:9/"}
    )
    services.check_record(
        endpoint_id=ep.pk, outcome=services.CheckOutcome(status_code=200)
    )
    client.force_login(make_user("pat"))
    assert client.post(f"/monitoring/endpoints/{ep.pk}/delete/").status_code == 403
    client.force_login(staff)
    edit = client.get(f"/monitoring/endpoints/{ep.pk}/edit/").content.decode()
    assert f'href="/monitoring/endpoints/{ep.pk}/delete/"' in edit
    page = client.get(f"/monitoring/endpoints/{ep.pk}/delete/")
    assert page.status_code == 200 and Endpoint.objects.filter(pk=ep.pk).exists()
    text = page.content.decode()
    assert "Delete Old &lt;b&gt;site&lt;/b&gt;?" in text
    assert "1 check record and 0 incidents" in text
    reply = client.post(f"/monitoring/endpoints/{ep.pk}/delete/", follow=True)
    assert not Endpoint.objects.filter(pk=ep.pk).exists()
    assert reply.redirect_chain == [("/monitoring/", 302)]
    dashboard = reply.content.decode()
    assert (
        "Endpoint \u201cOld &lt;b&gt;site&lt;/b&gt;\u201d deleted with its history."
        in dashboard
    )
    again = client.post(f"/monitoring/endpoints/{ep.pk}/delete/", follow=True)
    assert "That endpoint no longer exists." in again.content.decode()
