"""Operations endpoints, JWT endpoints and the room history over REST."""

from __future__ import annotations

import pytest
from django.db import transaction

import realtime
from realtime.models import RoomEvent
from tests.conftest import token_for

pytestmark = pytest.mark.django_db


def publish(room: str) -> int:
    with transaction.atomic():
        return realtime.publish(room, "announcement", {"n": 1})


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    body = client.get("/readyz").json()
    assert body["database"] == "ok" and body["channelLayer"] == "ok"


def test_metrics_are_prometheus_text(client, staff):
    client.force_login(staff)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"tidings_open_connections" in response.content


def test_stats_need_staff(client, make_user):
    assert client.get("/api/realtime/stats/").status_code == 401
    client.force_login(make_user())
    assert client.get("/api/realtime/stats/").status_code == 403


def test_stats_shape(client, staff):
    client.force_login(staff)
    body = client.get("/api/realtime/stats/").json()
    assert set(body["connections"]) == {"current", "total", "reconnects"}
    assert "rooms" in body and body["memory"]["rss"] > 0 and body["timestamp"]
    # The WebSocket guide's stats: messages received and errors, every process.
    assert body["messages"]["received"] >= 0 and body["errors"]["total"] >= 0


async def test_stats_count_messages_and_errors(ws):
    from realtime import stats

    before = stats.snapshot()
    client = await ws()
    await client.request("ping", {}, ref="p")
    await client.request("fly", {}, ref="f")  # an unknown event: an error
    after = stats.snapshot()
    assert after["messages"]["received"] - before["messages"]["received"] == 2
    assert after["errors"]["total"] - before["errors"]["total"] == 1


def test_token_endpoints(client, make_user):
    make_user("tok")
    response = client.post("/api/auth/token/", {"username": "tok", "password": "pw"})
    assert response.status_code == 200
    tokens = response.json()
    refreshed = client.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200 and refreshed.json()["access"]
    bad = client.post("/api/auth/token/", {"username": "tok", "password": "nope"})
    assert bad.status_code == 401 and bad.json()["code"] == "UNAUTHORIZED"


def test_room_history_returns_frames_after_seq(client):
    for _ in range(4):
        publish("kiosk")
    response = client.get("/api/realtime/rooms/kiosk/events/?after=2")
    assert response.status_code == 200
    assert [frame["seq"] for frame in response.json()] == [3, 4]
    assert response["X-Room-Seq"] == "4"


def test_room_history_follows_join_rules(client, barista):
    publish("kitchen")
    assert client.get("/api/realtime/rooms/kitchen/events/").status_code == 403
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(barista)}"}
    assert (
        client.get("/api/realtime/rooms/kitchen/events/", **headers).status_code == 200
    )


def test_room_history_too_old_is_410(client):
    for _ in range(3):
        publish("kiosk")
    RoomEvent.objects.filter(seq=1).delete()
    response = client.get("/api/realtime/rooms/kiosk/events/?after=0")
    assert response.status_code == 410
    assert response.json()["code"] == "RESYNC_REQUIRED"
    assert response.json()["details"]["seq"] == 3


def test_room_history_bad_input(client):
    assert (
        client.get("/api/realtime/rooms/nope/events/").json()["code"]
        == "VALIDATION_ERROR"
    )
    assert client.get("/api/realtime/rooms/kiosk/events/?after=-1").status_code == 400


def test_schema_and_docs(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_home_page_has_connection_indicator(client):
    body = client.get("/").content.decode()
    assert 'id="conn-indicator"' in body and "tidings.js" in body


def test_announcements_are_staff_only_and_published(client, staff, make_user):
    assert (
        client.post("/api/realtime/announcements/", {"message": "hi"}).status_code
        == 401
    )
    client.force_login(make_user())
    assert (
        client.post("/api/realtime/announcements/", {"message": "hi"}).status_code
        == 403
    )
    client.force_login(staff)
    response = client.post(
        "/api/realtime/announcements/", {"room": "kiosk", "message": "Closing soon"}
    )
    assert response.status_code == 201 and response.json() == {
        "room": "kiosk",
        "seq": 1,
    }
    bad = client.post(
        "/api/realtime/announcements/", {"room": "nowhere", "message": "x"}
    )
    assert bad.status_code == 400 and bad.json()["code"] == "VALIDATION_ERROR"
