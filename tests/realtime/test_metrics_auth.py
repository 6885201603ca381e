"""`/metrics` is for staff, a bearer token from the environment or allowed addresses."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from tests.conftest import token_for

pytestmark = pytest.mark.django_db

TOKEN = "scrape-" + "s" * 40


def assert_refused(response: Any, status: int) -> None:
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == {401: "UNAUTHORIZED", 403: "FORBIDDEN"}[status]
    assert b"tidings_" not in response.content


def assert_metrics(response: Any) -> None:
    assert response.status_code == 200, response.content[:200]
    assert b"tidings_open_connections" in response.content


def test_anonymous_is_refused_even_on_loopback(client):
    response = client.get("/metrics")
    assert_refused(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_logged_in_non_staff_is_forbidden(client, make_user):
    client.force_login(make_user())
    assert_refused(client.get("/metrics"), 403)


def test_staff_session_may_scrape(client, staff):
    client.force_login(staff)
    assert_metrics(client.get("/metrics"))


def test_staff_jwt_may_scrape(client, staff, make_user):
    assert_metrics(
        client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token_for(staff)}")
    )
    user = token_for(make_user())
    assert_refused(client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {user}"), 403)


@override_settings(METRICS_TOKEN=TOKEN)
def test_the_metrics_token_may_scrape(client):
    assert_metrics(client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"))
    for wrong in (TOKEN[:-1], TOKEN + "x", "", "x" * len(TOKEN)):
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {wrong}")
        assert_refused(response, 401)
    assert_refused(client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}"), 401)


@override_settings(METRICS_TOKEN="")
def test_an_empty_token_setting_allows_no_token(client):
    assert_refused(client.get("/metrics", HTTP_AUTHORIZATION="Bearer "), 401)


@override_settings(METRICS_ALLOWED_IPS=["10.1.2.3", "192.168.7.0/24"])
def test_allowed_addresses_may_scrape(make_user):
    assert_metrics(Client(REMOTE_ADDR="10.1.2.3").get("/metrics"))
    assert_metrics(Client(REMOTE_ADDR="192.168.7.200").get("/metrics"))
    assert_refused(Client(REMOTE_ADDR="10.1.2.4").get("/metrics"), 401)
    # A forwarded-for header is not an address.
    spoofed = Client(REMOTE_ADDR="8.8.8.8", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert_refused(spoofed.get("/metrics"), 401)
