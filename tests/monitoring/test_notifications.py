"""Notifications: channels over REST, deliveries stored with the incident change,
sent by the worker to real local receivers with retries, exactly once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async
from django.core import mail

from monitoring import events, notify, services
from monitoring.checker import Monitor
from monitoring.models import (
    CheckResult,
    Endpoint,
    Incident,
    NotificationDelivery,
)
from monitoring.services import CheckOutcome
from tests.monitoring.receiver import Receiver

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def flaky() -> Iterator[Receiver]:
    server = Receiver(fail_first=2).start()
    yield server
    server.stop()


@pytest.fixture
def hanging() -> Iterator[Receiver]:
    server = Receiver(hang=True).start()
    yield server
    server.stop()


def fail(endpoint: Endpoint, at: datetime, times: int = 1) -> None:
    for i in range(times):
        services.check_record(
            endpoint_id=endpoint.pk,
            outcome=CheckOutcome(error="ConnectError: refused"),
            now=at + timedelta(seconds=20 * i),
        )


def succeed(endpoint: Endpoint, at: datetime, times: int = 1, ms: int = 20) -> None:
    for i in range(times):
        services.check_record(
            endpoint_id=endpoint.pk,
            outcome=CheckOutcome(status_code=200, response_time=ms),
            now=at + timedelta(seconds=20 * i),
        )


# -- channels over REST ------------------------------------------------------------


@pytest.mark.django_db
def test_channels_rest_create_list_update_delete(client, staff, make_user):
    client.force_login(make_user("pat"))
    assert client.get("/api/notification-channels/").status_code == 403
    client.force_login(staff)
    hook = client.post(
        "/api/notification-channels/",
        {"name": "Ops hook", "kind": "webhook", "url": "https://example.com/h/abc"},
        content_type="application/json",
    )
    assert hook.status_code == 201, hook.content
    email = client.post(
        "/api/notification-channels/",
        {"name": "On call", "kind": "email", "emails": ["a@example.com"]},
        content_type="application/json",
    )
    assert email.status_code == 201
    assert email.json()["emails"] == ["a@example.com"] and email.json()["url"] is None
    for bad in (
        {"name": "x", "kind": "webhook", "url": "ftp://example.com/"},
        {"name": "x", "kind": "webhook", "url": "javascript:alert(1)"},
        {"name": "x", "kind": "email", "emails": ["not an address"]},
        {"name": "x", "kind": "email", "emails": []},
        {"name": "x", "kind": "pager", "url": "https://example.com/"},
        {"name": "", "kind": "slack", "url": "https://example.com/"},
    ):
        reply = client.post(
            "/api/notification-channels/", bad, content_type="application/json"
        )
        assert reply.status_code == 400, bad
    pk = hook.json()["id"]
    reply = client.patch(
        f"/api/notification-channels/{pk}/",
        {"isDefault": True, "name": "Ops"},
        content_type="application/json",
    )
    assert reply.status_code == 200 and reply.json()["isDefault"] is True
    names = [c["name"] for c in client.get("/api/notification-channels/").json()]
    assert names == ["On call", "Ops"]
    assert client.delete(f"/api/notification-channels/{pk}/").status_code == 204
    assert client.delete(f"/api/notification-channels/{pk}/").status_code == 404


@pytest.mark.django_db
def test_default_channels_apply_to_new_endpoints_and_ids_are_editable(
    client, staff, make_endpoint
):
    default = services.channel_create(
        data={
            "name": "Default",
            "kind": "webhook",
            "url": "http://127.0.0.1:9/",
            "isDefault": True,
        }
    )
    other = services.channel_create(
        data={"name": "Other", "kind": "slack", "url": "http://127.0.0.1:9/"}
    )
    client.force_login(staff)
    reply = client.post(
        "/api/endpoints/",
        {"name": "Shop", "url": "http://127.0.0.1:9/"},
        content_type="application/json",
    )
    assert reply.json()["notificationChannelIds"] == [default.pk]
    pk = reply.json()["id"]
    reply = client.patch(
        f"/api/endpoints/{pk}/",
        {"notificationChannelIds": [other.pk]},
        content_type="application/json",
    )
    assert reply.json()["notificationChannelIds"] == [other.pk]
    reply = client.patch(
        f"/api/endpoints/{pk}/",
        {"notificationChannelIds": [999]},
        content_type="application/json",
    )
    assert reply.status_code == 400
    explicit = make_endpoint(notificationChannelIds=[])
    assert list(explicit.notification_channels.all()) == []


# -- deliveries stored with the change ------------------------------------------------


@pytest.mark.django_db
def test_incident_open_resolve_and_degraded_store_one_delivery_each(make_endpoint):
    channel = services.channel_create(
        data={"name": "Hook", "kind": "webhook", "url": "http://127.0.0.1:9/"}
    )
    quiet = services.channel_create(
        data={"name": "Quiet", "kind": "webhook", "url": "http://127.0.0.1:9/q"}
    )
    endpoint = make_endpoint(now=T0, notificationChannelIds=[channel.pk])
    succeed(endpoint, T0)
    fail(endpoint, T0 + timedelta(minutes=1), times=2)
    assert not NotificationDelivery.objects.exists()
    fail(endpoint, T0 + timedelta(minutes=2))
    opened = NotificationDelivery.objects.get()
    incident = Incident.objects.get()
    assert opened.event == events.NOTIFY_INCIDENT_OPENED
    assert opened.key == f"incident:{incident.pk}:opened"
    assert opened.payload["failureCount"] == 3
    assert opened.payload["error"] == "ConnectError: refused"
    assert opened.payload["status"] == "DOWN"
    assert opened.payload["url"].endswith(f"/monitoring/endpoints/{endpoint.pk}/")
    fail(endpoint, T0 + timedelta(minutes=3))  # more failures: nothing new
    assert NotificationDelivery.objects.count() == 1
    succeed(endpoint, T0 + timedelta(minutes=10), times=2)
    resolved = NotificationDelivery.objects.get(event=events.NOTIFY_INCIDENT_RESOLVED)
    assert resolved.payload["durationSeconds"] == 9 * 60 + 20
    for _ in range(3):  # slow answers in a row: DEGRADED
        succeed(endpoint, T0 + timedelta(minutes=20), ms=5000)
    degraded = NotificationDelivery.objects.get(event=events.NOTIFY_DEGRADED)
    assert degraded.payload["status"] == "DEGRADED"
    assert "Slower than" in degraded.payload["error"]
    assert not NotificationDelivery.objects.filter(channel=quiet).exists()
    assert set(NotificationDelivery.objects.values_list("status", flat=True)) == {
        "pending"
    }


@pytest.mark.django_db
def test_delivery_is_written_in_the_incident_transaction(make_endpoint, monkeypatch):
    channel = services.channel_create(
        data={"name": "Hook", "kind": "webhook", "url": "http://127.0.0.1:9/"}
    )
    endpoint = make_endpoint(now=T0, notificationChannelIds=[channel.pk])
    fail(endpoint, T0, times=2)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("publish failed")

    monkeypatch.setattr(services, "_publish_check", broken)
    with pytest.raises(RuntimeError):
        fail(endpoint, T0 + timedelta(minutes=1))
    assert not Incident.objects.exists()
    assert not NotificationDelivery.objects.exists()
    assert CheckResult.objects.count() == 2


# -- the worker sends --------------------------------------------------------------


def _channel_and_incident(url: str, *, kind: str = "webhook", **extra) -> Endpoint:  # type: ignore[no-untyped-def]
    data = {"name": "Receiver", "kind": kind, **extra}
    if kind != "email":
        data["url"] = url
    channel = services.channel_create(data=data)
    endpoint = services.endpoint_create(
        data={
            "name": "Checkout",
            "url": "http://127.0.0.1:9/",
            "notificationChannelIds": [channel.pk],
        },
        now=T0,
    )
    fail(endpoint, T0, times=3)
    return endpoint


async def _send_round(monitor: Monitor) -> bool:
    found = await monitor.step_deliveries()
    await monitor.drain()
    return found


@pytest.mark.django_db(transaction=True)
async def test_receiver_failing_twice_gets_it_on_the_third_try(flaky, caplog):
    await sync_to_async(_channel_and_incident)(flaky.url)
    clock = Clock()
    clock.now = T0 + timedelta(minutes=1)
    monitor = Monitor(clock=clock)
    caplog.set_level(logging.DEBUG)
    assert await _send_round(monitor)
    delivery = await NotificationDelivery.objects.aget()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        "pending",
        1,
        500,
    )
    assert delivery.last_error == "HTTP 500"
    # Not due again before the backoff.
    assert not await _send_round(monitor)
    clock.now = delivery.next_attempt_at
    assert await _send_round(monitor)
    delivery = await NotificationDelivery.objects.aget()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    assert delivery.next_attempt_at - clock.now == timedelta(seconds=60)
    clock.now = delivery.next_attempt_at
    assert await _send_round(monitor)
    delivery = await NotificationDelivery.objects.aget()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        "sent",
        3,
        200,
    )
    assert flaky.statuses == [500, 500, 200]
    assert flaky.bodies[0] == flaky.bodies[2]
    assert flaky.bodies[2]["event"] == "incident.opened"
    assert flaky.bodies[2]["endpointName"] == "Checkout"
    assert not await _send_round(monitor)
    assert "T0KEN-SECRET" not in caplog.text
    assert "hooks/" not in caplog.text


@pytest.mark.django_db(transaction=True)
async def test_a_hanging_receiver_times_out_without_delaying_checks(
    hanging, settings, target
):
    settings.MONITOR = {**settings.MONITOR, "NOTIFY_TIMEOUT": 1.0}
    await sync_to_async(_channel_and_incident)(hanging.url)
    checked = await sync_to_async(services.endpoint_create)(
        data={"name": "Other", "url": target.url}, now=T0
    )
    clock = Clock()
    clock.now = T0 + timedelta(minutes=1)
    monitor = Monitor(clock=clock)
    assert await monitor.step_deliveries()
    await asyncio.to_thread(hanging.received.wait, 5)
    # The send hangs; a check runs and is recorded meanwhile.
    assert await monitor.step_checks()
    await asyncio.wait_for(asyncio.gather(*list(monitor.inflight)), 5)
    assert await CheckResult.objects.filter(endpoint_id=checked.pk).acount() == 1
    assert monitor.sending, "the send should still be in flight"
    await asyncio.wait_for(monitor.drain(), 10)
    delivery = await NotificationDelivery.objects.aget()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error.startswith("Timed out after 1 s")


@pytest.mark.django_db(transaction=True)
async def test_a_receivers_answer_is_never_read_whatever_its_size(settings):
    # 4 GiB announced and written as fast as the socket takes it: the
    # delivery is judged by its status alone, and the body left unread.
    settings.MONITOR = {**settings.MONITOR, "NOTIFY_TIMEOUT": 5.0}
    huge = Receiver(reply_bytes=4 * 1024**3).start()
    try:
        await sync_to_async(_channel_and_incident)(huge.url)
        delivery = await NotificationDelivery.objects.select_related("channel").aget()
        client = notify.make_client()
        try:
            result = await notify.send(client, delivery)
        finally:
            await client.aclose()
        assert result.ok and result.response_code == 200, result
        assert huge.written < huge.reply_bytes
    finally:
        huge.stop()


@pytest.mark.django_db
def test_retries_last_a_day_then_the_delivery_fails(make_endpoint):
    _channel_and_incident("http://127.0.0.1:9/closed")
    delivery = NotificationDelivery.objects.get()
    for hours in (1, 12, 23.9):
        at = T0 + timedelta(hours=hours)
        [claimed] = services.deliveries_claim(now=at, limit=5)
        services.delivery_record(
            delivery_id=claimed.pk, ok=False, error="ConnectError", now=at
        )
        delivery.refresh_from_db()
        assert delivery.status == "pending"
    assert delivery.next_attempt_at - (T0 + timedelta(hours=23.9)) <= timedelta(hours=1)
    at = T0 + timedelta(hours=26)
    [claimed] = services.deliveries_claim(now=at, limit=5)
    services.delivery_record(delivery_id=claimed.pk, ok=False, error="x", now=at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 4)
    assert services.deliveries_claim(now=at + timedelta(days=1), limit=5) == []


@pytest.mark.django_db(transaction=True)
async def test_two_workers_send_each_delivery_exactly_once(receiver):
    endpoint = await sync_to_async(_channel_and_incident)(receiver.url)
    for n in range(2, 6):  # more incidents, one delivery each
        await sync_to_async(services.check_record)(
            endpoint_id=endpoint.pk,
            outcome=CheckOutcome(status_code=200, response_time=5),
            now=T0 + timedelta(minutes=n),
        )
        await sync_to_async(succeed)(endpoint, T0 + timedelta(minutes=n, seconds=20))
        await sync_to_async(fail)(endpoint, T0 + timedelta(minutes=n, seconds=40), 3)
    expected = await NotificationDelivery.objects.acount()
    assert expected >= 8
    clock = Clock()
    clock.now = T0 + timedelta(hours=1)
    first, second = Monitor(clock=clock), Monitor(clock=clock)
    await asyncio.gather(first.step_deliveries(), second.step_deliveries())
    await asyncio.gather(first.drain(), second.drain())
    assert len(receiver.bodies) == expected
    assert first.sent + second.sent == expected
    assert (
        sorted(
            [
                d
                async for d in NotificationDelivery.objects.values_list(
                    "attempts", "status"
                )
            ]
        )
        == [(1, "sent")] * expected
    )
    keys = [(b["incidentId"], b["event"]) for b in receiver.bodies]
    assert len(set(keys)) == expected


@pytest.mark.django_db(transaction=True)
async def test_slack_format_and_email(receiver):
    await sync_to_async(_channel_and_incident)(receiver.url, kind="slack")
    await sync_to_async(_channel_and_incident)(
        "", kind="email", emails=["oncall@example.com", "ops@example.com"]
    )
    clock = Clock()
    clock.now = T0 + timedelta(minutes=1)
    monitor = Monitor(clock=clock)
    assert await _send_round(monitor)
    [body] = receiver.bodies
    assert set(body) == {"text"}
    assert body["text"].startswith("DOWN: Checkout (3 failed checks): ConnectError")
    assert "/monitoring/endpoints/" in body["text"]
    [message] = mail.outbox
    assert message.to == ["oncall@example.com", "ops@example.com"]
    assert "DOWN: Checkout" in message.subject
    assert "/monitoring/endpoints/" in message.body
    statuses = [
        d async for d in NotificationDelivery.objects.values_list("status", flat=True)
    ]
    assert statuses == ["sent", "sent"]


@pytest.mark.django_db(transaction=True)
async def test_send_test_from_a_channel(receiver, client, staff):
    channel = await sync_to_async(services.channel_create)(
        data={"name": "Hook", "kind": "webhook", "url": receiver.url}
    )
    await sync_to_async(client.force_login)(staff)
    reply = await sync_to_async(client.post)(
        f"/api/notification-channels/{channel.pk}/test/"
    )
    assert reply.status_code == 202 and reply.json()["status"] == "pending"
    monitor = Monitor()
    assert await _send_round(monitor)
    assert receiver.bodies[0]["event"] == "test"
    listed = (await sync_to_async(client.get)("/api/notification-deliveries/")).json()
    assert [(d["status"], d["channelName"], d["responseCode"]) for d in listed] == [
        ("sent", "Hook", 200)
    ]
    assert "url" not in listed[0]
