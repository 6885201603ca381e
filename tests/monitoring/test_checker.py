"""The checker against a real HTTP target on 127.0.0.1, with a controlled clock.

The target switches between 200, 500, a slow answer, a missing keyword and a
closed port; the published room events must come out in exactly this order.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async

from monitoring.checker import (
    MAX_BODY,
    Monitor,
    claim_due,
    make_client,
    perform_check,
)
from monitoring.models import Endpoint, Incident
from monitoring.services import CheckOutcome
from tests.conftest import published

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> datetime:
        self.now = T0 + timedelta(seconds=seconds)
        return self.now


room_frames = sync_to_async(published)


async def test_event_sequence_through_up_down_incident_degraded_and_recovery(
    target, make_endpoint
):
    endpoint = await sync_to_async(make_endpoint)(
        now=T0,
        url=target.url,
        keyword="tidings",
        keywordMode="CONTAINS",
        degradedThresholdMs=150,
        timeoutSeconds=2,
    )
    clock = Clock()
    monitor = Monitor(clock=clock)

    async def check(seconds: float, mode: str) -> None:
        target.set(mode)
        clock.at(seconds)
        assert await monitor.run_once(), f"nothing due at +{seconds}s"
        assert monitor.crashed == 0

    await check(0, "ok")
    await check(60, "error")  # UP -> DOWN, retried 20 s later
    await check(80, "closed")
    await check(100, "error")  # third failure: incident
    await check(160, "closed")
    await check(220, "ok")
    await check(280, "ok")  # second success: resolved, back UP
    await check(340, "slow")
    await check(400, "slow")
    await check(460, "slow")  # third slow answer: DEGRADED
    await check(520, "ok")
    await check(580, "nokeyword")
    clock.at(600)
    assert not await monitor.run_once()  # nothing due before +640 s
    await monitor.step_checks()

    frames = await room_frames(f"endpoint:{endpoint.pk}")
    seen = [
        (f["event"], f["data"].get("status") or f["data"].get("currentStatus"))
        for f in frames
    ]
    assert seen == [
        ("endpoint:created", None),
        ("check:completed", "UP"),
        ("endpoint:status-changed", "UP"),
        ("check:completed", "DOWN"),
        ("endpoint:status-changed", "DOWN"),
        ("check:completed", "DOWN"),
        ("check:completed", "DOWN"),
        ("incident:started", None),
        ("check:completed", "DOWN"),
        ("check:completed", "UP"),
        ("check:completed", "UP"),
        ("endpoint:status-changed", "UP"),
        ("incident:resolved", None),
        ("check:completed", "UP"),
        ("check:completed", "UP"),
        ("check:completed", "DEGRADED"),
        ("endpoint:status-changed", "DEGRADED"),
        ("check:completed", "UP"),
        ("endpoint:status-changed", "UP"),
        ("check:completed", "DEGRADED"),
        ("endpoint:status-changed", "DEGRADED"),
    ]
    by_event = {}
    for f in frames:
        by_event.setdefault(f["event"], []).append(f["data"])
    started = by_event["incident:started"][0]
    assert started["failureCount"] == 3
    assert started["startedAt"] == "2026-01-05T12:01:00Z"
    resolved = by_event["incident:resolved"][0]
    assert resolved["incidentId"] == started["incidentId"]
    assert resolved["resolvedAt"] == "2026-01-05T12:04:40Z"
    assert resolved["durationSeconds"] == 220
    down = by_event["endpoint:status-changed"][1]
    assert down["previousStatus"] == "UP" and down["endpointName"] == "Target"
    assert "500" in down["errorMessage"]
    checks = by_event["check:completed"]
    assert checks[0]["statusCode"] == 200 and checks[0]["responseTime"] >= 0
    assert checks[2]["statusCode"] is None and checks[2]["errorMessage"]
    assert all(c["responseTime"] >= 150 for c in checks[7:10])
    # The `endpoints` room carries the same events in the same order.
    everything = await room_frames("endpoints")
    assert [f["event"] for f in everything] == [f["event"] for f in frames]
    incident = await sync_to_async(Incident.objects.get)()
    assert incident.failure_count == 4


async def test_timeout_counts_as_down(target, make_endpoint):
    endpoint = await sync_to_async(make_endpoint)(
        now=T0, url=target.url, timeoutSeconds=0.2
    )
    target.delay = 1.0
    target.set("slow")
    clock = Clock()
    await Monitor(clock=clock).run_once()
    await sync_to_async(endpoint.refresh_from_db)()
    assert endpoint.status == "DOWN"
    assert "Timed out" in endpoint.last_error


def test_claim_is_taken_once(make_endpoint):
    make_endpoint(now=T0)
    make_endpoint(now=T0, name="Other")
    first = claim_due(now=T0, limit=10)
    second = claim_due(now=T0, limit=10)
    assert len(first) == 2 and second == []
    assert set(Endpoint.objects.values_list("next_check_at", flat=True)) == {
        T0 + timedelta(seconds=60)
    }


async def test_crashing_check_is_pushed_ahead(make_endpoint, monkeypatch):
    from monitoring import checker

    endpoint = await sync_to_async(make_endpoint)(now=T0)

    async def boom(client, endpoint):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug")

    monkeypatch.setattr(checker, "perform_check", boom)
    clock = Clock()
    monitor = Monitor(clock=clock)
    assert await monitor.run_once()
    assert monitor.crashed == 1
    assert not await monitor.run_once()  # not retried in a loop
    await sync_to_async(endpoint.refresh_from_db)()
    assert endpoint.next_check_at == T0 + timedelta(seconds=60)


async def test_stop_lets_checks_in_flight_finish(target, make_endpoint):
    import asyncio

    endpoint = await sync_to_async(make_endpoint)(url=target.url)
    target.delay = 0.5
    target.set("slow")
    monitor = Monitor(poll_interval=0.05)
    runner = asyncio.ensure_future(monitor.run())
    for _ in range(100):
        if monitor.inflight:
            break
        await asyncio.sleep(0.01)
    assert monitor.inflight
    monitor.stop()
    await asyncio.wait_for(runner, 5)
    await sync_to_async(endpoint.refresh_from_db)()
    assert endpoint.status == "UP" and monitor.checked == 1


async def test_an_endless_body_is_read_no_further_than_the_limit(target, make_endpoint):
    # A "download" that never ends: the keyword is in its first bytes, and
    # the check reads at most MAX_BODY of it, then hangs up.
    endpoint = await sync_to_async(make_endpoint)(
        now=T0,
        url=target.url,
        keyword="tidings",
        keywordMode="CONTAINS",
        timeoutSeconds=10,
    )
    target.set("endless")
    outcome = await check_once(endpoint)
    assert outcome.error == "" and outcome.status_code == 200
    assert outcome.body is not None and len(outcome.body) == MAX_BODY
    assert outcome.body.startswith("hello from tidings")
    # What the target got written before the checker hung up: the limit and
    # what the sockets' buffers held, not 30 s of 64 KiB chunks.
    assert target.sent < MAX_BODY + 16 * 1024 * 1024


async def test_a_body_that_trickles_in_is_cut_at_the_timeout(target, make_endpoint):
    # A byte every 0.1 s: each read is quick, the whole never ends. The
    # timeout is for the whole check, so it ends as a timeout, not in 30 s.
    endpoint = await sync_to_async(make_endpoint)(
        now=T0, url=target.url, timeoutSeconds=1
    )
    target.set("drip")
    started = time.monotonic()
    outcome = await check_once(endpoint)
    assert outcome.error == "Timed out after 1 s"
    assert time.monotonic() - started < 10


async def check_once(endpoint: Endpoint) -> CheckOutcome:
    async with make_client() as client:
        return await perform_check(client, endpoint)
