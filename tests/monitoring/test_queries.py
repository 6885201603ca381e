"""The dashboard summary, the endpoint list and the status page read a fixed
number of queries whatever the number of endpoints, with the figures of the
per-endpoint reads (uptime(), response_times(), recent_checks())."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring import selectors
from monitoring.models import CheckResult, CheckRollup, Endpoint, Status

pytestmark = pytest.mark.django_db

STATUSES = [Status.UP, Status.UP, Status.UP, Status.DEGRADED, Status.DOWN]


def _populate(count: int, *, now, seed: int = 7) -> list[Endpoint]:  # type: ignore[no-untyped-def]
    rnd = random.Random(seed)
    endpoints = Endpoint.objects.bulk_create(
        Endpoint(name=f"Service {i:03}", url=f"http://127.0.0.1:9/{i}")
        for i in range(count)
    )
    checks, rollups = [], []
    for index, endpoint in enumerate(endpoints):
        if index % 7 == 6:
            continue  # some endpoints were never checked
        for _ in range(rnd.randint(1, 60)):
            answered = rnd.random() > 0.2
            checks.append(
                CheckResult(
                    endpoint=endpoint,
                    status=rnd.choice(STATUSES),
                    response_time=rnd.randint(5, 900) if answered else None,
                    checked_at=now - timedelta(minutes=rnd.randint(0, 60 * 24 * 9)),
                    in_maintenance=rnd.random() < 0.1,
                )
            )
        for hour in rnd.sample(range(24 * 8, 24 * 31), 5):
            up, degraded, down = (
                rnd.randint(0, 50),
                rnd.randint(0, 5),
                rnd.randint(0, 5),
            )
            rollups.append(
                CheckRollup(
                    endpoint=endpoint,
                    hour=(now - timedelta(hours=hour)).replace(
                        minute=0, second=0, microsecond=0
                    ),
                    total=up + degraded + down,
                    up=up,
                    degraded=degraded,
                    down=down,
                )
            )
    CheckResult.objects.bulk_create(checks)
    CheckRollup.objects.bulk_create(rollups)
    return endpoints


def test_batch_figures_equal_the_per_endpoint_reads():
    now = timezone.now()
    endpoints = _populate(40, now=now)
    batch = selectors.endpoint_summaries(endpoints, now=now)
    one_by_one = [selectors.endpoint_summary(e, now=now) for e in endpoints]
    assert batch == one_by_one
    # The data is varied enough for the comparison to mean something.
    p95s = {s["stats"]["p95ResponseTime"] for s in batch}
    uptimes = {s["stats"]["uptime"]["30d"] for s in batch}
    assert None in p95s and len(p95s) > 10 and None in uptimes and len(uptimes) > 10
    status = selectors.public_status(now=now)
    assert [e["uptime30d"] for e in status["endpoints"]] == [
        selectors.uptime(e.pk, since=now - selectors.WINDOWS["30d"]) for e in endpoints
    ]


@pytest.mark.parametrize("count", [5, 200])
def test_summary_uses_a_fixed_number_of_queries(count, django_assert_max_num_queries):
    now = timezone.now()
    _populate(count, now=now)
    with django_assert_max_num_queries(10):
        data = selectors.summary(now=now)
    assert len(data["endpoints"]) == count


@pytest.mark.parametrize("count", [5, 200])
def test_pages_and_lists_use_a_fixed_number_of_queries(
    count, client, staff, django_assert_max_num_queries
):
    now = timezone.now()
    _populate(count, now=now)
    client.force_login(staff)
    with django_assert_max_num_queries(12):
        reply = client.get("/api/monitoring/summary/")
    assert len(reply.json()["endpoints"]) == count
    with django_assert_max_num_queries(5):
        reply = client.get("/api/endpoints/")
    assert len(reply.json()) == count
    with django_assert_max_num_queries(9):
        page = client.get("/status/")
    assert page.content.count(b"Service ") >= count
    with django_assert_max_num_queries(7):
        reply = client.get("/api/status/")
    assert len(reply.json()["endpoints"]) == count
